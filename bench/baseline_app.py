"""The bare-Django baseline for bench/order_entry.py: one view that inserts an order with its lines and
reserves stock, nothing else (no authentication, no middleware, no validation, no pricing, no numbering,
no timeline, no audit).

Served by gunicorn exactly like the real application (same worker settings, same DATABASE_URL):

    DATABASE_URL=postgres://… gunicorn --chdir bench baseline_app:application

POST /order with {"customer": id, "lines": [{"product": id, "qty": n}, …], "warehouse": id} →
201 {"id": …}; 409 when a line's stock is short (then nothing is kept). One transaction: read the
products' prices (1 query), insert the order, insert the lines (1 multi-row INSERT), one conditional
UPDATE of ``inventory_stocklevel`` per line in product order (no deadlocks), commit.
The tables ``bench_baseline_order`` / ``bench_baseline_line`` are created by bench/order_entry.py.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal

import dj_database_url
import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-baseline-only",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[],
    MIDDLEWARE=[],
    USE_TZ=True,
    DATABASES={
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"], conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60"))
        )
    },
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.http import HttpRequest, HttpResponse, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402


class Short(Exception):
    pass


def create_order(request: HttpRequest) -> HttpResponse:
    body = json.loads(request.body)
    lines = body["lines"]
    warehouse = int(body["warehouse"])
    try:
        with transaction.atomic(), connection.cursor() as cur:
            ids = [int(line["product"]) for line in lines]
            cur.execute("SELECT id, list_price FROM catalog_product WHERE id = ANY(%s)", [ids])
            prices = dict(cur.fetchall())
            amounts = [Decimal(line["qty"]) * prices[int(line["product"])] for line in lines]
            cur.execute(
                "INSERT INTO bench_baseline_order (customer_id, total_amount, created_at) "
                "VALUES (%s, %s, now()) RETURNING id",
                [int(body["customer"]), sum(amounts)],
            )
            order_id = cur.fetchone()[0]
            values = []
            params: list[object] = []
            for no, (line, amount) in enumerate(zip(lines, amounts, strict=True), start=1):
                values.append("(%s, %s, %s, %s, %s, %s)")
                product = int(line["product"])
                params += [order_id, no, product, Decimal(line["qty"]), prices[product], amount]
            cur.execute(
                "INSERT INTO bench_baseline_line (order_id, line_no, product_id, qty, unit_price, amount) "
                "VALUES " + ", ".join(values),
                params,
            )
            for line in sorted(lines, key=lambda item: int(item["product"])):
                cur.execute(
                    "UPDATE inventory_stocklevel SET reserved_qty = reserved_qty + %s "
                    "WHERE product_id = %s AND warehouse_id = %s AND on_hand_qty - reserved_qty >= %s",
                    [Decimal(line["qty"]), int(line["product"]), warehouse, Decimal(line["qty"])],
                )
                if cur.rowcount != 1:
                    raise Short()
    except Short:
        return JsonResponse({"code": "stock_short"}, status=409)
    return JsonResponse({"id": order_id}, status=201)


urlpatterns = [path("order", create_order)]
application = get_wsgi_application()
