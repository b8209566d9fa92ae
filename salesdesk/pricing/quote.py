"""Quote an order: resolve each line's price, apply line and order discounts, 抹零 and totals."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from salesdesk.catalog.models import Product
from salesdesk.core.errors import InvalidInput

from . import calc
from .resolve import PriceQuote, manual_quote, resolve_prices, round_price

if TYPE_CHECKING:
    from salesdesk.customers.models import Customer


@dataclass(frozen=True)
class QuotedLine:
    product: Product
    qty: Decimal
    quote: PriceQuote
    unit_price: Decimal  # in the entry mode's terms
    discount_rate: Decimal
    amounts: calc.LineAmounts


@dataclass(frozen=True)
class OrderQuote:
    price_mode: str
    lines: list[QuotedLine]
    totals: calc.OrderTotals
    round_off_amount: Decimal
    amount_in_words: str


def _number(raw: Any, path: str, errors: dict[str, list[str]]) -> Decimal | None:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        errors[path] = [_("Enter a number.")]
        return None
    if not value.is_finite():
        errors[path] = [_("Enter a number.")]
        return None
    if value < 0:
        errors[path] = [_("Must not be negative.")]
        return None
    return value


def quote_order(
    *,
    customer: Customer | None,
    lines: list[dict[str, Any]],
    price_mode: str | None = None,
    order_discount_amount: Any = None,
    round_off: str | None = None,
    on_date: dt.date | None = None,
) -> OrderQuote:
    """Price every line (product id or SKU, qty, optional unit_price/discount_rate) and total the order."""
    errors: dict[str, list[str]] = {}
    mode = price_mode or calc.TAX_INCLUDED
    if mode not in calc.PRICE_MODES:
        errors["price_mode"] = [_("Choose tax-inclusive or tax-exclusive prices.")]
    rule = round_off or "none"
    if rule not in calc.ROUND_OFF_RULES:
        errors["round_off"] = [_("Choose a valid rounding rule.")]
    if not lines:
        errors["lines"] = [_("Add at least one line.")]
    refs = [str(line.get("product") or "").strip() for line in lines]
    products = {p.sku: p for p in Product.objects.filter(sku__in=[r for r in refs if r])}
    ids = [int(r) for r in refs if r.isdecimal() and r not in products]
    by_id = {p.pk: p for p in Product.objects.filter(pk__in=ids)} if ids else {}
    parsed: list[tuple[Product, Decimal, Decimal | None, Decimal]] = []
    for n, (line, ref) in enumerate(zip(lines, refs, strict=True)):
        path = f"lines.{n}"
        product = products.get(ref) or (by_id.get(int(ref)) if ref.isdecimal() else None)
        if product is None:
            errors[f"{path}.product"] = [_("Unknown product.") if ref else _("This field is required.")]
        qty = _number(line.get("qty", ""), f"{path}.qty", errors)
        raw_price = line.get("unit_price")
        price = None if raw_price in (None, "") else _number(raw_price, f"{path}.unit_price", errors)
        raw_rate = line.get("discount_rate")
        rate = Decimal(0) if raw_rate in (None, "") else _number(raw_rate, f"{path}.discount_rate", errors)
        if rate is not None and rate > 1:
            errors[f"{path}.discount_rate"] = [_("The discount rate must be between 0 and 1.")]
        if product is not None and qty is not None and rate is not None:
            parsed.append((product, qty, price, rate))
    discount = Decimal(0)
    if order_discount_amount not in (None, ""):
        discount = _number(order_discount_amount, "order_discount_amount", errors) or Decimal(0)
    if errors:
        raise InvalidInput(fields=errors)

    resolved = resolve_prices(
        products_qty=[(p, q) for p, q, _pr, _r in parsed], customer=customer, on_date=on_date
    )
    quotes: list[PriceQuote] = []
    entry_prices: list[Decimal] = []
    for (product, _qty, price, _rate), auto in zip(parsed, resolved, strict=True):
        if price is None:
            quotes.append(auto)
            incl = auto.unit_price
            entry = incl if mode == calc.TAX_INCLUDED else round_price(incl / (1 + product.tax_rate))
        else:
            entry = price
            incl = price if mode == calc.TAX_INCLUDED else round_price(price * (1 + product.tax_rate))
            quotes.append(manual_quote(product, incl))
        entry_prices.append(entry)
    specs = [
        {"qty": q, "unit_price": price, "tax_rate": p.tax_rate, "discount_rate": r, "eligible": True}
        for (p, q, _pr, r), price in zip(parsed, entry_prices, strict=True)
    ]
    try:
        amounts = calc.apply_order_discount(specs, discount, mode)
        round_off_amount = calc.round_off(calc.totals(amounts).amount, rule)
        if round_off_amount:
            amounts = calc.apply_order_discount(specs, discount + round_off_amount, mode)
    except ValueError:
        raise InvalidInput.single(
            "order_discount_amount", _("The discount is larger than the amount it applies to.")
        ) from None
    totals = calc.totals(amounts)
    return OrderQuote(
        price_mode=mode,
        lines=[
            QuotedLine(product=p, qty=q, quote=qt, unit_price=ep, discount_rate=r, amounts=a)
            for (p, q, _pr, r), qt, ep, a in zip(parsed, quotes, entry_prices, amounts, strict=True)
        ],
        totals=totals,
        round_off_amount=round_off_amount,
        amount_in_words=calc.amount_in_words(totals.amount),
    )
