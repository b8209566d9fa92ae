#!/usr/bin/env python
"""The order_entry flow in-process (Django test client, real middleware and auth), statement counts per
request and, with ``--profile``, a pyinstrument profile of N flows.

    .venv/bin/python bench/profile_flow.py                  # statements per request (2 warm flows)
    .venv/bin/python bench/profile_flow.py --profile 30     # + pyinstrument over 30 flows
    .venv/bin/python bench/profile_flow.py --sql confirm    # print the SQL of one request

Uses ``salesdesk_bench_profile`` (dropped and re-created, the same set-up as order_entry.py).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/salesdesk_bench_profile"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--profile", type=int, default=0)
    parser.add_argument("--sql", default="")
    args = parser.parse_args()

    import order_entry

    ctx = order_entry.setup(args.database_url)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    spec = ctx["clients"][0]
    client = Client(HTTP_AUTHORIZATION=f"Bearer {spec['token']}")
    rnd = random.Random(1)

    def flow(capture: bool) -> dict[str, int]:
        counts: dict[str, int] = {}
        body = {"customer": rnd.choice(spec["customers"]), "lines": order_entry._lines(rnd, ctx["products"])}
        order_id = None
        note = {"note": "电话确认"}
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
        for name, path, payload, extra in steps:
            url = path.format(id=order_id)
            with CaptureQueriesContext(connection) as ctxq:
                resp = client.post(url, json.dumps(payload), content_type="application/json", **extra)
            assert resp.status_code in (200, 201), (name, resp.status_code, resp.content[:500])
            if order_id is None:
                order_id = resp.json()["id"]
            counts[name] = len(ctxq.captured_queries)
            if capture and name == args.sql:
                for q in ctxq.captured_queries:
                    print(q["sql"][:300])
        assert resp.json()["status"] == "confirmed"
        return counts

    flow(False)
    counts = flow(True)
    print("statements per request:", counts, "total", sum(counts.values()))
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        for _ in range(args.profile):
            flow(False)
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))


if __name__ == "__main__":
    main()
