from __future__ import annotations

from decimal import Decimal

import factory

from salesdesk.pricing.models import PriceList, PriceListItem


class PriceListFactory(factory.django.DjangoModelFactory[PriceList]):
    class Meta:
        model = PriceList

    code = factory.Sequence(lambda n: f"JG{n:04d}")
    name = factory.Sequence(lambda n: f"价目表{n}")
    kind = PriceList.Kind.PROMOTION
    priority = factory.LazyAttribute(lambda o: PriceList.DEFAULT_PRIORITY[o.kind])


class PriceListItemFactory(factory.django.DjangoModelFactory[PriceListItem]):
    class Meta:
        model = PriceListItem

    price_list = factory.SubFactory(PriceListFactory)
    min_qty = Decimal(0)
