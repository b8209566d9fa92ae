#!/usr/bin/env python
"""The order_entry flow in-process (Django test client, real middleware and auth), statement counts per
request and, with ``--profile``, a pyinstrument profile of N flows.

    .venv/bin/python bench/profile_flow.py                  # statements per request (2 warm flows)
    .venv/bin/python bench/profile_flow.py --profile 30     # + pyinstrument over 30 flows
    .venv/bin/python bench/profile_flow.py --sql confirm    # print the SQL of one request
    .venv/bin/python bench/profile_flow.py --one --time 150 # median ms, CPU of this process and of
                                                            # its PostgreSQL backend per request
    .venv/bin/python bench/profile_flow.py --one --explain 100  # PostgreSQL planning/execution per statement

Uses ``salesdesk_bench_profile`` (dropped and re-created, the same set-up as order_entry.py).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/salesdesk_bench_profile"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--profile", type=int, default=0)
    parser.add_argument("--sql", default="", help="print the SQL of one request, with each statement's time")
    parser.add_argument("--warm", type=int, default=1, help="flows before the counted one (bigger tables)")
    parser.add_argument(
        "--one", action="store_true", help="the one-request flow (POST /api/orders with confirm)"
    )
    parser.add_argument("--cprofile", type=int, default=0, help="cProfile N flows: top own time")
    parser.add_argument("--time", type=int, default=0, help="time N flows: median ms per request")
    parser.add_argument(
        "--explain",
        type=int,
        default=0,
        help="N flows: PostgreSQL's planning and execution time of each statement (EXPLAIN ANALYZE in a "
        "savepoint before it runs), median per flow",
    )
    parser.add_argument(
        "--hold",
        type=int,
        default=0,
        help="N flows: how long the day's number row is held (from the number's statement to the end of "
        "COMMIT) and its parts, median ms",
    )
    parser.add_argument(
        "--gc",
        type=int,
        default=0,
        help="N flows, then gc.freeze() and N flows more: the garbage collector's pauses by generation "
        "(what config/wsgi.py's freeze changes for a worker)",
    )
    args = parser.parse_args()

    import order_entry

    ctx = order_entry.setup(args.database_url)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    spec = ctx["clients"][0]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {spec['token']}")
    rnd = random.Random(1)

    timings: dict[str, list[float]] = {}
    cpu_timings: dict[str, list[float]] = {}

    def flow(capture: bool, timed: bool = False) -> dict[str, int]:
        counts: dict[str, int] = {}
        body = {"customer": rnd.choice(spec["customers"]), "lines": order_entry._lines(rnd, ctx["products"])}
        order_id = None
        note = {"note": "电话确认"}
        if args.one:
            body.update(customer_confirmation="电话确认", confirm=True)
        steps = [
            ("create", "/api/orders", body, {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex}),
            ("submit", "/api/orders/{id}/submit", {}, {}),
            (
                "record_customer_confirmation",
                "/api/orders/{id}/record_customer_confirmation",
                note,
                {},
            ),
            ("confirm", "/api/orders/{id}/confirm", {}, {}),
        ]
        if args.one:
            steps = steps[:1]
        for name, path, payload, extra in steps:
            url = path.format(id=order_id)
            if timed:
                started, cpu = time.perf_counter(), time.process_time()
                resp = client.post(url, json.dumps(payload), content_type="application/json", **extra)
                timings.setdefault(name, []).append((time.perf_counter() - started) * 1000)
                cpu_timings.setdefault(name, []).append((time.process_time() - cpu) * 1000)
                assert resp.status_code in (200, 201), (name, resp.status_code, resp.content[:500])
                if order_id is None:
                    order_id = resp.json()["id"]
                continue
            with CaptureQueriesContext(connection) as ctxq:
                resp = client.post(url, json.dumps(payload), content_type="application/json", **extra)
            assert resp.status_code in (200, 201), (name, resp.status_code, resp.content[:500])
            if order_id is None:
                order_id = resp.json()["id"]
            counts[name] = len(ctxq.captured_queries)
            if capture and name == args.sql:
                for q in ctxq.captured_queries:
                    print(f"{float(q['time']) * 1000:7.2f} ms  {q['sql'][:300]}")
        assert resp.json()["status"] == "confirmed"
        return counts

    for _ in range(args.warm):
        flow(False, timed=True)  # no query capture: the query log would overflow
    timings.clear()
    cpu_timings.clear()
    counts = flow(True)
    print("statements per request:", counts, "total", sum(counts.values()))
    if args.time:
        backend_before = backend_cpu_ms()
        for _ in range(args.time):
            flow(False, timed=True)
        backend_after = backend_cpu_ms()
        medians = {name: statistics.median(values) for name, values in timings.items()}
        print(
            f"median ms per request over {args.time} flows:",
            {name: round(value, 1) for name, value in medians.items()},
            "flow",
            round(sum(medians.values()), 1),
        )
        cpu = {name: statistics.median(values) for name, values in cpu_timings.items()}
        print(
            "median CPU ms of this process (Python, not PostgreSQL) per request:",
            {name: round(value, 1) for name, value in cpu.items()},
            "flow",
            round(sum(cpu.values()), 1),
        )
        if backend_before is not None and backend_after is not None:
            print(
                "mean CPU ms of the PostgreSQL backend serving this process per flow:",
                round((backend_after - backend_before) / args.time, 1),
            )
    if args.explain:
        explain_statements(flow, args.explain)
    if args.hold:
        number_hold(flow, args.hold)
    if args.gc:
        gc_pauses(flow, args.gc)
    if args.cprofile:
        import cProfile
        import pstats

        from django.db import connection as conn

        print("debug cursor:", conn.force_debug_cursor, "queries_logged:", conn.queries_logged)
        cprof = cProfile.Profile()
        cprof.enable()
        for _ in range(args.cprofile):
            flow(False, timed=True)
        cprof.disable()
        stats = pstats.Stats(cprof)
        stats.sort_stats("tottime").print_stats(400)
        stats.sort_stats("cumulative").print_stats(80)
        print_own_time_by_area(stats, args.cprofile)
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(args.profile):
            flow(False)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))


def backend_cpu_ms() -> float | None:
    """CPU time (user + system, ms) of the PostgreSQL backend process of this connection, from /proc
    (the server runs on this machine); None when it can't be read."""
    import os

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) * 1000 / ticks


def explain_statements(flow: Any, flows: int) -> None:
    """Run each statement of the flows once more under EXPLAIN ANALYZE first (inside the request's
    transaction: in a savepoint rolled back; outside: SELECTs only) and sum PostgreSQL's own planning
    and execution time per kind of statement. COMMIT and the client's time are not in it."""
    import re

    from django.db import connection

    per_kind: dict[str, list[tuple[float, float]]] = {}

    def kind_of(sql: str) -> str:  # "SELECT <first table named>"
        text = re.sub(r"\s+", " ", sql).strip()
        if text.startswith("WITH"):  # "WITH <what the first table named does>"
            table = re.search(r'(SELECT|INSERT INTO|UPDATE) "?(\w+)"?', text)
            return f"WITH {table.group(1)} {table.group(2)}" if table else "WITH ?"
        table = re.search(r'(?:FROM|INTO|UPDATE) "?(\w+)"?', text)
        return f"{text.split()[0]} {table.group(1) if table else '?'}"

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        head = sql.lstrip()[:6].upper()
        cursor = context["cursor"]
        inside = connection.in_atomic_block
        writes = head in ("INSERT", "UPDATE", "DELETE") or head.startswith("WITH")  # WITH: may write
        if not many and (head == "SELECT" or writes) and (inside or head == "SELECT"):
            if inside:
                cursor.execute("SAVEPOINT bench_explain")
            cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
            plan = cursor.fetchone()[0][0]
            if inside:
                cursor.execute("ROLLBACK TO SAVEPOINT bench_explain")
            per_kind.setdefault(kind_of(sql), []).append((plan["Planning Time"], plan["Execution Time"]))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        for _ in range(flows):
            flow(False, timed=True)
    rows = sorted(
        (
            (k, sum(p for p, _e in v) / flows, sum(e for _p, e in v) / flows, len(v) / flows)
            for k, v in per_kind.items()
        ),
        key=lambda r: -(r[1] + r[2]),
    )
    print(f"PostgreSQL time per flow over {flows} flows (EXPLAIN ANALYZE), ms: planning / execution / count")
    for kind, planning, execution, count in rows:
        print(f"  {planning:6.2f} {execution:6.2f}  {count:4.1f}  {kind}")
    print(f"  {sum(r[1] for r in rows):6.2f} {sum(r[2] for r in rows):6.2f}  total")


def gc_pauses(flow: Any, flows: int) -> None:
    """The collector's pauses over ``flows`` flows, then the same after ``gc.freeze()``."""
    import gc

    started = [0.0]
    pauses: dict[int, list[float]] = {}

    def callback(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.setdefault(info["generation"], []).append((time.perf_counter() - started[0]) * 1000)

    gc.callbacks.append(callback)
    try:
        for label in ("as started", "after gc.freeze()"):
            if label != "as started":
                gc.freeze()
            pauses.clear()
            for _ in range(flows):
                flow(False, timed=True)
            print(
                f"garbage collection over {flows} flows, {label} ({len(gc.get_objects())} objects tracked):"
            )
            for generation, values in sorted(pauses.items()):
                print(
                    f"  generation {generation}: {len(values):4d} collections, "
                    f"longest {max(values):7.2f} ms, total {sum(values):7.1f} ms"
                )
    finally:
        gc.callbacks.remove(callback)


def number_hold(flow: Any, flows: int) -> None:
    """Time the number row's hold per create request: from the start of the statement that takes the
    number (the ``core_sequence`` upsert, alone or inside the insert) to the end of COMMIT, split into
    the statements' time (as the client waits for them), the commit, and the client's own time between."""
    from django.db import connection

    marks: list[tuple[str, float, float]] = []  # (kind, start, end)

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            kind = "number" if "core_sequence" in sql else "statement"
            marks.append((kind, started, time.perf_counter()))

    raw_commit = connection.commit

    def commit() -> None:
        started = time.perf_counter()
        try:
            raw_commit()
        finally:
            marks.append(("commit", started, time.perf_counter()))

    parts: dict[str, list[float]] = {
        "hold": [],
        "statements": [],
        "commit": [],
        "client between": [],
        "client after the last statement": [],
    }
    connection.commit = commit  # type: ignore[method-assign]
    try:
        with connection.execute_wrapper(wrapper):
            for _ in range(flows):
                marks.clear()
                flow(False, timed=True)
                start = next(i for i, m in enumerate(marks) if m[0] == "number")
                end = next(i for i, m in enumerate(marks) if i > start and m[0] == "commit")
                held = marks[start : end + 1]
                whole = held[-1][2] - held[0][1]
                statements = sum(m[2] - m[1] for m in held if m[0] != "commit")
                committing = held[-1][2] - held[-1][1]
                last = held[-2]  # the last statement before COMMIT
                for name, value in (
                    ("hold", whole),
                    ("statements", statements),
                    ("commit", committing),
                    ("client between", whole - statements - committing),
                    ("client after the last statement", held[-1][1] - last[2]),
                ):
                    parts[name].append(value * 1000)
    finally:
        del connection.commit
    print(f"number row held per create, median ms over {flows} flows:")
    for name, values in parts.items():
        print(f"  {name:32} {statistics.median(values):6.2f}")


AREAS = (  # first match wins: (label, path fragment)
    ("PostgreSQL round trips (psycopg waiting)", "psycopg/connection.py"),
    ("psycopg (sending, converting)", "/psycopg/"),
    ("Django ORM: building and compiling SQL", "django/db/models/sql/"),
    ("Django ORM: expressions, lookups, fields", "django/db/models/"),
    ("Django database layer (cursor, transactions)", "django/db/"),
    ("Django request handling, middleware, other", "/django/"),
    ("django-ninja and pydantic", "/ninja/"),
    ("django-ninja and pydantic", "/pydantic"),
    ("SalesDesk", "/salesdesk/"),
    ("chinese_calendar", "chinese_calendar"),
)


def print_own_time_by_area(stats: Any, flows: int) -> None:
    """Own (not cumulative) profiled time per flow, summed by where the code lives."""
    totals: dict[str, float] = {}
    for (path, _line, func), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{path}:{func}"
        label = next(
            (name for name, fragment in AREAS if fragment in where),
            "Python built-ins" if path == "~" else "other (standard library, …)",
        )
        totals[label] = totals.get(label, 0.0) + tottime
    whole = sum(totals.values())
    print(f"own time by area, ms per flow under cProfile (total {whole * 1000 / flows:.1f}):")
    for label, seconds in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"  {seconds * 1000 / flows:7.2f}  {seconds / whole:5.1%}  {label}")


if __name__ == "__main__":
    main()
