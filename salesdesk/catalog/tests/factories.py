"""Test factories for the catalogue (also used by the inventory tests)."""

from __future__ import annotations

from decimal import Decimal

import factory

from salesdesk.catalog.models import Category, Product, ProductUnit
from salesdesk.core.text import pinyin_keys


class CategoryFactory(factory.django.DjangoModelFactory[Category]):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{n + 1:02d}")
    name = factory.Sequence(lambda n: f"分类{n + 1}")
    parent = None


class ProductFactory(factory.django.DjangoModelFactory[Product]):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n + 1:05d}")
    name = factory.Sequence(lambda n: f"测试商品{n + 1}")
    spec = ""
    category = None
    unit = "个"
    unit_decimals = 0
    tax_rate = Decimal("0.13")
    list_price = Decimal("35.00")
    floor_price = None
    pinyin_initials = factory.LazyAttribute(lambda o: pinyin_keys(f"{o.name}{o.spec}")[0][:100])
    pinyin_full = factory.LazyAttribute(lambda o: pinyin_keys(f"{o.name}{o.spec}")[1][:400])


class ProductUnitFactory(factory.django.DjangoModelFactory[ProductUnit]):
    class Meta:
        model = ProductUnit

    product = factory.SubFactory(ProductFactory)
    unit = "箱"
    rate_to_base = Decimal("12")
