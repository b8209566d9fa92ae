"""Builders for change-request, exception and comment tests: a confirmed order with a plan and stock."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from salesdesk.fulfillment import plans
from salesdesk.fulfillment.tests.plans_factories import ready_order
from salesdesk.inventory.models import StockLevel, Warehouse
from salesdesk.orders.models import SalesOrder
from salesdesk.orders.tests.factories import line, make_customer, make_product, make_warehouse, stock

__all__ = ["confirmed_with_plan", "level", "line", "make_customer", "make_product", "make_warehouse", "stock"]


def confirmed_with_plan(
    salesperson: Any,
    manager: Any,
    *,
    warehouse: Warehouse,
    lines: list[dict[str, Any]],
    with_plan: bool = True,
    **kwargs: Any,
) -> SalesOrder:
    """A confirmed order (stock reserved) with its generated plan, made through the services."""
    order = ready_order(salesperson, manager, lines, **kwargs)
    if with_plan:
        plans.confirm_order_with_plan(order=order, by=salesperson)
    else:
        from salesdesk.orders import services

        services.confirm_order(order=order, by=salesperson)
    order.refresh_from_db()
    return order


def level(product: Any, warehouse: Warehouse) -> tuple[Decimal, Decimal]:
    """(on hand, reserved) of a product in a warehouse."""
    row = StockLevel.objects.get(product=product, warehouse=warehouse)
    return row.on_hand_qty, row.reserved_qty
