"""Orders created and confirmed in one go, at once, on PostgreSQL: the stock rows are read unlocked to
choose warehouses, then locked — in one order by every creation, before the day's number row — just
before the rows go in, so none deadlocks; when the unlocked read no longer holds, the creation runs
again reading the stock locked; a refused one gives its number back to the draft saved instead, and
the numbers stay gapless."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from salesdesk.core.parameters import set_parameter
from salesdesk.fulfillment.actions import place_order
from salesdesk.fulfillment.models import OrderPlan
from salesdesk.inventory.models import StockLevel
from salesdesk.orders import services
from salesdesk.orders.models import SalesOrder
from salesdesk.orders.tests.factories import line, make_customer, make_product, make_warehouse, stock
from salesdesk.orders.tests.test_concurrency import run_threads

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def sold_before(products: list[Any], salesperson: Any, manager: Any) -> None:
    """The products were on a confirmed order (no new-product approval): a pre-order, which reserves
    nothing, taken through approval and the customer's confirmation. It takes the day's number 0001."""
    first = services.create_order(
        by=salesperson,
        customer=make_customer(salesperson),
        lines=[line(p, 1) for p in products],
        order_type="preorder",
    )
    first = services.submit_order(order=first, by=salesperson)
    first = services.approve_order(order=first, by=manager)
    first = services.record_customer_confirmation(order=first, by=salesperson, note="电话")
    services.confirm_order(order=first, by=salesperson)


def test_thirty_orders_created_and_confirmed_at_once_for_ten_units(
    salesperson: Any, manager: Any, admin_user: Any
) -> None:
    set_parameter(key="approval.new_customer", value=False, by=admin_user)
    warehouse = make_warehouse(code="SZ")
    hot, plenty = make_product(sku="HOT-A"), make_product(sku="PLENTY-B")
    stock(hot, warehouse, 10, admin_user)
    stock(plenty, warehouse, 1000, admin_user)
    sold_before([hot, plenty], salesperson, manager)
    customers = [make_customer(salesperson) for _ in range(30)]

    def work(i: int) -> SalesOrder:
        # half the orders list the products the other way round: the lock order must not follow them
        lines = [line(hot, 1), line(plenty, 2)] if i % 2 else [line(plenty, 2), line(hot, 1)]
        return place_order(
            by=salesperson,
            customer=customers[i],
            lines=lines,
            customer_confirmation="电话确认",
            confirm=True,
        )

    results = run_threads(30, work)

    assert all(isinstance(r, SalesOrder) for r in results), [
        r for r in results if not isinstance(r, SalesOrder)
    ]
    confirmed = [r for r in results if r.status == "confirmed"]
    drafts = [r for r in results if r.status == "draft"]
    assert (len(confirmed), len(drafts)) == (10, 20)
    assert {getattr(r, "stopped", None).code for r in drafts} == {"stock_short"}  # type: ignore[union-attr]
    levels = dict(StockLevel.objects.values_list("product__sku", "reserved_qty"))
    assert levels == {"HOT-A": Decimal(10), "PLENTY-B": Decimal(20)}
    assert OrderPlan.objects.filter(order__in=[r.pk for r in confirmed]).count() == 10
    day = timezone.localdate().strftime("%Y%m%d")
    numbers = sorted(r.number for r in results)
    assert numbers == [f"XSDD{day}-{k:04d}" for k in range(2, 32)]  # 0001: the first order


def test_orders_at_once_move_to_the_other_warehouse_when_the_first_runs_out(
    salesperson: Any, manager: Any, admin_user: Any
) -> None:
    """Thirty orders of 1 at once for a product with 6 in SZ and 5 in GZ: the unlocked reads choose
    SZ (the most available) until it runs out; a creation whose reservation then fails runs again with
    the stock read locked and takes GZ; exactly 11 are confirmed, the others stopped short; gapless."""
    set_parameter(key="approval.new_customer", value=False, by=admin_user)
    sz, gz = make_warehouse(code="SZ"), make_warehouse(code="GZ")
    product = make_product(sku="SPLIT-A")
    stock(product, sz, 6, admin_user)
    stock(product, gz, 5, admin_user)
    sold_before([product], salesperson, manager)
    customers = [make_customer(salesperson) for _ in range(30)]

    results = run_threads(
        30,
        lambda i: place_order(
            by=salesperson,
            customer=customers[i],
            lines=[line(product, 1)],
            customer_confirmation="电话确认",
            confirm=True,
        ),
    )

    assert all(isinstance(r, SalesOrder) for r in results), [
        r for r in results if not isinstance(r, SalesOrder)
    ]
    confirmed = [r for r in results if r.status == "confirmed"]
    assert len(confirmed) == 11
    assert {getattr(r, "stopped", None).code for r in results if r.status == "draft"} == {"stock_short"}  # type: ignore[union-attr]
    levels = dict(StockLevel.objects.values_list("warehouse__code", "reserved_qty"))
    assert levels == {"SZ": Decimal(6), "GZ": Decimal(5)}
    chosen = sorted(r.lines.get().warehouse.code for r in confirmed)
    assert chosen == ["GZ"] * 5 + ["SZ"] * 6
    day = timezone.localdate().strftime("%Y%m%d")
    assert sorted(r.number for r in results) == [f"XSDD{day}-{k:04d}" for k in range(2, 32)]


def test_the_same_key_ten_times_at_once_makes_one_confirmed_order(
    salesperson: Any, manager: Any, admin_user: Any
) -> None:
    """Ten create-and-confirm requests with one Idempotency-Key at once: one order, its stock reserved
    once; the others wait on the stock rows, then on the key, and answer with the winner."""
    set_parameter(key="approval.new_customer", value=False, by=admin_user)
    warehouse = make_warehouse(code="SZ")
    product = make_product(sku="KEY-A")
    stock(product, warehouse, 100, admin_user)
    sold_before([product], salesperson, manager)
    customer = make_customer(salesperson)

    results = run_threads(
        10,
        lambda i: place_order(
            by=salesperson,
            customer=customer,
            lines=[line(product, 3)],
            customer_confirmation="电话确认",
            confirm=True,
            idempotency_key="same-key",
        ),
    )

    assert all(isinstance(r, SalesOrder) for r in results), results
    order = SalesOrder.objects.get(idempotency_key="same-key")
    assert {r.pk for r in results} == {order.pk}
    assert order.status == "confirmed"
    assert StockLevel.objects.get(product=product).reserved_qty == Decimal(3)
    assert order.number.endswith("-0002")  # 0001: the first order; no number lost to the losers
    assert services.create_order(by=salesperson, customer=customer, lines=[line(product, 9)]).number.endswith(
        "-0003"
    )
