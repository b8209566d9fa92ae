#!/usr/bin/env python
"""Order list and search latency with a large order table (load it first with bench/seed_large.py).

    .venv/bin/python bench/order_list.py                  # against salesdesk_large
    .venv/bin/python bench/order_list.py --repeat 30 --explain

For each filter (none, status, customer, q = number prefix, q = customer-name fragment, phone, product,
date range) and each user (a salesperson: own orders only; the administrator: all orders) it measures
``orders.selectors.page_orders`` (the first page and a later keyset page: ``after`` = the id of the
5th page's last row) and ``GET /api/orders`` through the Django test client (bearer token; the whole
request: authentication, the page, the count, JSON). p50 / p95 over ``--repeat`` calls after one
warm-up call. ``--explain`` prints the PostgreSQL plan of each first-page query.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _masterdata import setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/salesdesk_large"


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float]:
    fn()
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    return statistics.median(samples), samples[max(0, round(0.95 * len(samples)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    setup_django(args.database_url, "bench_settings")

    from django.db import connection
    from django.test import Client

    from salesdesk.accounts.models import User
    from salesdesk.accounts.services import issue_api_token
    from salesdesk.catalog.models import Product
    from salesdesk.orders import selectors
    from salesdesk.orders.models import SalesOrder

    total = SalesOrder.objects.count()
    sales = User.objects.get(username="lsales3")
    admin = User.objects.get(username="ladmin")
    own = SalesOrder.objects.filter(owner=sales).order_by("-id").first()
    assert own is not None, "load orders with bench/seed_large.py first"
    rare = (
        SalesOrder.objects.filter(owner=sales)
        .values("customer_id")
        .order_by()
        .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("id"))
        .order_by("n")
        .first()
    )
    fragment = own.customer_name[2:6]  # e.g. "华信锦程": brand part of the name
    number_prefix = own.number[:12]  # XSDD + date: the orders of one day
    phone = own.ship_mobile[-8:]
    product = Product.objects.filter(sku__startswith="LP").order_by("-id").first()
    month_end = own.order_date
    month_start = month_end.replace(day=1)
    filters: list[tuple[str, dict[str, Any], dict[str, str]]] = [
        ("none", {}, {}),
        ("status=submitted", {"status": "submitted"}, {"status": "submitted"}),
        ("customer (busiest)", {"customer": own.customer_id}, {"customer": str(own.customer_id)}),
        ("customer (quietest)", {"customer": rare["customer_id"]}, {"customer": str(rare["customer_id"])}),
        ("q=number prefix", {"q": number_prefix}, {"q": number_prefix}),
        ("q=name fragment", {"q": fragment}, {"q": fragment}),
        ("phone", {"phone": phone}, {"phone": phone}),
        ("product", {"product": product.pk}, {"product": str(product.pk)}),
        (
            "date range (1 month)",
            {"date_from": month_start, "date_to": month_end},
            {"date_from": month_start.isoformat(), "date_to": month_end.isoformat()},
        ),
    ]
    print(
        f"{total:,} orders; salesperson {sales.username} owns "
        f"{SalesOrder.objects.filter(owner=sales).count():,}; fragment {fragment!r}, "
        f"prefix {number_prefix!r}, "
        f"phone {phone!r}, product {product.sku}"
    )
    print()
    print(
        "| user | filter | page_orders first p50 / p95 ms | keyset page 6 p50 / p95 ms "
        "| GET /api/orders p50 / p95 ms | count in API |"
    )
    print("|---|---|---:|---:|---:|---:|")
    for user in (sales, admin):
        token = issue_api_token(user=user)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        for label, kw, params in filters:
            first = timed(lambda user=user, kw=kw: selectors.page_orders(user=user, **kw), args.repeat)
            after = None
            for _ in range(5):
                _rows, after = selectors.page_orders(user=user, after=after, **kw)
                if after is None:
                    break
            later = (
                timed(
                    lambda user=user, after=after, kw=kw: selectors.page_orders(user=user, after=after, **kw),
                    args.repeat,
                )
                if after
                else None
            )

            def api(client: Any = client, params: dict[str, str] = params) -> Any:
                response = client.get("/api/orders", params)
                assert response.status_code == 200, response.content
                return response

            api_t = timed(api, args.repeat)
            count = api().json()["count"]
            later_s = f"{later[0]:.1f} / {later[1]:.1f}" if later else "(one page)"
            print(
                f"| {user.username} | {label} | {first[0]:.1f} / {first[1]:.1f} | {later_s} "
                f"| {api_t[0]:.1f} / {api_t[1]:.1f} | {count:,} |",
                flush=True,
            )
            if args.explain:
                qs = selectors.list_orders(user=user, **kw)[:51]
                with connection.cursor() as cur:
                    sql, sql_params = qs.query.sql_with_params()
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql, sql_params)
                    print("\n".join("    " + r[0] for r in cur.fetchall()))


if __name__ == "__main__":
    main()
