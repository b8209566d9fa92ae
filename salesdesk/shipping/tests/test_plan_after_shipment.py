"""Units to produce count only what is neither shipped nor reserved (shipping lowers reserved_qty)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from salesdesk.fulfillment import plans
from salesdesk.fulfillment.tests.plans_factories import line, make_product, make_warehouse, ready_order, stock
from salesdesk.shipping import services as shipping

pytestmark = pytest.mark.django_db


def test_partly_shipped_reserved_line_needs_no_production(
    salesperson: Any, manager: Any, admin_user: Any
) -> None:
    product = make_product(sku="SHP-1", list_price=Decimal("10"))
    warehouse = make_warehouse(code="SZ")
    stock(product, warehouse, 10, admin_user)
    order = plans.confirm_order_with_plan(
        order=ready_order(salesperson, manager, [line(product, 10)]), by=salesperson
    )
    shipping.create_shipment(
        order=order, warehouse=warehouse, lines=[{"line_no": 1, "qty": "4"}], by=admin_user
    )
    shipped = order.lines.get()
    assert (shipped.qty, shipped.shipped_qty, shipped.reserved_qty) == (Decimal(10), Decimal(4), Decimal(6))

    assert plans._units_to_make(order, plans._order_lines(order)) == Decimal(0)
