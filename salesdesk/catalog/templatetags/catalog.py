"""Template filters for catalogue numbers: ``{{ product.list_price|price }}``, ``{{ rate|vat_rate }}``."""

from __future__ import annotations

from decimal import Decimal

from django import template

from salesdesk.catalog.formatting import decimal_str

register = template.Library()


@register.filter
def price(value: Decimal | None) -> str:
    """``1234.5`` → ``1,234.50``; up to 6 decimals when the price has them; empty for ``None``."""
    text = decimal_str(value)
    if text is None:
        return ""
    sign = "-" if text.startswith("-") else ""
    whole, _, frac = text.lstrip("-").partition(".")
    return f"{sign}{int(whole):,}.{frac}"


@register.filter
def vat_rate(value: Decimal | None) -> str:
    """``0.1300`` → ``13%``."""
    if value is None:
        return ""
    return f"{decimal_str(value * 100, min_places=0)}%"


@register.filter
def qty(value: Decimal | None) -> str:
    """A rate or quantity without trailing zeros: ``12.000000`` → ``12``."""
    return decimal_str(value, min_places=0) or ""
