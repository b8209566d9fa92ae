"""Resolve a product's unit price for a customer, quantity and date (DOMAIN.md §3.1–§3.2).

Sources, in priority order: customer agreement → promotion → quantity tier → grade → list price. The
parameter ``pricing.resolution`` picks the first valid source ("priority") or the lowest price ("lowest").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salesdesk.core.compiled import CompiledQuery
from salesdesk.core.parameters import get_parameter

from .models import PriceList, PriceListItem

if TYPE_CHECKING:
    from salesdesk.catalog.models import Product
    from salesdesk.customers.models import Customer

PRICE = Decimal("0.000001")

SOURCE_LABELS: dict[str, Any] = {
    "agreement": _("Customer agreement price"),
    "promotion": _("Promotion price"),
    "tier": _("Quantity tier price"),
    "grade": _("Grade price"),
    "list": _("List price"),
    "manual": _("Manual price"),
}
SOURCE_ORDER = ("agreement", "promotion", "tier", "grade")


@dataclass
class PriceQuote:
    """The unit price (tax-inclusive) for one line and the rule that gave it."""

    unit_price: Decimal
    source: str
    source_label: str
    price_list_id: int | None
    list_price: Decimal
    floor_price: Decimal | None
    is_below_floor: bool


def round_price(value: Decimal) -> Decimal:
    """Round a unit price to 6 places (the stored precision), half up."""
    return value.quantize(PRICE, rounding=ROUND_HALF_UP)


def _quote(product: Product, unit_price: Decimal, source: str, price_list_id: int | None) -> PriceQuote:
    unit_price = round_price(Decimal(unit_price))
    floor = product.floor_price
    return PriceQuote(
        unit_price=unit_price,
        source=source,
        source_label=str(SOURCE_LABELS[source]),
        price_list_id=price_list_id,
        list_price=product.list_price,
        floor_price=floor,
        is_below_floor=floor is not None and unit_price < floor,
    )


def manual_quote(product: Product, unit_price: Decimal) -> PriceQuote:
    """Quote a price the salesperson typed (source "manual"), with the floor check."""
    return _quote(product, unit_price, "manual", None)


def _item_price(item: PriceListItem, product: Product) -> Decimal:
    if item.unit_price is not None:
        return item.unit_price
    return product.list_price * (1 - (item.discount_rate or Decimal(0)))


def _incremental_price(items: Sequence[PriceListItem], product: Product, qty: Decimal) -> Decimal:
    """Average unit price when each band is priced separately (1–99 @10, ≥100 @9: 150 → 1449 / 150)."""
    total = Decimal(0)
    for i, item in enumerate(items):
        lower = Decimal(0) if i == 0 else max(item.min_qty - 1, Decimal(0))
        upper = qty if i + 1 == len(items) else min(qty, max(items[i + 1].min_qty - 1, Decimal(0)))
        if upper > lower:
            total += (upper - lower) * _item_price(item, product)
    return round_price(total / qty)


def _list_price(
    price_list: PriceList, items: list[PriceListItem], product: Product, qty: Decimal
) -> Decimal | None:
    """The price a list gives for ``qty``, or None when no item applies (qty below every min_qty)."""
    reached = sorted((i for i in items if i.min_qty <= qty), key=lambda i: i.min_qty)
    if not reached:
        return None
    if price_list.kind == PriceList.Kind.TIER and price_list.tier_mode == PriceList.TierMode.INCREMENTAL:
        if qty <= 0:
            return round_price(_item_price(reached[0], product))
        return _incremental_price(reached, product, qty)
    return round_price(_item_price(reached[-1], product))


def _items_q(p: Any, products: int, for_customer: bool) -> Any:
    """Every valid item for these products: promotions and tiers, and the customer's agreement and
    grade lists when there is a customer. Placeholders: ``products``, ``on``, ``customer``, ``grade``."""
    on_date = p.typed("on", models.DateField())
    valid = (
        Q(price_list__is_active=True)
        & (Q(price_list__valid_from__isnull=True) | Q(price_list__valid_from__lte=on_date))
        & (Q(price_list__valid_to__isnull=True) | Q(price_list__valid_to__gte=on_date))
    )
    kinds = Q(price_list__kind__in=[PriceList.Kind.PROMOTION, PriceList.Kind.TIER])
    if for_customer:
        kinds |= Q(price_list__kind=PriceList.Kind.AGREEMENT, price_list__customer=p.customer)
        kinds |= Q(price_list__kind=PriceList.Kind.GRADE, price_list__grade=p.grade)
    return (
        PriceListItem.objects.filter(product_id__in=p.many("products", products))
        .filter(valid & kinds)
        .select_related("price_list")
    )


_ITEMS = CompiledQuery(_items_q)


def _applicable_items(
    product_ids: Iterable[int], customer: Customer | None, on_date: dt.date
) -> dict[int, dict[int, list[PriceListItem]]]:
    """One query: every valid item for these products, grouped product → price list → items."""
    grouped: dict[int, dict[int, list[PriceListItem]]] = defaultdict(lambda: defaultdict(list))
    wanted = sorted(set(product_ids))
    if not wanted:
        return grouped
    rows = _ITEMS.all(
        len(wanted),
        customer is not None,
        products=wanted,
        on=on_date,
        customer=customer.pk if customer is not None else None,
        grade=customer.grade if customer is not None else None,
    )
    for item in rows:
        grouped[item.product_id][item.price_list_id].append(item)
    return grouped


def _resolve_one(
    product: Product, qty: Decimal, by_list: dict[int, list[PriceListItem]], mode: str
) -> PriceQuote:
    candidates: list[tuple[int, int, int, Decimal, PriceList]] = []
    for items in by_list.values():
        price_list = items[0].price_list
        price = _list_price(price_list, items, product, qty)
        if price is None:
            continue
        rank = SOURCE_ORDER.index(price_list.kind)
        candidates.append((rank, price_list.priority, -price_list.pk, price, price_list))
    if mode == "lowest":
        best = min(candidates, key=lambda c: (c[3], c[0], c[1], c[2]), default=None)
        if best is None or best[3] >= product.list_price:
            return _quote(product, product.list_price, "list", None)
    else:
        best = min(candidates, key=lambda c: (c[0], c[1], c[2]), default=None)
        if best is None:
            return _quote(product, product.list_price, "list", None)
    return _quote(product, best[3], best[4].kind, best[4].pk)


def resolve_prices(
    *,
    products_qty: Sequence[tuple[Product, Decimal]],
    customer: Customer | None = None,
    on_date: dt.date | None = None,
) -> list[PriceQuote]:
    """Quote every (product, qty) pair with a constant number of queries (two: parameter + items)."""
    if not products_qty:
        return []
    on_date = on_date or timezone.localdate()
    mode = get_parameter("pricing.resolution")
    grouped = _applicable_items((p.pk for p, _q in products_qty), customer, on_date)
    return [_resolve_one(p, Decimal(q), grouped.get(p.pk, {}), mode) for p, q in products_qty]


def resolve_price(
    *,
    product: Product,
    customer: Customer | None = None,
    qty: Decimal = Decimal(1),
    on_date: dt.date | None = None,
) -> PriceQuote:
    """Quote one product for a customer, quantity and date."""
    return resolve_prices(products_qty=[(product, qty)], customer=customer, on_date=on_date)[0]
