"""The bare-Django baselines for bench/order_entry.py: a view that inserts an order with its lines and
reserves stock, nothing else (no authentication, no middleware, no validation, no pricing, no numbering,
no timeline, no audit), written twice:

* ``POST /order-orm`` — the bare-Django view as one would write it: the ORM (``bench_baseline`` models:
  ``values_list`` for the prices, ``create`` for the order, ``bulk_create`` for the lines, one
  conditional ``filter(...).update(F(...) + qty)`` per line), in ``transaction.atomic``. This is the
  baseline the issue's targets refer to.
* ``POST /order`` — the same statements as raw SQL through ``connection.cursor()`` (no ORM at all): the
  floor, reported beside it.

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
    INSTALLED_APPS=["bench_baseline"],
    MIDDLEWARE=[],
    USE_TZ=True,
    DATABASES={
        "default": dj_database_url.parse(
            os.environ["DATABASE_URL"], conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60"))
        )
    },
)
django.setup()

from bench_baseline.models import Line, Order, Product, StockLevel  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import F  # noqa: E402
from django.http import HttpRequest, HttpResponse, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils import timezone  # noqa: E402


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


def create_order_orm(request: HttpRequest) -> HttpResponse:
    body = json.loads(request.body)
    lines = body["lines"]
    warehouse = int(body["warehouse"])
    try:
        with transaction.atomic():
            ids = [int(line["product"]) for line in lines]
            prices = dict(Product.objects.filter(pk__in=ids).values_list("id", "list_price"))
            amounts = [Decimal(line["qty"]) * prices[int(line["product"])] for line in lines]
            order = Order.objects.create(
                customer_id=int(body["customer"]), total_amount=sum(amounts), created_at=timezone.now()
            )
            Line.objects.bulk_create(
                Line(
                    order=order,
                    line_no=no,
                    product_id=int(line["product"]),
                    qty=Decimal(line["qty"]),
                    unit_price=prices[int(line["product"])],
                    amount=amount,
                )
                for no, (line, amount) in enumerate(zip(lines, amounts, strict=True), start=1)
            )
            for line in sorted(lines, key=lambda item: int(item["product"])):
                qty = Decimal(line["qty"])
                updated = StockLevel.objects.filter(
                    product_id=int(line["product"]),
                    warehouse_id=warehouse,
                    on_hand_qty__gte=F("reserved_qty") + qty,
                ).update(reserved_qty=F("reserved_qty") + qty)
                if updated != 1:
                    raise Short()
    except Short:
        return JsonResponse({"code": "stock_short"}, status=409)
    return JsonResponse({"id": order.pk}, status=201)


urlpatterns = [path("order", create_order), path("order-orm", create_order_orm)]
application = get_wsgi_application()
