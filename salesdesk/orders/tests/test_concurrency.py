"""Orders under real concurrency on PostgreSQL: reservations, gapless numbers, idempotency."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from salesdesk.inventory.models import StockLevel
from salesdesk.orders import services
from salesdesk.orders.errors import StockShort
from salesdesk.orders.models import SalesOrder

from .factories import line, make_customer, make_product, make_warehouse, stock

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def run_threads(n: int, work: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def worker(i: int) -> None:
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # collected and asserted by the caller
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_forty_confirmations_for_ten_units(salesperson: Any, manager: Any, admin_user: Any) -> None:
    product = make_product(sku="HOT-1", list_price=Decimal("10.00"))
    warehouse = make_warehouse(code="SZ")
    stock(product, warehouse, 10, admin_user)
    orders = []
    for _ in range(40):
        customer = make_customer(salesperson)
        order = services.create_order(by=salesperson, customer=customer, lines=[line(product, 1)])
        order = services.submit_order(order=order, by=salesperson)
        if order.approval_status == "pending":
            order = services.approve_order(order=order, by=manager)
        orders.append(services.record_customer_confirmation(order=order, by=salesperson, note="电话"))

    results = run_threads(40, lambda i: services.confirm_order(order=orders[i], by=salesperson))

    confirmed = [r for r in results if isinstance(r, SalesOrder)]
    short = [r for r in results if isinstance(r, StockShort)]
    assert (len(confirmed), len(short)) == (10, 30), [
        r for r in results if not isinstance(r, (SalesOrder, StockShort))
    ]
    assert all(s.shortages[0]["sku"] == "HOT-1" for s in short)
    level = StockLevel.objects.get(product=product, warehouse=warehouse)
    assert (level.on_hand_qty, level.reserved_qty) == (Decimal(10), Decimal(10))
    assert SalesOrder.objects.filter(status="confirmed").count() == 10
    assert SalesOrder.objects.filter(status="submitted").count() == 30


def test_two_hundred_orders_get_gapless_numbers(salesperson: Any) -> None:
    customers = [make_customer(salesperson) for _ in range(20)]
    products = [make_product() for _ in range(10)]

    def work(i: int) -> list[str]:
        return [
            services.create_order(
                by=salesperson, customer=customers[i], lines=[line(products[k], 1)], customer_po=f"{i}-{k}"
            ).number
            for k in range(10)
        ]

    results = run_threads(20, work)
    assert all(isinstance(r, list) for r in results), results
    numbers = sorted(n for r in results for n in r)
    day = timezone.localdate().strftime("%Y%m%d")
    assert numbers == [f"XSDD{day}-{k:04d}" for k in range(1, 201)]


def test_same_idempotency_key_ten_times_makes_one_order(salesperson: Any) -> None:
    customer = make_customer(salesperson)
    product = make_product()
    results = run_threads(
        10,
        lambda i: services.create_order(
            by=salesperson, customer=customer, lines=[line(product, 2)], idempotency_key="same-key"
        ),
    )
    assert all(isinstance(r, SalesOrder) for r in results), results
    assert {r.pk for r in results} == {SalesOrder.objects.get().pk}
    assert SalesOrder.objects.get().number.endswith("-0001")
