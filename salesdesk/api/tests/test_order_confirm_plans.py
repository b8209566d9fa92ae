"""Confirming an order through the API or a page also generates its plan, in one transaction."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from salesdesk.fulfillment.models import OrderPlan, PlanStep
from salesdesk.inventory.models import StockLevel
from salesdesk.orders import services
from salesdesk.orders.models import SalesOrder
from salesdesk.orders.tests.factories import line, make_customer, make_product, make_warehouse, stock

pytestmark = pytest.mark.django_db


def _ready_order(salesperson: Any, admin_user: Any, manager: Any, qty: int) -> SalesOrder:
    customer = make_customer(salesperson)
    product = make_product(sku="PLN-1", list_price=Decimal("9.99"))
    stock(product, make_warehouse(code="SZ"), 5, admin_user)
    order = services.create_order(by=salesperson, customer=customer, lines=[line(product, qty)])
    order = services.submit_order(order=order, by=salesperson)
    if order.approval_status == "pending":
        order = services.approve_order(order=order, by=manager)
    return services.record_customer_confirmation(order=order, by=salesperson, note="电话确认")


def test_api_confirm_generates_the_plan(
    api_client_for: Any, salesperson: Any, admin_user: Any, manager: Any
) -> None:
    order = _ready_order(salesperson, admin_user, manager, 3)
    response = api_client_for(salesperson).post(f"/api/orders/{order.pk}/confirm")
    assert response.status_code == 200
    assert response.json()["status"] == "confirmed"
    plan = OrderPlan.objects.get(order=order)
    assert plan.steps.count() >= 3
    assert StockLevel.objects.get().reserved_qty == Decimal(3)
    events = [e["type"] for e in api_client_for(salesperson).get(f"/api/orders/{order.pk}/events").json()]
    assert "plan_generated" in events


def test_refused_confirm_makes_no_plan(
    api_client_for: Any, salesperson: Any, admin_user: Any, manager: Any
) -> None:
    order = _ready_order(salesperson, admin_user, manager, 8)  # only 5 in stock
    response = api_client_for(salesperson).post(f"/api/orders/{order.pk}/confirm")
    assert (response.status_code, response.json()["code"]) == (409, "stock_short")
    order.refresh_from_db()
    assert order.status == "submitted"
    assert not OrderPlan.objects.filter(order=order).exists()
    assert not PlanStep.objects.exists()
    assert StockLevel.objects.get().reserved_qty == Decimal(0)
