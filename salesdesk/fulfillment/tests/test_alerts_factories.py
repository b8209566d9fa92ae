"""Builders for alert tests: a confirmed order (through the orders services, then marked confirmed as the
confirm service would) with a plan of steps whose dates the test chooses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from salesdesk.accounts.tests.factories import DepartmentFactory
from salesdesk.catalog.models import Product
from salesdesk.fulfillment.models import OrderPlan, PlanStep
from salesdesk.orders.models import SalesOrder, SalesOrderLine
from salesdesk.orders.tests.factories import line, make_customer, make_order, make_product

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Monday 8 June 2026, 10:00 in Shanghai: an ordinary working week (Dragon Boat Festival is on the 19th).
NOW = dt.datetime(2026, 6, 8, 10, 0, tzinfo=SHANGHAI)
TODAY = NOW.date()


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


def confirmed_order(
    owner: Any,
    *,
    product: Product | None = None,
    qty: str = "10",
    reserved: str | None = None,
    promised: dt.date | None = None,
    requested: dt.date | None = None,
    customer: Any = None,
) -> SalesOrder:
    """A confirmed standard order of one line, fully reserved unless ``reserved`` says otherwise."""
    product = product or make_product()
    customer = customer or make_customer(owner)
    order = make_order(owner, customer, [line(product, qty)])
    SalesOrder.objects.filter(pk=order.pk).update(
        status="confirmed", approval_status="not_required", promised_date=promised, requested_date=requested
    )
    SalesOrderLine.objects.filter(order=order).update(
        reserved_qty=Decimal(reserved if reserved is not None else qty)
    )
    order.refresh_from_db()
    return order


def add_step(
    order: SalesOrder,
    *,
    seq: int = 1,
    code: str = "produce",
    name: str = "生产",
    start: dt.date,
    due: dt.date,
    status: str = "pending",
    progress: int = 0,
    owner: Any = None,
) -> PlanStep:
    plan, _ = OrderPlan.objects.get_or_create(order=order)
    return PlanStep.objects.create(
        plan=plan,
        order=order,
        seq=seq,
        code=code,
        name=name,
        department=DepartmentFactory.create(code="PROD", name="生产部"),
        owner=owner,
        status=status,
        planned_start=start,
        planned_due=due,
        progress=progress,
    )
