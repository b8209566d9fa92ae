"""Helpers for plan tests: an order ready to confirm, stock, capacity and open steps in bulk."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from salesdesk.accounts.models import Department
from salesdesk.orders import services as orders
from salesdesk.orders.choices import ApprovalStatus, ConfirmationStatus
from salesdesk.orders.models import SalesOrder
from salesdesk.orders.tests.factories import (
    line,
    make_customer,
    make_order,
    make_product,
    make_warehouse,
    stock,
)

__all__ = ["dept", "line", "make_customer", "make_product", "make_warehouse", "ready_order", "stock"]


def dept(code: str) -> Department:
    return Department.objects.get(code=code)


def ready_order(salesperson: Any, manager: Any, lines: list[dict[str, Any]], **kwargs: Any) -> SalesOrder:
    """A submitted order that passed approval and the customer's confirmation: confirm is next."""
    customer = kwargs.pop("customer", None) or make_customer(salesperson)
    order = make_order(salesperson, customer, lines, **kwargs)
    order = orders.submit_order(order=order, by=salesperson)
    order.refresh_from_db()
    if order.approval_status == ApprovalStatus.PENDING:
        orders.approve_order(order=order, by=manager)
        order.refresh_from_db()
    if order.confirmation_status not in (ConfirmationStatus.NOT_REQUIRED, ConfirmationStatus.CONFIRMED):
        orders.record_customer_confirmation(order=order, by=salesperson, note="电话确认")
        order.refresh_from_db()
    return order


def d(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def q(text: str) -> Decimal:
    return Decimal(text)
