#!/usr/bin/env python
"""What one read of the order entry path costs in this process, by how it is written: the customer
read as ``orders.services._resolve_customer`` does it (ORM, data scope, owner joined), the same without
the join, ``Model.objects.raw`` with hand-written SQL, and a bare cursor. Median CPU and wall ms per
read over several rounds, the variants alternated.

    .venv/bin/python bench/orm_overhead.py                 # 5 rounds × 500 reads per variant
    .venv/bin/python bench/orm_overhead.py --rounds 3 --reads 200

Uses ``salesdesk_bench_profile`` (dropped and re-created, the same set-up as order_entry.py).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/salesdesk_bench_profile"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reads", type=int, default=500)
    args = parser.parse_args()

    import order_entry

    order_entry.setup(args.database_url)
    from django.db import connection

    from salesdesk.accounts.models import User
    from salesdesk.accounts.scope import owner_scope_q
    from salesdesk.accounts.services import load_access
    from salesdesk.customers.models import Customer

    user = User.objects.get(username="esales1")
    load_access(user)
    pk = Customer.objects.filter(owner=user).values_list("pk", flat=True).first()
    table = Customer._meta.db_table
    sql = f"SELECT * FROM {table} WHERE id = %s AND owner_id = %s"

    def orm_as_the_service() -> None:
        found = Customer.objects.filter(owner_scope_q(user)).select_related("owner").filter(pk=pk).first()
        assert found is not None

    def orm_without_join() -> None:
        assert Customer.objects.filter(owner_scope_q(user)).filter(pk=pk).first() is not None

    def model_raw() -> None:
        assert len(list(Customer.objects.raw(sql, [pk, user.pk]))) == 1

    def cursor() -> None:
        with connection.cursor() as cur:
            cur.execute(sql, [pk, user.pk])
            assert cur.fetchone() is not None

    variants: list[Callable[[], None]] = [orm_as_the_service, orm_without_join, model_raw, cursor]
    cpu: dict[str, list[float]] = {v.__name__: [] for v in variants}
    wall: dict[str, list[float]] = {v.__name__: [] for v in variants}
    for _round in range(args.rounds):
        for variant in variants:
            for _ in range(50):  # warm
                variant()
            started, used = time.perf_counter(), time.process_time()
            for _ in range(args.reads):
                variant()
            wall[variant.__name__].append((time.perf_counter() - started) * 1000 / args.reads)
            cpu[variant.__name__].append((time.process_time() - used) * 1000 / args.reads)
    base = statistics.median(cpu["orm_as_the_service"])
    print(f"one customer read, {args.rounds} rounds × {args.reads} reads, medians (ms per read)\n")
    print("| variant | CPU ms | wall ms | CPU ÷ ORM as the service |")
    print("|---|---:|---:|---:|")
    for variant in variants:
        name = variant.__name__
        c, w = statistics.median(cpu[name]), statistics.median(wall[name])
        print(f"| {name} | {c:.3f} | {w:.3f} | {c / base:.2f} |")


if __name__ == "__main__":
    main()
