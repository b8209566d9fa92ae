"""Test factories for inventory; products come from the catalogue's factories."""

from __future__ import annotations

from typing import Any

import factory

from salesdesk.catalog.models import Product
from salesdesk.catalog.tests.factories import ProductFactory
from salesdesk.inventory.models import StockLevel, Warehouse

__all__ = ["ProductFactory", "StockLevelFactory", "WarehouseFactory", "make_product", "make_warehouse"]


class WarehouseFactory(factory.django.DjangoModelFactory[Warehouse]):
    class Meta:
        model = Warehouse
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"WH{n + 1:02d}")
    name = factory.Sequence(lambda n: f"仓库{n + 1}")
    address = "上海市浦东新区张江路1号"


class StockLevelFactory(factory.django.DjangoModelFactory[StockLevel]):
    """A bare level row; tests that need stock use ``receive_stock`` so the ledger matches."""

    class Meta:
        model = StockLevel

    product = factory.SubFactory(ProductFactory)
    warehouse = factory.SubFactory(WarehouseFactory)


def make_warehouse(**kwargs: Any) -> Warehouse:
    """A saved warehouse (typed wrapper around the factory)."""
    return WarehouseFactory.create(**kwargs)


def make_product(**kwargs: Any) -> Product:
    """A saved product from the catalogue's factory (typed wrapper)."""
    product: Product = ProductFactory.create(**kwargs)
    return product
