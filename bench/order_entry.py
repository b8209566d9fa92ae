#!/usr/bin/env python
"""Order entry over HTTP against gunicorn + PostgreSQL, beside a bare-Django baseline, in one run.

    .venv/bin/python bench/order_entry.py                        # 1, 8, 32 clients; 3 runs × 12 s each
    .venv/bin/python bench/order_entry.py --seconds 5 --runs 1   # a quick look
    .venv/bin/python bench/order_entry.py --contenders one,rev,orm --rev HEAD~1 --clients 8 --runs 3
        # this checkout against an earlier revision, alternated in one run

What it does (all on 127.0.0.1; about 5–6 minutes with the defaults):

1. Drops and re-creates the database ``salesdesk_bench_orders`` (``--database-url``), migrates it and
   adds 8 salespeople (one team, one manager), 80 customers (10 per salesperson, each with a contact and
   a default address), 50 products without floor prices (list prices 5.90–204.90, 13 % VAT), stock of
   10⁹ per product in one warehouse, and an API token per salesperson.
   So that no approval rule fires (the benchmark measures the straight path):
   parameter ``approval.new_customer`` = false, and every product is made "sold before" by one real
   order per 5 products taken through create → submit → approve → record confirmation → confirm.
   Order amounts stay far below ``approval.manager_amount``; customers have no credit limit.
2. Starts two gunicorn servers with the same settings (``--workers``, default 2 × cores + 1, sync
   workers, ``bench/bench_settings.py``: base settings with DEBUG off): the application on port 8701
   and ``bench/baseline_app.py`` on port 8702.
3. For 1, 8 and 32 concurrent clients (threads, one ``http.client`` connection each, reconnecting when
   gunicorn closes it), ``--runs`` times ``--seconds`` seconds, alternating application and baseline:

   * application — one *flow* per iteration, the real path a standard order takes to "confirmed":
     ``POST /api/orders`` (5 lines, random products and quantities, bearer token, ``Idempotency-Key``)
     → ``POST /api/orders/{id}/submit`` → ``POST /api/orders/{id}/record_customer_confirmation``
     (note "电话确认": the customer confirmed by phone) → ``POST /api/orders/{id}/confirm`` (reserves the
     five lines). Each response is checked (201/200 and the expected status).
   * baseline — ``POST /order`` of baseline_app.py: insert the order and its five lines, reserve stock.
   * ``rev`` (with ``--rev REV``) — the one-request flow against a third gunicorn on port 8703 serving a
     detached git worktree of REV (in the temporary directory, removed at the end, sharing this
     checkout's virtualenv), on the same database: this checkout's schema and master data. Compare a
     change with the revision before it in one run, alternated, instead of across runs the machine's
     phase moves (docs/benchmarks.md, ninth round). A REV whose code needs another schema can't run
     against this one: compare such a change across two runs, or check out the older one and pass the
     newer as REV.

   Reported per level: orders/s (completed flows ÷ time), p50 / p99 latency of the whole flow and of
   each request, errors (any unexpected status, body or exception). Median over the runs.
"""

from __future__ import annotations

import argparse
import functools
import http.client
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _masterdata import ROOT, create_master_data, prepare_database, setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/salesdesk_bench_orders"
HOST = "127.0.0.1"
APP_PORT = 8701
BASE_PORT = 8702
REV_PORT = 8703
VENV_BIN = ROOT / ".venv" / "bin"


# --- setup --------------------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup(url: str) -> dict[str, Any]:
    """Migrated database with master data, history orders, tokens; returns what the clients need."""
    recreate_database(url)
    setup_django(url, "bench_settings")
    prepare_database()
    from django.db import connection

    from salesdesk.accounts.services import issue_api_token
    from salesdesk.core.parameters import set_parameter
    from salesdesk.orders import services

    md = create_master_data(customers=80, products=50, salespeople=8, stock=10**9, tag="E")
    set_parameter(key="approval.new_customer", value=False, by=md.admin)
    # make every product "sold before" through the real services (manager approves these ones)
    for start in range(0, len(md.products), 5):
        customer = md.customers[0]
        owner = md.salespeople[0]
        order = services.create_order(
            by=owner,
            customer=customer,
            lines=[{"product": p, "qty": "1"} for p in md.products[start : start + 5]],
            acknowledge_duplicate=True,
        )
        order = services.submit_order(order=order, by=owner)
        if order.approval_status == "pending":
            order = services.approve_order(order=order, by=md.admin, comment="压测准备")
        order = services.record_customer_confirmation(order=order, by=owner, note="压测准备")
        services.confirm_order(order=order, by=owner)
    clients = []
    for sp in md.salespeople:
        own = [c.pk for c in md.customers if c.owner_id == sp.pk]
        clients.append({"token": issue_api_token(user=sp), "customers": own})
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TABLE bench_baseline_order (id bigserial PRIMARY KEY, customer_id bigint NOT NULL, "
            "total_amount numeric(18,2) NOT NULL, created_at timestamptz NOT NULL)"
        )
        cur.execute(
            "CREATE TABLE bench_baseline_line (id bigserial PRIMARY KEY, order_id bigint NOT NULL "
            "REFERENCES bench_baseline_order(id), line_no smallint NOT NULL, product_id bigint NOT NULL, "
            "qty numeric(18,6) NOT NULL, unit_price numeric(20,6) NOT NULL, amount numeric(18,2) NOT NULL)"
        )
        cur.execute("ANALYZE")
    connection.close()
    return {
        "clients": clients,
        "products": [p.pk for p in md.products],
        "warehouse": md.warehouse.pk,
    }


def start_server(app: str, port: int, workers: int, url: str, root: Path = ROOT) -> subprocess.Popen[bytes]:
    """gunicorn serving ``app`` from the checkout at ``root`` (this one, or ``--rev``'s worktree)."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="bench_settings",
        PYTHONPATH=f"{root}{os.pathsep}{root / 'bench'}",
        LOG_LEVEL="WARNING",
    )
    cmd = [
        str(VENV_BIN / "gunicorn"),
        app,
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--backlog",
        "256",
        "--log-level",
        "warning",
        "--timeout",
        "60",
    ]
    proc = subprocess.Popen(cmd, cwd=root, env=env, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/")
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"gunicorn {app} did not start on port {port}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


# --- load ---------------------------------------------------------------------------------------


@dataclass
class Stats:
    flows: list[float] = field(default_factory=list)
    requests: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    def add_request(self, name: str, seconds: float) -> None:
        self.requests.setdefault(name, []).append(seconds)

    def error(self, text: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(text[:300])


class Client:
    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)
        self.headers = {"Content-Type": "application/json", "Connection": "keep-alive"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def post(self, path: str, body: Any, extra: dict[str, str] | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode()
        headers = {**self.headers, **(extra or {})}
        for attempt in (1, 2):
            try:
                self.conn.request("POST", path, body=data, headers=headers)
                resp = self.conn.getresponse()
                raw = resp.read()
                if resp.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                return resp.status, json.loads(raw) if raw else None
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # the server closed an idle keep-alive connection before we sent: reconnect once
                self.conn.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def _lines(rnd: random.Random, products: list[int]) -> list[dict[str, str | int]]:
    return [{"product": p, "qty": str(rnd.randint(1, 9))} for p in rnd.sample(products, 5)]


def app_worker(n: int, ctx: dict[str, Any], stop: threading.Event, stats: Stats) -> None:
    spec = ctx["clients"][n % len(ctx["clients"])]
    client = Client(APP_PORT, spec["token"])
    rnd = random.Random(n * 7919 + time.time_ns())
    steps = (
        ("submit", {}, "submitted"),
        ("record_customer_confirmation", {"note": "电话确认"}, "submitted"),
        ("confirm", {}, "confirmed"),
    )
    while not stop.is_set():
        started = time.perf_counter()
        try:
            body = {"customer": rnd.choice(spec["customers"]), "lines": _lines(rnd, ctx["products"])}
            t = time.perf_counter()
            status, out = client.post("/api/orders", body, {"Idempotency-Key": uuid.uuid4().hex})
            stats.add_request("create", time.perf_counter() - t)
            if status != 201 or out.get("status") != "draft":
                stats.error(f"create {status} {out}")
                continue
            order_id = out["id"]
            ok = True
            for action, payload, expected in steps:
                t = time.perf_counter()
                status, out = client.post(f"/api/orders/{order_id}/{action}", payload)
                stats.add_request(action, time.perf_counter() - t)
                if status != 200 or out.get("status") != expected:
                    stats.error(f"{action} {status} {out}")
                    ok = False
                    break
            if ok:
                if out.get("approval_status") != "not_required" or not all(
                    line["reserved_qty"] == line["qty"] for line in out["lines"]
                ):
                    stats.error(f"unexpected confirmed order {out}")
                    continue
                stats.flows.append(time.perf_counter() - started)
        except Exception as exc:
            stats.error(f"{type(exc).__name__}: {exc}")
            client = Client(APP_PORT, spec["token"])


def one_worker(port: int, n: int, ctx: dict[str, Any], stop: threading.Event, stats: Stats) -> None:
    """The same order in one request: ``POST /api/orders`` with ``confirm`` and the customer's phone
    confirmation — create, submit, record the confirmation, confirm and plan in one transaction."""
    spec = ctx["clients"][n % len(ctx["clients"])]
    client = Client(port, spec["token"])
    rnd = random.Random(n * 15485863 + time.time_ns())
    while not stop.is_set():
        started = time.perf_counter()
        try:
            body = {
                "customer": rnd.choice(spec["customers"]),
                "lines": _lines(rnd, ctx["products"]),
                "customer_confirmation": "电话确认",
                "confirm": True,
            }
            status, out = client.post("/api/orders", body, {"Idempotency-Key": uuid.uuid4().hex})
            elapsed = time.perf_counter() - started
            stats.add_request("create+confirm", elapsed)
            if (
                status != 201
                or out.get("status") != "confirmed"
                or out.get("approval_status") != "not_required"
                or not all(line["reserved_qty"] == line["qty"] for line in out["lines"])
            ):
                stats.error(f"create+confirm {status} {out}")
                continue
            stats.flows.append(elapsed)
        except Exception as exc:
            stats.error(f"{type(exc).__name__}: {exc}")
            client = Client(port, spec["token"])


def _baseline_worker(path: str) -> Any:
    def worker(n: int, ctx: dict[str, Any], stop: threading.Event, stats: Stats) -> None:
        spec = ctx["clients"][n % len(ctx["clients"])]
        client = Client(BASE_PORT)
        rnd = random.Random(n * 104729 + time.time_ns())
        while not stop.is_set():
            started = time.perf_counter()
            try:
                body = {
                    "customer": rnd.choice(spec["customers"]),
                    "lines": _lines(rnd, ctx["products"]),
                    "warehouse": ctx["warehouse"],
                }
                status, out = client.post(path, body)
                elapsed = time.perf_counter() - started
                stats.add_request("order", elapsed)
                if status != 201 or not out.get("id"):
                    stats.error(f"baseline {path} {status} {out}")
                    continue
                stats.flows.append(elapsed)
            except Exception as exc:
                stats.error(f"{type(exc).__name__}: {exc}")
                client = Client(BASE_PORT)

    return worker


# name → (worker, what it is); the ratios are taken against "orm"
CONTENDERS: dict[str, tuple[Any, str]] = {
    "four": (app_worker, "app, 4 requests (create → submit → record confirmation → confirm)"),
    "one": (functools.partial(one_worker, APP_PORT), "app, 1 request (POST /api/orders with confirm)"),
    "rev": (
        functools.partial(one_worker, REV_PORT),
        "app at --rev, the same request (same database: this checkout's schema)",
    ),
    "orm": (_baseline_worker("/order-orm"), "baseline: bare Django view, ORM"),
    "raw": (_baseline_worker("/order"), "floor: the same view in raw SQL"),
}


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_by_process(server_pgid: int | None) -> dict[int, tuple[str, float]]:
    """CPU seconds used so far per process, tagged "server" (the server's process group: gunicorn
    master and workers) or "postgres" (every PostgreSQL process); other processes are left out."""
    out: dict[int, tuple[str, float]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as fh:
                stat = fh.read()
        except OSError:
            continue  # gone meanwhile
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        used = (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime
        if server_pgid is not None and int(fields[2]) == server_pgid:
            out[int(entry.name)] = ("server", used)
        elif comm == "postgres":
            out[int(entry.name)] = ("postgres", used)
    return out


def _cpu_per_order(run: dict[str, Any]) -> float:
    return float(run["cpu_ms"]["server"] + run["cpu_ms"]["postgres"])


def cpu_used(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds between two ``cpu_by_process`` snapshots, by tag: what each process still alive at
    the end used since the first snapshot (or since it started). A process that ended in between (a
    short-lived autovacuum worker) is not counted, so the PostgreSQL figure is a lower bound."""
    used = {"server": 0.0, "postgres": 0.0}
    for pid, (tag, seconds) in after.items():
        start = before.get(pid)
        used[tag] += seconds - (start[1] if start is not None and start[0] == tag else 0.0)
    return used


def run_level(
    worker: Any, clients: int, seconds: float, ctx: dict[str, Any], server_pgid: int | None = None
) -> dict[str, Any]:
    cpu_before, client_before = cpu_by_process(server_pgid), os.times()
    stop = threading.Event()
    stats_list = [Stats() for _ in range(clients)]
    threads = [
        threading.Thread(target=worker, args=(i, ctx, stop, stats_list[i]), daemon=True)
        for i in range(clients)
    ]
    t0 = time.perf_counter()
    for th in threads:
        th.start()
    time.sleep(seconds)
    stop.set()
    for th in threads:
        th.join(timeout=120)
    elapsed = time.perf_counter() - t0
    cpu = cpu_used(cpu_before, cpu_by_process(server_pgid))
    client_after = os.times()
    cpu["client"] = client_after.user + client_after.system - client_before.user - client_before.system
    flows = sorted(x for s in stats_list for x in s.flows)
    per_order = {key: seconds * 1000 / max(len(flows), 1) for key, seconds in cpu.items()}
    requests: dict[str, list[float]] = {}
    for s in stats_list:
        for name, values in s.requests.items():
            requests.setdefault(name, []).extend(values)
    return {
        "orders_per_s": len(flows) / elapsed,
        "flows": len(flows),
        "p50": pct(flows, 50),
        "p99": pct(flows, 99),
        "requests": {name: (pct(sorted(v), 50), pct(sorted(v), 99)) for name, v in requests.items()},
        "cpu_ms": per_order,  # CPU ms per completed order: server, postgres, client
        "errors": sum(s.errors for s in stats_list),
        "error_samples": [e for s in stats_list for e in s.error_samples][:5],
    }


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, round(p / 100 * len(values) + 0.5) - 1))
    return values[k] * 1000


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out = {key: statistics.median(r[key] for r in runs) for key in ("orders_per_s", "p50", "p99", "flows")}
    out["errors"] = sum(r["errors"] for r in runs)
    out["cpu_ms"] = {key: statistics.median(r["cpu_ms"][key] for r in runs) for key in runs[0]["cpu_ms"]}
    names = runs[0]["requests"].keys()
    out["requests"] = {
        n: (
            statistics.median(r["requests"].get(n, (float("nan"),) * 2)[0] for r in runs),
            statistics.median(r["requests"].get(n, (float("nan"),) * 2)[1] for r in runs),
        )
        for n in names
    }
    out["error_samples"] = [e for r in runs for e in r["error_samples"]][:5]
    return out


def main() -> None:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--seconds", type=float, default=12)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--workers", type=int, default=2 * cores + 1)
    parser.add_argument(
        "--contenders",
        default="four,one,orm,raw",
        help="which of four, one, rev, orm, raw to run (orm always; rev needs --rev)",
    )
    parser.add_argument(
        "--rev",
        default="",
        help="a git revision for the contender rev: the one-request flow served from a worktree of it, "
        "alternated with the others in the same run (what a change is worth, whatever the machine's phase)",
    )
    args = parser.parse_args()
    if "127.0.0.1" not in args.database_url and "localhost" not in args.database_url:
        sys.exit("run against a local PostgreSQL only")
    levels = [int(x) for x in args.clients.split(",")]

    t0 = time.monotonic()
    ctx = setup(args.database_url)
    print(f"setup done in {time.monotonic() - t0:.1f}s", flush=True)
    names = [x for x in args.contenders.split(",") if x]
    unknown = set(names) - set(CONTENDERS)
    if unknown or "orm" not in names:
        sys.exit(f"--contenders takes {', '.join(CONTENDERS)} and must include orm")
    if ("rev" in names) != bool(args.rev):
        sys.exit("the contender rev and --rev go together")
    worktree = rev_worktree(args.rev) if args.rev else None
    app = start_server("config.wsgi:application", APP_PORT, args.workers, args.database_url)
    base = start_server("baseline_app:application", BASE_PORT, args.workers, args.database_url)
    servers = {"four": app, "one": app, "orm": base, "raw": base}
    if worktree is not None:
        servers["rev"] = start_server(
            "config.wsgi:application", REV_PORT, args.workers, args.database_url, root=worktree
        )
    results: dict[int, dict[str, Any]] = {}
    try:
        pgid = {name: servers[name].pid for name in names}
        for name in names:  # warm up (imports, connections, caches)
            run_level(CONTENDERS[name][0], 4, 2, ctx)
        for clients in levels:
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
            for run in range(args.runs):
                for name in names:  # alternate, so drift on a shared machine hits every contender
                    runs[name].append(
                        run_level(CONTENDERS[name][0], clients, args.seconds, ctx, server_pgid=pgid[name])
                    )
                print(
                    f"clients={clients} run={run + 1}: "
                    + " | ".join(
                        f"{name} {r[-1]['orders_per_s']:.1f}/s p50 {r[-1]['p50']:.0f} ms "
                        f"p99 {r[-1]['p99']:.0f} ms err {r[-1]['errors']}"
                        for name, r in runs.items()
                    ),
                    flush=True,
                )
            results[clients] = {name: median_of(r) for name, r in runs.items()}
            if "rev" in runs and "one" in runs:
                pairs = list(zip(runs["one"], runs["rev"], strict=True))
                paired = [a["orders_per_s"] / b["orders_per_s"] for a, b in pairs]
                print(
                    f"clients={clients}: one ÷ rev orders/s per run (paired) "
                    + ", ".join(f"{x:.2f}" for x in paired)
                    + f"; median {statistics.median(paired):.2f}",
                    flush=True,
                )
                # CPU per order (server + PostgreSQL) moves less with the machine than orders/s does
                costs = [_cpu_per_order(a) / _cpu_per_order(b) for a, b in pairs]
                print(
                    f"clients={clients}: one ÷ rev CPU ms per order (server + PostgreSQL) per run (paired) "
                    + ", ".join(f"{x:.2f}" for x in costs)
                    + f"; median {statistics.median(costs):.2f}",
                    flush=True,
                )
    finally:
        for proc in {id(p): p for p in servers.values()}.values():
            stop_server(proc)
        if worktree is not None:
            subprocess.run(["git", "worktree", "remove", "--force", str(worktree)], cwd=ROOT, check=False)
    report(results, args, cores, time.monotonic() - t0)


def rev_worktree(rev: str) -> Path:
    """A detached worktree of ``rev`` beside this checkout's virtualenv and compiled translations."""
    sha = subprocess.run(
        ["git", "rev-parse", "--verify", f"{rev}^{{commit}}"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    if not sha:
        sys.exit(f"--rev {rev}: not a commit of this repository")
    path = Path(tempfile.gettempdir()) / f"salesdesk-bench-rev-{sha[:12]}"
    if path.exists():
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, check=False)
        shutil.rmtree(path, ignore_errors=True)
    subprocess.run(["git", "worktree", "add", "--detach", str(path), sha], cwd=ROOT, check=True)
    (path / ".venv").symlink_to(ROOT / ".venv")
    for mo in (ROOT / "salesdesk").rglob("*.mo"):  # compiled by make, not in git
        target = path / mo.relative_to(ROOT)
        if target.parent.exists():
            shutil.copyfile(mo, target)
    print(f"--rev {rev} = {sha[:12]}, served from {path}", flush=True)
    return path


def report(results: dict[int, dict[str, Any]], args: argparse.Namespace, cores: int, total: float) -> None:
    print()
    print(
        f"order entry: {args.runs} runs × {args.seconds:g} s per level, medians; gunicorn sync × "
        f"{args.workers} workers; {cores} cores; total {total:.0f} s"
    )
    names = list(next(iter(results.values())))
    for name in names:
        print(f"  {name}: {CONTENDERS[name][1]}")
    print()
    print("| clients | contender | orders/s | p50 ms | p99 ms | errors | orders/s ÷ orm | p99 ÷ orm p99 |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for clients, r in results.items():
        base = r["orm"]
        for name in names:
            a = r[name]
            print(
                f"| {clients} | {name} | {a['orders_per_s']:.1f} | {a['p50']:.0f} | {a['p99']:.0f} "
                f"| {a['errors']} | {a['orders_per_s'] / base['orders_per_s']:.2f} "
                f"| {a['p99'] / base['p99']:.2f} |"
            )
    print()
    print(
        "CPU ms per order (median of the runs): server processes / PostgreSQL (its processes alive at"
        " the end of a run: a lower bound) / load client"
    )
    print()
    print("| clients | " + " | ".join(names) + " |")
    print("|---:|" + "---:|" * len(names))
    for clients, r in results.items():
        cells = " | ".join(
            "{server:.1f} / {postgres:.1f} / {client:.1f}".format(**r[name]["cpu_ms"]) for name in names
        )
        print(f"| {clients} | {cells} |")
    if "four" in names:
        print()
        print("per request (four), p50 / p99 ms:")
        print()
        print("| clients | create | submit | record_customer_confirmation | confirm |")
        print("|---:|---:|---:|---:|---:|")
        for clients, r in results.items():
            req = r["four"]["requests"]
            cells = " | ".join(
                f"{req[n][0]:.0f} / {req[n][1]:.0f}" if n in req else "–"
                for n in ("create", "submit", "record_customer_confirmation", "confirm")
            )
            print(f"| {clients} | {cells} |")
    samples = [e for r in results.values() for side in r.values() for e in side["error_samples"]]
    if samples:
        print()
        print("error samples:")
        for e in samples[:10]:
            print("  ", e)


if __name__ == "__main__":
    main()
