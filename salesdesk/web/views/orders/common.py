"""Helpers shared by the order pages: the acting user, the scoped order lookup, price display and the
company letterhead."""

from __future__ import annotations

from decimal import Decimal
from typing import cast

from django.http import Http404, HttpRequest

from salesdesk.accounts.models import User
from salesdesk.core.errors import NotFound
from salesdesk.core.parameters import get_parameter
from salesdesk.orders import selectors
from salesdesk.orders.models import SalesOrder


def request_user(request: HttpRequest) -> User:
    """The signed-in user (the views are all behind login_required except the customer page)."""
    return cast(User, request.user)


def order_or_404(request: HttpRequest, pk: int) -> SalesOrder:
    """The order if the user's scope includes it; a 404 otherwise."""
    try:
        return selectors.get_order(user=request.user, pk=pk)
    except NotFound:
        raise Http404 from None


def price_str(value: Decimal) -> str:
    """A unit price for display: at least 2 and at most 6 decimals (12.5 → 12.50, 0.123456 stays)."""
    text = f"{value.normalize():f}"
    decimals = len(text.split(".")[1]) if "." in text else 0
    return f"{value:.2f}" if decimals < 2 else text


def company_info() -> dict[str, str]:
    """The seller's letterhead on the printed and the customer-facing confirmation."""
    return {
        "name": str(get_parameter("company.name") or "SalesDesk 示例公司"),
        "address": str(get_parameter("company.address") or ""),
        "phone": str(get_parameter("company.phone") or ""),
    }
