#!/usr/bin/env python
"""promise_date for a 5-line order with 5,000 open plan steps loaded: p50/p95 over 200 calls.

    .venv/bin/python bench/promise_date.py            # SQLite (a throw-away test database)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/salesdesk_bench .venv/bin/python bench/promise_date.py

Baseline: the same working-day arithmetic (a bare loop over add_workdays, no database).
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402


def main() -> None:
    setup_test_environment()
    old = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run()
    finally:
        connection.creation.destroy_test_db(old, verbosity=0)


def run() -> None:
    from salesdesk.accounts.models import Department

    # 5,000 open steps on 1,000 orders, their production loads spread over the next months.
    from salesdesk.accounts.tests.factories import make_user
    from salesdesk.catalog.tests.factories import ProductFactory
    from salesdesk.customers.tests.factories import CustomerFactory
    from salesdesk.fulfillment.calendar import WorkCalendar
    from salesdesk.fulfillment.capacity import promise_date
    from salesdesk.fulfillment.models import OrderPlan, PlanStep
    from salesdesk.fulfillment.models.plans import StepLoad
    from salesdesk.orders.models import SalesOrder

    user = make_user("salesperson", username="bench")
    customer = CustomerFactory(owner=user)
    prod = Department.objects.get(code="PROD")
    depts = list(Department.objects.all())
    start = dt.date(2026, 3, 2)
    orders = SalesOrder.objects.bulk_create(
        [
            SalesOrder(
                number=f"B{i:06d}",
                customer=customer,
                customer_code="K",
                customer_name="客户",
                owner=user,
                created_by=user,
                order_date=start,
                status="confirmed",
            )
            for i in range(1000)
        ]
    )
    plans = OrderPlan.objects.bulk_create([OrderPlan(order=o) for o in orders])
    steps = []
    for i, (order, plan) in enumerate(zip(orders, plans, strict=True)):
        for seq in range(1, 6):
            day = start + dt.timedelta(days=(i + seq) % 90)
            steps.append(
                PlanStep(
                    plan=plan,
                    order=order,
                    seq=seq,
                    code="s",
                    name="步骤",
                    department=prod if seq == 2 else depts[seq % len(depts)],
                    planned_start=day,
                    planned_due=day,
                    load=Decimal("6") if seq == 2 else 0,
                )
            )
    steps = PlanStep.objects.bulk_create(steps)
    StepLoad.objects.bulk_create(
        [
            StepLoad(step=s, department=prod, day=s.planned_start, load=Decimal("6"))
            for s in steps
            if s.seq == 2
        ]
    )
    products = [ProductFactory() for _ in range(5)]
    lines = [(p, Decimal("20")) for p in products]
    timings = []
    for _ in range(200):
        t = time.perf_counter()
        promise_date(lines=lines, start=start, requested_date=start + dt.timedelta(days=14))
        timings.append((time.perf_counter() - t) * 1000)
    cal = WorkCalendar()
    base = []
    for _ in range(200):
        t = time.perf_counter()
        day = start
        for n in (1, 3, 1, 1, 2):
            day = cal.add_workdays(day, n)
        base.append((time.perf_counter() - t) * 1000)
    q = statistics.quantiles
    print(f"database: {connection.vendor}; open steps: {PlanStep.objects.count()}")
    print(
        f"promise_date (5 lines): p50 {statistics.median(timings):.2f} ms, p95 {q(timings, n=20)[18]:.2f} ms"
    )
    print(f"baseline add_workdays loop: p50 {statistics.median(base):.4f} ms, p95 {q(base, n=20)[18]:.4f} ms")


if __name__ == "__main__":
    main()
