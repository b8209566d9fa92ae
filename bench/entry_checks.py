#!/usr/bin/env python
"""The reads every order creation makes, timed with a large order table (load it first with
bench/seed_large.py), so that taking an order does not slow down as the history grows.

    .venv/bin/python bench/entry_checks.py                 # against salesdesk_large
    .venv/bin/python bench/entry_checks.py --repeat 50 --explain

For a customer with many orders and five of the most-ordered products it times, p50 / p95 over
``--repeat`` calls after one warm-up call:

* ``products_sold_before`` (the "new product" approval rule, a primary-key lookup in
  ``ProductFirstSale``) — and, as baselines in the same run, the two queries it replaced: a
  ``DISTINCT`` over the products' order lines (which returned every line: the lines' default ordering
  went into the DISTINCT), then one ``EXISTS`` per product;
* ``has_confirmed_order`` (the "new customer" rule), ``credit_used`` (the credit rule), the duplicate
  check of ``create_order`` (same PO / same lines within 10 minutes);
* a whole ``quote_order`` for five lines (pricing, approval reasons), which runs all of the above.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _masterdata import setup_django
from order_list import timed

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/salesdesk_large"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    setup_django(args.database_url, "bench_settings")

    from django.db.models import Count, Exists, OuterRef

    from salesdesk.accounts.models import User
    from salesdesk.catalog.models import Product
    from salesdesk.customers.models import Customer
    from salesdesk.orders import selectors, services
    from salesdesk.orders.models import SalesOrder, SalesOrderLine

    orders = SalesOrder.objects.count()
    top = (
        SalesOrderLine.objects.values("product_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("product_id", "n")[:5]
    )
    products = [pk for pk, _n in top]
    lines_of_them = sum(n for _pk, n in top)
    busiest = (
        SalesOrder.objects.values("customer_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .values_list("customer_id", "n")[:1]
    )
    customer_id, customer_orders = busiest[0]
    customer = Customer.objects.get(pk=customer_id)
    owner = customer.owner or User.objects.filter(is_superuser=True).first()
    quote = services.quote_order(
        by=owner, customer=customer, lines=[{"product": p, "qty": "2"} for p in products]
    )
    print(
        f"{orders:,} orders; the 5 products are on {lines_of_them:,} lines; the customer has "
        f"{customer_orders:,} orders"
    )

    def old_sold_before() -> set[int]:
        return set(
            SalesOrderLine.objects.filter(product_id__in=products, order__confirmed_at__isnull=False)
            .values_list("product_id", flat=True)
            .distinct()
        )

    def exists_sold_before() -> set[int]:
        sold = SalesOrderLine.objects.filter(product_id=OuterRef("pk"), order__confirmed_at__isnull=False)
        return set(Product.objects.filter(pk__in=products).filter(Exists(sold)).values_list("pk", flat=True))

    checks = {
        "products_sold_before (ProductFirstSale)": lambda: selectors.products_sold_before(
            product_ids=products
        ),
        "baseline: the first replaced query (DISTINCT over lines)": old_sold_before,
        "baseline: the second replaced query (EXISTS per product)": exists_sold_before,
        "has_confirmed_order": lambda: selectors.has_confirmed_order(customer=customer),
        "credit_used": lambda: selectors.credit_used(customer=customer),
        "duplicate check": lambda: services._duplicates(customer, "PO-NOT-THERE", quote),
        "quote_order, 5 lines": lambda: services.quote_order(
            by=owner, customer=customer, lines=[{"product": p, "qty": "2"} for p in products]
        ),
    }
    assert selectors.products_sold_before(product_ids=products) == old_sold_before() == exists_sold_before()
    print()
    print("| read | p50 ms | p95 ms |")
    print("|---|---:|---:|")
    for name, fn in checks.items():
        p50, p95 = timed(fn, args.repeat)
        print(f"| {name} | {p50:.1f} | {p95:.1f} |")
    if args.explain:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        for name, fn in checks.items():
            with CaptureQueriesContext(connection) as ctx:
                fn()
            print(f"\n== {name}: {len(ctx.captured_queries)} queries")
            for q in ctx.captured_queries:
                with connection.cursor() as cur:
                    cur.execute("EXPLAIN ANALYZE " + q["sql"])
                    print("\n".join(row[0] for row in cur.fetchall()))


if __name__ == "__main__":
    main()
