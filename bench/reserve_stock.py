#!/usr/bin/env python
"""Concurrent stock reservations against PostgreSQL: throughput, oversells, and a bare-SQL baseline.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/salesdesk_bench .venv/bin/python bench/reserve_stock.py

The database is created and migrated when missing. Two scenarios:

* plenty: a product with stock that cannot run out; 1, 8 and 32 threads (each with its own DB
  connection) call ``reserve_stock`` for 1 unit in a loop for ``--seconds`` per run, ``--runs``
  runs each; reservations per second is the median of the runs. The baseline does the same with one
  conditional ``UPDATE … SET reserved_qty = reserved_qty + 1 WHERE … AND on_hand_qty - reserved_qty
  >= 1`` per call through psycopg, without Django, without a ledger row.
* scarce: ``--scarce`` units, 32 threads reserving until refused; oversells = successes beyond the
  stock, plus a check that the level equals the ledger. Must be 0.

Every thread is a real OS thread; the Python work of the service runs under the GIL, the waiting
on PostgreSQL (row locks, I/O) does not.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.dev"
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/salesdesk_bench")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

WORKERS = (1, 8, 32)


def _prepare() -> None:
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        sys.exit("bench/reserve_stock.py needs DATABASE_URL pointing at PostgreSQL")
    settings.DEBUG = False  # no query log in memory while benchmarking
    call_command("ensure_database")
    call_command("migrate", verbosity=0, interactive=False)


def _level(tag: str, on_hand: int) -> tuple[Any, Any, int]:
    """A fresh product and warehouse with ``on_hand`` units received through the service."""
    from salesdesk.catalog.models import Product
    from salesdesk.inventory import services
    from salesdesk.inventory.models import StockLevel, Warehouse

    stamp = f"{tag}-{time.time_ns()}"
    product = Product.objects.create(
        sku=f"BENCH-{stamp}"[:40], name="压测商品", unit="个", list_price=Decimal("10")
    )
    code = f"B{time.time_ns() % 10**12}"
    warehouse = Warehouse.objects.create(code=code, name="压测仓")
    services.receive_stock(by=None, warehouse=warehouse, lines=[(product, on_hand)], reference=f"BENCH-{tag}")
    level = StockLevel.objects.get(product=product, warehouse=warehouse)
    return product, warehouse, level.pk


def _run_threads(
    workers: int, seconds: float, make_worker: Callable[[int, threading.Event], Callable[[], int]]
) -> int:
    stop = threading.Event()
    counts = [0] * workers
    barrier = threading.Barrier(workers + 1)

    def body(index: int) -> None:
        call = make_worker(index, stop)
        barrier.wait()
        counts[index] = call()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    barrier.wait()
    if seconds > 0:
        time.sleep(seconds)
        stop.set()
    for thread in threads:
        thread.join()
    return sum(counts)


def _service_worker(product: Any, warehouse: Any) -> Callable[[int, threading.Event], Callable[[], int]]:
    from salesdesk.inventory import services
    from salesdesk.inventory.errors import InsufficientStock

    def make(index: int, stop: threading.Event) -> Callable[[], int]:
        def loop() -> int:
            done = 0
            try:
                while not stop.is_set():
                    try:
                        services.reserve_stock(
                            product=product, warehouse=warehouse, qty=1, reference=f"BENCH-{index}-{done}"
                        )
                    except InsufficientStock:
                        break
                    done += 1
            finally:
                connection.close()
            return done

        return loop

    return make


def _dsn() -> str:
    db = settings.DATABASES["default"]
    parts = {
        "host": db.get("HOST"),
        "port": db.get("PORT"),
        "user": db.get("USER"),
        "password": db.get("PASSWORD"),
    }
    dsn = " ".join(f"{k}={v}" for k, v in parts.items() if v)
    return f"{dsn} dbname={db['NAME']}"


def _sql_worker(level_id: int) -> Callable[[int, threading.Event], Callable[[], int]]:
    import psycopg

    sql = (
        "UPDATE inventory_stocklevel SET reserved_qty = reserved_qty + 1 "
        "WHERE id = %s AND on_hand_qty - reserved_qty >= 1"
    )

    def make(index: int, stop: threading.Event) -> Callable[[], int]:
        conn = psycopg.connect(_dsn(), autocommit=True)

        def loop() -> int:
            done = 0
            try:
                while not stop.is_set():
                    if conn.execute(sql, [level_id]).rowcount != 1:
                        break
                    done += 1
            finally:
                conn.close()
            return done

        return loop

    return make


def plenty(seconds: float, runs: int) -> list[tuple[int, float, float]]:
    rows = []
    for workers in WORKERS:
        service_rates, sql_rates = [], []
        for _run in range(runs):
            product, warehouse, _level_id = _level("svc", 10**9)
            service_rates.append(
                _run_threads(workers, seconds, _service_worker(product, warehouse)) / seconds
            )
            _p, _w, level_id = _level("sql", 10**9)
            sql_rates.append(_run_threads(workers, seconds, _sql_worker(level_id)) / seconds)
        rows.append((workers, statistics.median(service_rates), statistics.median(sql_rates)))
    return rows


def scarce(units: int, workers: int) -> dict[str, Any]:
    from salesdesk.inventory.models import StockLevel
    from salesdesk.inventory.selectors import ledger_balance

    product, warehouse, level_id = _level("scarce", units)
    started = time.perf_counter()
    service_ok = _run_threads(workers, 0, _service_worker(product, warehouse))
    service_s = time.perf_counter() - started
    level = StockLevel.objects.get(pk=level_id)
    balance = ledger_balance(product=product, warehouse=warehouse)
    _p, _w, sql_level_id = _level("scarce-sql", units)
    sql_ok = _run_threads(workers, 0, _sql_worker(sql_level_id))
    sql_level = StockLevel.objects.get(pk=sql_level_id)
    return {
        "units": units,
        "workers": workers,
        "service_ok": service_ok,
        "service_oversell": max(0, service_ok - units) + max(0, int(level.reserved_qty - level.on_hand_qty)),
        "ledger_matches": (balance.on_hand, balance.reserved) == (level.on_hand_qty, level.reserved_qty),
        "reserved": level.reserved_qty,
        "service_s": service_s,
        "sql_ok": sql_ok,
        "sql_oversell": max(0, sql_ok - units) + max(0, int(sql_level.reserved_qty - sql_level.on_hand_qty)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one run (default 3)")
    parser.add_argument("--runs", type=int, default=3, help="runs per worker count (default 3)")
    parser.add_argument("--scarce", type=int, default=500, help="units in the scarce scenario (default 500)")
    args = parser.parse_args()
    _prepare()
    began = time.perf_counter()
    print(f"PostgreSQL {connection.cursor().connection.info.server_version}, Python {sys.version.split()[0]}")
    print(f"plenty of stock: {args.runs} runs x {args.seconds:g} s per worker count, median reservations/s\n")
    print("| workers | reserve_stock (service) /s | bare SQL UPDATE /s | service / baseline |")
    print("|---:|---:|---:|---:|")
    for workers, service, sql in plenty(args.seconds, args.runs):
        print(f"| {workers} | {service:,.0f} | {sql:,.0f} | {service / sql:.2f} |")
    result = scarce(args.scarce, 32)
    units, workers = result["units"], result["workers"]
    print(f"\nscarce stock: {units} units, {workers} threads reserving 1 unit until refused\n")
    print("| path | reservations | oversells | notes |")
    print("|---|---:|---:|---|")
    print(
        f"| reserve_stock | {result['service_ok']} | {result['service_oversell']} | "
        f"reserved = {result['reserved']:.0f}, ledger matches: {result['ledger_matches']}, "
        f"{result['service_s']:.2f} s |"
    )
    print(f"| bare SQL UPDATE | {result['sql_ok']} | {result['sql_oversell']} | |")
    print(f"\ntotal {time.perf_counter() - began:.0f} s")
    if result["service_oversell"] or result["sql_oversell"] or not result["ledger_matches"]:
        sys.exit("OVERSOLD or ledger mismatch")


if __name__ == "__main__":
    main()
