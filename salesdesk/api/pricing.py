"""Pricing API (C5): order quotes and price lists. Mounted at ``/api/pricing``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from salesdesk.api.common import error_responses, require_perm
from salesdesk.catalog.formatting import decimal_str
from salesdesk.customers.selectors import get_customer
from salesdesk.pricing import selectors, services
from salesdesk.pricing.models import PriceList
from salesdesk.pricing.quote import OrderQuote, quote_order

router = Router(tags=["pricing"])

Loose = str | int | float | None


class QuoteLineIn(Schema):
    product: str | int | None = None
    qty: Loose = None
    unit_price: Loose = None
    discount_rate: Loose = None


class QuoteIn(Schema):
    customer: int | str | None = None
    price_mode: str | None = None
    lines: list[QuoteLineIn] = []
    order_discount_amount: Loose = None
    round_off: str | None = None


class QuoteLineOut(Schema):
    product: int
    sku: str
    qty: str
    unit_price: str
    price_source: str
    price_source_label: str
    price_list_id: int | None
    list_price: str
    floor_price: str | None
    is_below_floor: bool
    gross_amount: str
    discount_amount: str
    amount: str
    net_amount: str
    tax_amount: str
    tax_rate: str


class QuoteOut(Schema):
    price_mode: str
    lines: list[QuoteLineOut]
    total_amount: str
    net_amount: str
    tax_amount: str
    discount_amount: str
    round_off_amount: str
    amount_in_words: str


def _quote_out(q: OrderQuote) -> dict[str, Any]:
    return {
        "price_mode": q.price_mode,
        "lines": [
            {
                "product": line.product.pk,
                "sku": line.product.sku,
                "qty": decimal_str(line.qty, min_places=0),
                "unit_price": decimal_str(line.unit_price),
                "price_source": line.quote.source,
                "price_source_label": line.quote.source_label,
                "price_list_id": line.quote.price_list_id,
                "list_price": decimal_str(line.quote.list_price),
                "floor_price": decimal_str(line.quote.floor_price),
                "is_below_floor": line.quote.is_below_floor,
                "gross_amount": str(line.amounts.gross_amount),
                "discount_amount": str(line.amounts.discount_amount),
                "amount": str(line.amounts.amount),
                "net_amount": str(line.amounts.net_amount),
                "tax_amount": str(line.amounts.tax_amount),
                "tax_rate": decimal_str(line.product.tax_rate),
            }
            for line in q.lines
        ],
        "total_amount": str(q.totals.amount),
        "net_amount": str(q.totals.net_amount),
        "tax_amount": str(q.totals.tax_amount),
        "discount_amount": str(q.totals.discount_amount),
        "round_off_amount": str(q.round_off_amount),
        "amount_in_words": q.amount_in_words,
    }


@router.post("/quote", response={200: QuoteOut, **error_responses(404, 422)})
def quote(request: HttpRequest, payload: QuoteIn) -> Any:
    """Price an order's lines for a customer: unit price and its source, discounts, tax and totals."""
    customer = None
    if payload.customer not in (None, ""):
        customer = get_customer(user=request.user, pk=payload.customer)
    result = quote_order(
        customer=customer,
        lines=[line.dict() for line in payload.lines],
        price_mode=payload.price_mode,
        order_discount_amount=payload.order_discount_amount,
        round_off=payload.round_off,
    )
    return 200, _quote_out(result)


class PriceListItemIn(Schema):
    product: str | int | None = None
    unit_price: Loose = None
    discount_rate: Loose = None
    min_qty: Loose = None


class PriceListIn(Schema):
    code: str | None = None
    name: str | None = None
    kind: str | None = None
    customer: int | str | None = None
    grade: str | None = None
    valid_from: str | None = None
    valid_to: str | None = None
    tier_mode: str | None = None
    is_active: bool | None = None
    priority: int | str | None = None
    items: list[PriceListItemIn] | None = None


class PriceListItemOut(Schema):
    product: int
    sku: str
    unit_price: str | None
    discount_rate: str | None
    min_qty: str


class PriceListOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    kind_label: str
    customer: int | None
    grade: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    tier_mode: str
    is_active: bool
    priority: int
    items: list[PriceListItemOut] | None = None


class PriceListListOut(Schema):
    count: int
    items: list[PriceListOut]


def _list_out(pl: PriceList, *, with_items: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": pl.pk,
        "code": pl.code,
        "name": pl.name,
        "kind": pl.kind,
        "kind_label": str(pl.get_kind_display()),
        "customer": pl.customer_id,
        "grade": pl.grade,
        "valid_from": pl.valid_from,
        "valid_to": pl.valid_to,
        "tier_mode": pl.tier_mode,
        "is_active": pl.is_active,
        "priority": pl.priority,
    }
    if with_items:
        out["items"] = [
            {
                "product": i.product_id,
                "sku": i.product.sku,
                "unit_price": decimal_str(i.unit_price),
                "discount_rate": decimal_str(i.discount_rate),
                "min_qty": decimal_str(i.min_qty, min_places=0),
            }
            for i in pl.items.all()
        ]
    return out


def _payload_data(payload: PriceListIn) -> tuple[dict[str, Any], list[dict[str, Any]] | None]:
    data = payload.dict(exclude_unset=True)
    items = data.pop("items", None)
    return data, items


@router.get("/price-lists", response={200: PriceListListOut, **error_responses(403)})
def price_lists(request: HttpRequest, kind: str = "", q: str = "") -> Any:
    """Price lists, filtered by kind or code/name."""
    require_perm(request, "pricing.view_pricelist")
    rows = list(selectors.list_price_lists(kind=kind, q=q))
    return 200, {"count": len(rows), "items": [_list_out(pl, with_items=False) for pl in rows]}


@router.post("/price-lists", response={201: PriceListOut, **error_responses(403, 422)})
def create_price_list(request: HttpRequest, payload: PriceListIn) -> Any:
    """Create a price list with its items."""
    require_perm(request, "pricing.add_pricelist")
    data, items = _payload_data(payload)
    pl = services.create_price_list(by=request.user, data=data, items=items or [])
    return 201, _list_out(selectors.get_price_list(pk=pl.pk))


@router.get("/price-lists/{pk}", response={200: PriceListOut, **error_responses(403, 404)})
def price_list(request: HttpRequest, pk: int) -> Any:
    """One price list with its items."""
    require_perm(request, "pricing.view_pricelist")
    return 200, _list_out(selectors.get_price_list(pk=pk))


@router.patch("/price-lists/{pk}", response={200: PriceListOut, **error_responses(403, 404, 422)})
def update_price_list(request: HttpRequest, pk: int, payload: PriceListIn) -> Any:
    """Change a price list; ``items``, when sent, replaces all its items."""
    require_perm(request, "pricing.change_pricelist")
    data, items = _payload_data(payload)
    pl = services.update_price_list(
        by=request.user, price_list=selectors.get_price_list(pk=pk), data=data, items=items
    )
    return 200, _list_out(selectors.get_price_list(pk=pl.pk))
