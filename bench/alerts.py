"""Benchmark the alert scan (issue 4): N open confirmed orders with 7-step plans, scan_alerts 3 times each.

    .venv/bin/python bench/alerts.py                       # SQLite (/tmp/salesdesk_alerts_bench.sqlite3)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/salesdesk_alerts_bench .venv/bin/python bench/alerts.py
    .venv/bin/python bench/alerts.py --sizes 10000          # a single size

Data (bulk_create, one customer/product set reused): every order has one line and a plan of seven steps
(备料 → 生产 → 质检 → 发货 → 签收 → 开票 → 收款). The mix: about 5 % of the orders have a production
step at risk (and so most of those also a promise at risk), 2 % a line short of stock, 1 % still wait for
the customer's confirmation; the rest are healthy, half of them part-way through their plan. The first
scan raises the alerts and writes their notifications; the next two find nothing new (the steady state
of the five-minute schedule). Target: < 30 s at 100,000 orders, roughly linear.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _masterdata import setup_django

SQLITE_URL = "sqlite:////tmp/salesdesk_alerts_bench.sqlite3"
STEPS = [("prepare", "备料"), ("produce", "生产"), ("inspect", "质检"), ("ship", "发货"), ("sign", "签收"),
         ("invoice", "开票"), ("collect", "收款")]  # fmt: skip


def build(n: int, tag: str) -> None:
    from _masterdata import create_master_data
    from django.db import connection, transaction
    from django.utils import timezone

    from salesdesk.accounts.models import Department
    from salesdesk.catalog.models import Product
    from salesdesk.customers.models import Customer
    from salesdesk.fulfillment.calendar import WorkCalendar
    from salesdesk.fulfillment.models import Alert, Notification, OrderPlan, PlanStep
    from salesdesk.inventory.models import Warehouse
    from salesdesk.orders.models import SalesOrder, SalesOrderLine

    md = create_master_data(customers=200, products=20, salespeople=10, stock=0, tag="AL")
    customers = list(Customer.objects.filter(code__startswith="ALC").order_by("id")[:200])
    products = list(Product.objects.order_by("id")[:20])
    warehouse = Warehouse.objects.order_by("id").first() or Warehouse.objects.create(
        code="ALWH", name="压测仓"
    )
    dept, _ = Department.objects.get_or_create(code="ALPROD", defaults={"name": "压测生产部"})
    cal = WorkCalendar()
    now = timezone.now()
    today = timezone.localdate(now)

    with transaction.atomic():
        Alert.objects.all().delete()
        Notification.objects.all().delete()
        for model in (PlanStep, OrderPlan, SalesOrderLine, SalesOrder):
            model.objects.filter(**({"number__startswith": "AL"} if model is SalesOrder else {})).delete()

    t0 = time.perf_counter()
    batch = 5000
    for start in range(0, n, batch):
        with transaction.atomic():
            idx = range(start, min(n, start + batch))
            orders = []
            for i in idx:
                c = customers[i % len(customers)]
                awaiting = i % 100 == 7
                orders.append(
                    SalesOrder(
                        number=f"AL{tag}{i:07d}",
                        order_type="standard",
                        status="submitted" if awaiting else "confirmed",
                        approval_status="not_required",
                        confirmation_status="pending" if awaiting else "confirmed",
                        confirmation_sent_at=now - dt.timedelta(hours=48) if awaiting else None,
                        customer=c,
                        customer_code=c.code,
                        customer_name=c.name,
                        owner_id=c.owner_id,
                        created_by=md.admin,
                        order_date=today - dt.timedelta(days=5),
                        promised_date=cal.add_workdays(today, 12 if i % 20 else 3),
                    )
                )
            SalesOrder.objects.bulk_create(orders, batch_size=1000)
            orders = list(SalesOrder.objects.filter(number__in=[o.number for o in orders]).order_by("id"))
            lines, plans = [], []
            for i, o in zip(idx, orders, strict=True):
                p = products[i % len(products)]
                short = i % 50 == 3
                lines.append(
                    SalesOrderLine(
                        order=o,
                        line_no=1,
                        product=p,
                        sku=p.sku,
                        product_name=p.name,
                        unit=p.unit,
                        qty=Decimal(10),
                        unit_price=Decimal(10),
                        list_price=Decimal(10),
                        price_source="list",
                        tax_rate=Decimal("0.13"),
                        warehouse=warehouse,
                        reserved_qty=Decimal(4) if short else Decimal(10),
                    )
                )
                plans.append(OrderPlan(order=o))
            SalesOrderLine.objects.bulk_create(lines, batch_size=1000)
            OrderPlan.objects.bulk_create(plans, batch_size=1000)
            plans = list(OrderPlan.objects.filter(order__in=orders).order_by("order_id"))
            steps = []
            for i, o, plan in zip(idx, orders, plans, strict=True):
                started = i % 2 == 0  # half the orders are part-way through their plan
                day = cal.add_workdays(today, -3) if started else cal.add_workdays(today, 1)
                late = started and i % 20 == 0  # production behind: 3 days of work, 1 day left
                for seq, (code, name) in enumerate(STEPS, 1):
                    due = cal.add_workdays(day, 2)
                    if late and seq == 2:
                        day, due = cal.add_workdays(today, -2), cal.add_workdays(today, 1)
                    if seq == 1 and started:
                        status, progress = "done", 100
                    elif seq == 2 and started:
                        status, progress = "in_progress", (0 if late else 80)
                    else:
                        status, progress = "pending", 0
                    steps.append(
                        PlanStep(
                            plan=plan,
                            order=o,
                            seq=seq,
                            code=code,
                            name=name,
                            department=dept,
                            status=status,
                            planned_start=day,
                            planned_due=due,
                            progress=progress,
                        )
                    )
                    day = due
            PlanStep.objects.bulk_create(steps, batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    print(f"  built {n:,} orders ({n * len(STEPS):,} steps) in {time.perf_counter() - t0:.1f} s", flush=True)


def run(n: int) -> dict[str, object]:
    from salesdesk.fulfillment.alerts import scan_alerts

    build(n, tag=str(n))
    times, results = [], []
    for _ in range(3):
        t = time.perf_counter()
        results.append(scan_alerts())
        times.append(time.perf_counter() - t)
    first = results[0]
    print(
        f"  N={n:,}: scans {', '.join(f'{x:.2f}' for x in times)} s, "
        f"median {statistics.median(times):.2f} s; raised {first.raised:,} {first.by_rule}; "
        f"later scans raised {results[1].raised}, {results[2].raised}",
        flush=True,
    )
    return {"n": n, "times": times, "median": statistics.median(times), "raised": first.raised}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL") or SQLITE_URL
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        call_command("ensure_database")
    call_command("migrate", verbosity=0, interactive=False)
    print(f"alert scan benchmark on {connection.vendor}", flush=True)
    rows = [run(int(s)) for s in args.sizes.split(",")]
    if len(rows) == 2:
        a, b = rows
        ratio = float(b["median"]) / float(a["median"])  # type: ignore[arg-type]
        print(f"  scaling: {int(b['n']) // int(a['n'])}× orders → {ratio:.1f}× time", flush=True)


if __name__ == "__main__":
    main()
