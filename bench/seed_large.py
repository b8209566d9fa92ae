#!/usr/bin/env python
"""Load a large order history into PostgreSQL quickly (COPY), for the order list / search benchmarks.

    .venv/bin/python bench/seed_large.py                 # 1,000,000 orders into salesdesk_large
    .venv/bin/python bench/seed_large.py --orders 100000 --database-url postgres://…/other

Creates and migrates the database when missing, then adds (once) 8 salespeople in one team with their
manager and an administrator, 2,000 customers (each with a contact and an address, owned round-robin by
the salespeople), 200 products, and then ``--orders`` orders with 1–5 lines (3 on average) spread over
the last two years, via ``COPY … FROM STDIN`` straight into ``orders_salesorder`` and
``orders_salesorderline``. Secondary indexes are dropped before the load and rebuilt after it (much
faster than maintaining them row by row), then the tables are ANALYZEd.

The rows are valid as the services would write them: numbers XSDD<date>-<seq> unique per day with
``core_sequence`` set to the last value of each day (so new orders continue the sequence), per line
amount = net + tax with 13 % VAT rounded half-up to the 分, order totals = Σ lines, statuses mixed with
consistent approval / confirmation / shipping fields, customer / contact / address snapshots copied from
the customer. Orders get no timeline rows (they are not needed by the list).

Customers are not equally busy: a Zipf-like weight gives a few customers thousands of orders and most
of them a few hundred. Deterministic (seeded random).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _masterdata import REGION, create_master_data, prepare_database, setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/salesdesk_large"

ORDER_COLUMNS = [
    "id",
    "number",
    "order_type",
    "status",
    "approval_status",
    "confirmation_status",
    "shipping_status",
    "billing_status",
    "payment_status",
    "version",
    "customer_code",
    "customer_name",
    "customer_uscc",
    "customer_grade",
    "invoice_info",
    "contact_name",
    "contact_phone",
    "ship_region_code",
    "ship_region_text",
    "ship_address_detail",
    "ship_receiver",
    "ship_mobile",
    "order_date",
    "requested_date",
    "promised_date",
    "price_mode",
    "customer_po",
    "payment_term_days",
    "remark",
    "internal_note",
    "order_discount_amount",
    "round_off_amount",
    "gross_amount",
    "discount_amount",
    "total_amount",
    "net_amount",
    "tax_amount",
    "approval_reasons",
    "submitted_at",
    "approved_at",
    "confirmed_at",
    "confirmation_sent_at",
    "confirmation_expires_at",
    "confirmation_nonce",
    "customer_confirmed_at",
    "customer_feedback",
    "hold_reason",
    "cancel_reason",
    "close_reason",
    "cancelled_at",
    "closed_at",
    "idempotency_key",
    "created_at",
    "updated_at",
    "address_id",
    "approved_by_id",
    "copied_from_id",
    "created_by_id",
    "customer_id",
    "owner_id",
]
LINE_COLUMNS = [
    "id",
    "line_no",
    "sku",
    "product_name",
    "spec",
    "unit",
    "tax_code",
    "qty",
    "unit_price",
    "list_price",
    "floor_price",
    "price_source",
    "price_list_id",
    "discount_rate",
    "tax_rate",
    "gross_amount",
    "discount_amount",
    "order_discount_share",
    "amount",
    "net_amount",
    "tax_amount",
    "is_below_floor",
    "reserved_qty",
    "shipped_qty",
    "invoiced_qty",
    "is_closed",
    "remark",
    "order_id",
    "product_id",
    "warehouse_id",
]

# (status, approval, confirmation, shipping, billing, payment, weight) for orders older than 30 days;
# recent orders have more drafts and open orders.
OLD_MIX = [
    ("completed", "not_required", "confirmed", "delivered", "billed", "paid", 70),
    ("confirmed", "not_required", "confirmed", "shipped", "billed", "partial", 8),
    ("closed", "approved", "confirmed", "partial", "partial", "partial", 4),
    ("cancelled", "not_required", "not_sent", "not_shipped", "not_billed", "unpaid", 8),
    ("completed", "approved", "confirmed", "delivered", "billed", "paid", 10),
]
NEW_MIX = [
    ("draft", "not_required", "not_sent", "not_shipped", "not_billed", "unpaid", 10),
    ("submitted", "pending", "not_sent", "not_shipped", "not_billed", "unpaid", 8),
    ("submitted", "not_required", "pending", "not_shipped", "not_billed", "unpaid", 10),
    ("confirmed", "not_required", "confirmed", "not_shipped", "not_billed", "unpaid", 30),
    ("confirmed", "approved", "confirmed", "partial", "not_billed", "unpaid", 10),
    ("on_hold", "not_required", "confirmed", "not_shipped", "not_billed", "unpaid", 2),
    ("cancelled", "not_required", "not_sent", "not_shipped", "not_billed", "unpaid", 5),
    ("completed", "not_required", "confirmed", "delivered", "billed", "paid", 25),
]


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def net_of(amount_cents: int) -> int:
    """Net of 13 % VAT, ROUND_HALF_UP to the 分 (exact integer arithmetic)."""
    return (amount_cents * 200 + 113) // 226


def generate(args: argparse.Namespace, md, order_file, line_file, first_order_id: int, first_line_id: int):  # type: ignore[no-untyped-def]
    """Write COPY text for orders and lines; returns {day: last sequence value}."""
    rnd = random.Random(20261122)
    customers = md.customers
    weights = [1.0 / (rank + 1) ** 0.6 for rank in range(len(customers))]
    rnd.shuffle(weights)
    products = md.products
    pweights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(products))]
    today = dt.date.today()
    days = 730
    start = today - dt.timedelta(days=days - 1)
    n = args.orders
    # dates ascending with the id, like real entry; customers drawn by weight
    day_of = sorted(rnd.randrange(days) for _ in range(n))
    cust_idx = rnd.choices(range(len(customers)), weights=weights, k=n)
    cust_cache = {}
    for i, c in enumerate(customers):
        contact = c.contacts.all()[0]
        address = c.addresses.all()[0]
        cust_cache[i] = (
            c.code,
            c.name,
            contact.name,
            contact.mobile,
            address.detail,
            address.receiver,
            address.mobile,
            str(address.pk),
            str(c.pk),
            str(c.owner_id),
        )
    prod_rows = [
        (str(p.pk), p.sku, p.name, p.spec, p.unit, int(p.list_price * 100), f"{p.list_price}")
        for p in products
    ]
    old_mix = [m[:6] for m in OLD_MIX]
    old_w = [m[6] for m in OLD_MIX]
    new_mix = [m[:6] for m in NEW_MIX]
    new_w = [m[6] for m in NEW_MIX]
    statuses_old = rnd.choices(old_mix, weights=old_w, k=n)
    statuses_new = rnd.choices(new_mix, weights=new_w, k=n)
    line_counts = rnd.choices([1, 2, 3, 4, 5], weights=[15, 20, 30, 20, 15], k=n)
    last_seq: dict[int, int] = {}
    order_buf: list[str] = []
    line_buf: list[str] = []
    oid = first_order_id
    lid = first_line_id
    n_lines = 0
    region_text = "广东省深圳市南山区"
    for k in range(n):
        d = day_of[k]
        seq = last_seq.get(d, 0) + 1
        last_seq[d] = seq
        day = start + dt.timedelta(days=d)
        daystr = day.isoformat()
        ts = f"{daystr} {9 + k % 9:02d}:{k % 60:02d}:00+08"
        code, cname, contact, cphone, detail, receiver, mobile, addr_id, cust_id, owner = cust_cache[
            cust_idx[k]
        ]
        status, approval, conf, ship, bill, pay = statuses_new[k] if (days - d) <= 30 else statuses_old[k]
        count = line_counts[k]
        chosen = rnd.choices(prod_rows, weights=pweights, k=count)
        total = net_total = 0
        for no, (pid, sku, pname, spec, unit, price_c, price_s) in enumerate(chosen, start=1):
            qty = rnd.randint(1, 20)
            amount = qty * price_c
            net = net_of(amount)
            tax = amount - net
            total += amount
            net_total += net
            reserved = str(qty) if status in ("confirmed", "on_hold") and ship == "not_shipped" else "0"
            shipped = str(qty) if ship in ("delivered", "shipped") else "0"
            invoiced = str(qty) if bill == "billed" else "0"
            line_buf.append(
                f"{lid}\t{no}\t{sku}\t{pname}\t{spec}\t{unit}\t\t{qty}\t{price_s}\t{price_s}\t\\N\tlist\t\\N\t0"
                f"\t0.13\t{money(amount)}\t0.00\t0.00\t{money(amount)}\t{money(net)}\t{money(tax)}\tf"
                f"\t{reserved}\t{shipped}\t{invoiced}\t{'t' if status == 'closed' else 'f'}\t\t{oid}\t{pid}"
                f"\t{md.warehouse.pk if reserved != '0' or shipped != '0' else chr(92) + 'N'}\n"
            )
            lid += 1
        n_lines += count
        tax_total = total - net_total
        submitted = ts if status != "draft" else "\\N"
        approved_at = ts if approval == "approved" else "\\N"
        approved_by = str(md.manager.pk) if approval == "approved" else "\\N"
        confirmed_at = ts if status in ("confirmed", "completed", "closed", "on_hold") else "\\N"
        cust_conf = ts if conf == "confirmed" else "\\N"
        cancelled_at = ts if status == "cancelled" else "\\N"
        closed_at = ts if status == "closed" else "\\N"
        reasons = '[{"code": "amount", "detail": {}}]' if approval != "not_required" else "[]"
        po = f"PO{k:07d}" if k % 3 == 0 else ""
        order_buf.append(
            f"{oid}\tXSDD{day:%Y%m%d}-{seq:04d}\tstandard\t{status}\t{approval}\t{conf}\t{ship}\t{bill}\t{pay}"
            f"\t1\t{code}\t{cname}\t\tB\t{{}}\t{contact}\t{cphone}\t{REGION}\t{region_text}\t{detail}"
            f"\t{receiver}\t{mobile}\t{daystr}\t\\N\t\\N\ttax_included\t{po}\t\\N\t\t\t0.00\t0.00"
            f"\t{money(total)}\t0.00\t{money(total)}\t{money(net_total)}\t{money(tax_total)}\t{reasons}"
            f"\t{submitted}\t{approved_at}\t{confirmed_at}\t\\N\t\\N\tn{oid:x}\t{cust_conf}\t\t\t"
            f"{'客户取消' if status == 'cancelled' else ''}\t{'短交关闭' if status == 'closed' else ''}"
            f"\t{cancelled_at}\t{closed_at}\t\\N\t{ts}\t{ts}\t{addr_id}\t{approved_by}\t\\N\t{owner}"
            f"\t{cust_id}\t{owner}\n"
        )
        oid += 1
        if len(order_buf) >= 5000:
            order_file.write("".join(order_buf))
            line_file.write("".join(line_buf))
            order_buf.clear()
            line_buf.clear()
    order_file.write("".join(order_buf))
    line_file.write("".join(line_buf))
    return {start + dt.timedelta(days=d): v for d, v in last_seq.items()}, n_lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--salespeople", type=int, default=8)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()

    t0 = time.monotonic()
    setup_django(args.database_url)
    prepare_database()
    from django.db import connection, transaction

    from salesdesk.customers.models import Customer
    from salesdesk.orders.models import SalesOrder

    md = create_master_data(
        customers=args.customers, products=args.products, salespeople=args.salespeople, tag="L"
    )
    md.customers = list(
        Customer.objects.filter(pk__in=[c.pk for c in md.customers]).prefetch_related("contacts", "addresses")
    )
    if SalesOrder.objects.filter(number__startswith="XSDD").exists():
        print(f"orders already loaded: {SalesOrder.objects.count():,} (drop the database to reload)")
        return
    print(f"master data ready in {time.monotonic() - t0:.1f}s; loading {args.orders:,} orders …", flush=True)

    with transaction.atomic(), connection.cursor() as cur:
        raw = cur.cursor  # the psycopg cursor
        raw.execute("SET LOCAL session_replication_role = replica")  # no FK triggers during the load
        raw.execute("SET LOCAL maintenance_work_mem = '256MB'")
        index_sql: list[str] = []
        for table in ("orders_salesorder", "orders_salesorderline"):
            raw.execute(
                """
                SELECT i.indexname, i.indexdef FROM pg_indexes i
                WHERE i.tablename = %s AND NOT EXISTS (
                    SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
                """,
                [table],
            )
            for name, definition in raw.fetchall():
                index_sql.append(definition)
                raw.execute(f'DROP INDEX "{name}"')
        raw.execute("SELECT nextval('orders_salesorder_id_seq'), nextval('orders_salesorderline_id_seq')")
        first_order, first_line = raw.fetchone()
        t1 = time.monotonic()
        # one COPY at a time per connection: orders stream straight in, lines go through a temp file
        with tempfile.TemporaryFile("w+", encoding="utf-8") as line_file:
            with raw.copy(f"COPY orders_salesorder ({', '.join(ORDER_COLUMNS)}) FROM STDIN") as order_copy:
                sequences, n_lines = generate(args, md, order_copy, line_file, first_order, first_line)
            print(f"orders copied in {time.monotonic() - t1:.1f}s", flush=True)
            line_file.seek(0)
            with raw.copy(f"COPY orders_salesorderline ({', '.join(LINE_COLUMNS)}) FROM STDIN") as line_copy:
                while chunk := line_file.read(1 << 20):
                    line_copy.write(chunk)
        print(
            f"COPY done in {time.monotonic() - t1:.1f}s ({n_lines:,} lines); rebuilding indexes …", flush=True
        )
        raw.execute(
            "SELECT setval('orders_salesorder_id_seq', %s), setval('orders_salesorderline_id_seq', %s)",
            [first_order + args.orders, first_line + n_lines],
        )
        t2 = time.monotonic()
        for definition in index_sql:
            raw.execute(definition)
        print(f"indexes rebuilt in {time.monotonic() - t2:.1f}s", flush=True)
        with raw.copy("COPY core_sequence (prefix, day, last_value) FROM STDIN") as seq_copy:
            for day, value in sequences.items():
                seq_copy.write_row(("XSDD", day, value))
    t4 = time.monotonic()
    from salesdesk.orders.services import rebuild_first_sales

    added = rebuild_first_sales()  # the orders went in by COPY, past the confirm service
    print(f"first sales of {added} products recorded in {time.monotonic() - t4:.1f}s", flush=True)
    t3 = time.monotonic()
    with connection.cursor() as cur:
        cur.execute("ANALYZE orders_salesorder")
        cur.execute("ANALYZE orders_salesorderline")
        cur.execute("ANALYZE core_sequence")
    print(f"ANALYZE in {time.monotonic() - t3:.1f}s; total {time.monotonic() - t0:.1f}s", flush=True)


if __name__ == "__main__":
    main()
