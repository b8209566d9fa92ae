"""``POST /api/orders`` with ``submit`` / ``customer_confirmation`` / ``confirm``: one request, as far
as the status table allows; a refused step keeps the draft and says why, bad input keeps nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from salesdesk.core.models import AuditLog
from salesdesk.fulfillment.models import OrderPlan
from salesdesk.inventory.models import StockLevel, StockMove
from salesdesk.orders import services
from salesdesk.orders.models import OrderEvent, SalesOrder
from salesdesk.orders.tests.factories import line, make_customer, make_product, make_warehouse, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def known(salesperson: Any, manager: Any, admin_user: Any) -> dict[str, Any]:
    """A customer and a product that already have a confirmed order: no approval rule fires."""
    customer = make_customer(salesperson)
    product = make_product(sku="STP-1", list_price=Decimal("10.00"), floor_price=Decimal("8.00"))
    stock(product, make_warehouse(code="SZ"), 10, admin_user)
    first = services.create_order(by=salesperson, customer=customer, lines=[line(product, 1)])
    first = services.submit_order(order=first, by=salesperson)
    first = services.approve_order(order=first, by=manager)  # new customer, new product
    first = services.record_customer_confirmation(order=first, by=salesperson, note="电话确认")
    services.confirm_order(order=first, by=salesperson)
    return {"customer": customer, "product": product}


def _body(known: dict[str, Any], qty: int = 3, **extra: Any) -> dict[str, Any]:
    return {
        "customer": known["customer"].pk,
        "lines": [{"product": known["product"].pk, "qty": str(qty)}],
        "customer_po": f"PO-{qty}-{len(extra)}",
        **extra,
    }


def _reserved(known: dict[str, Any]) -> Decimal:
    return StockLevel.objects.get(product=known["product"]).reserved_qty


def test_confirm_in_one_request_runs_every_step(
    api_client_for: Any, salesperson: Any, known: dict[str, Any]
) -> None:
    audits_before = AuditLog.objects.count()
    response = api_client_for(salesperson).post(
        "/api/orders", _body(known, confirm=True, customer_confirmation="电话确认")
    )
    assert response.status_code == 201, response.content
    out = response.json()
    assert (out["status"], out["approval_status"], out["confirmation_status"]) == (
        "confirmed",
        "not_required",
        "confirmed",
    )
    assert [(x["qty"], x["reserved_qty"], x["warehouse"]) for x in out["lines"]] == [("3", "3", "SZ")]
    order = SalesOrder.objects.get(pk=out["id"])
    assert order.version == 4  # created 1, then submit, customer confirmation, confirm: one each
    assert out["version"] == 4
    assert _reserved(known) == Decimal(1 + 3)
    assert OrderPlan.objects.filter(order=order).exists()
    events = list(OrderEvent.objects.filter(order=order).order_by("id").values_list("type", flat=True))
    assert events == [
        "created",
        "submitted",
        "customer_confirmed",
        "confirmed",
        "stock_reserved",
        "plan_generated",
    ]
    note = OrderEvent.objects.get(order=order, type="customer_confirmed").data
    assert note == {"note": "电话确认", "recorded": True}
    actions = set(AuditLog.objects.order_by("id")[audits_before:].values_list("action", flat=True))
    assert {
        "order.create",
        "order.submit",
        "order.record_customer_confirmation",
        "order.confirm",
        "plan.generate",
    } <= actions


def test_submit_only(api_client_for: Any, salesperson: Any, known: dict[str, Any]) -> None:
    out = api_client_for(salesperson).post("/api/orders", _body(known, submit=True)).json()
    assert (out["status"], out["confirmation_status"]) == ("submitted", "not_sent")
    assert "record_customer_confirmation" in out["allowed_actions"]
    assert _reserved(known) == Decimal(1)


def test_confirm_without_the_customer_stops_awaiting_the_customer(
    api_client_for: Any, salesperson: Any, known: dict[str, Any]
) -> None:
    out = api_client_for(salesperson).post("/api/orders", _body(known, confirm=True)).json()
    assert (out["status"], out["headline_status"]) == ("submitted", "pending_customer")
    assert _reserved(known) == Decimal(1)
    assert not OrderPlan.objects.filter(order_id=out["id"]).exists()


def test_a_rule_that_asks_for_approval_stops_the_order_there(
    api_client_for: Any, salesperson: Any, known: dict[str, Any]
) -> None:
    body = _body(known, confirm=True, customer_confirmation="电话确认")
    body["lines"][0]["unit_price"] = "7.00"  # below the floor price 8.00
    out = api_client_for(salesperson).post("/api/orders", body).json()
    assert (out["status"], out["approval_status"], out["confirmation_status"]) == (
        "submitted",
        "pending",
        "not_sent",  # the customer is asked only once the order is approved
    )
    assert [r["code"] for r in out["approval_reasons"]] == ["price_floor"]
    assert _reserved(known) == Decimal(1)
    types = set(OrderEvent.objects.filter(order_id=out["id"]).values_list("type", flat=True))
    assert types == {"created", "submitted", "approval_requested"}


def test_a_refused_step_keeps_the_draft_and_says_why(
    api_client_for: Any, salesperson: Any, known: dict[str, Any]
) -> None:
    response = api_client_for(salesperson).post(
        "/api/orders", _body(known, qty=50, confirm=True, customer_confirmation="电话确认")
    )
    assert response.status_code == 201
    out = response.json()
    assert (out["status"], out["confirmation_status"], out["version"]) == ("draft", "not_sent", 1)
    assert out["stopped"]["code"] == "stock_short"
    assert list(out["stopped"]["fields"]) == ["lines.0.qty"]
    assert "STP-1" in out["stopped"]["message"]
    # none of the steps is kept: no submission, no customer confirmation, nothing reserved, no plan
    types = list(OrderEvent.objects.filter(order_id=out["id"]).values_list("type", flat=True))
    assert types == ["created"]
    assert _reserved(known) == Decimal(1)
    assert not OrderPlan.objects.exists()  # (the fixture confirmed its order through the orders service)


def test_a_plain_create_has_no_stopped(api_client_for: Any, salesperson: Any, known: dict[str, Any]) -> None:
    out = api_client_for(salesperson).post("/api/orders", _body(known)).json()
    assert (out["status"], out["stopped"]) == ("draft", None)


def test_an_overlong_note_is_a_field_error_and_keeps_nothing(
    api_client_for: Any, salesperson: Any, known: dict[str, Any]
) -> None:
    orders = SalesOrder.objects.count()
    response = api_client_for(salesperson).post(
        "/api/orders", _body(known, confirm=True, customer_confirmation="很" * 201)
    )
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["customer_confirmation"]
    assert SalesOrder.objects.count() == orders


def test_the_same_idempotency_key_does_not_repeat_the_steps(
    api_client_for: Any, salesperson: Any, known: dict[str, Any]
) -> None:
    client = api_client_for(salesperson)
    body = _body(known, confirm=True, customer_confirmation="电话确认")
    first = client.post("/api/orders", body, **{"Idempotency-Key": "k-1"})
    again = client.post("/api/orders", body, **{"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.json()["id"] == again.json()["id"]
    assert again.json()["status"] == "confirmed"
    assert again.json()["version"] == first.json()["version"]
    assert _reserved(known) == Decimal(1 + 3)
    assert OrderEvent.objects.filter(order_id=first.json()["id"], type="confirmed").count() == 1


def test_create_and_confirm_reads_do_not_grow_with_the_lines(
    api_client_for: Any, salesperson: Any, manager: Any, known: dict[str, Any], admin_user: Any
) -> None:
    """N+1 guard: with 1 line and with 6 lines one request runs the same statements: the reservation
    is one conditional UPDATE whatever the lines (on PostgreSQL it locks the rows itself, in row
    order), after one unlocked read of the products' stock that chooses the warehouses."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    warehouse = StockLevel.objects.get(product=known["product"]).warehouse
    more = [make_product(sku=f"STP-{n}", list_price=Decimal("3.00")) for n in range(2, 7)]
    for product in more:
        stock(product, warehouse, 10, admin_user)
    # make the new products known too, so the same approval rules (none) apply to both orders
    first = services.create_order(by=salesperson, customer=known["customer"], lines=[line(p) for p in more])
    first = services.submit_order(order=first, by=salesperson)
    first = services.approve_order(order=first, by=manager)
    first = services.record_customer_confirmation(order=first, by=salesperson, note="电话确认")
    services.confirm_order(order=first, by=salesperson)
    client = api_client_for(salesperson)
    client.get("/api/orders?limit=1")  # the token's last-used time is written on its first use
    counts = []
    for products in ([known["product"]], [known["product"], *more]):
        body = {
            "customer": known["customer"].pk,
            "lines": [{"product": p.pk, "qty": "4"} for p in products],
            "customer_po": f"N-{len(products)}",
            "customer_confirmation": "电话确认",
            "confirm": True,
        }
        with CaptureQueriesContext(connection) as queries:
            out = client.post("/api/orders", body).json()
        assert out["status"] == "confirmed"
        sql = [q["sql"] for q in queries.captured_queries]
        reads = sum(1 for q in sql if q.lstrip().upper().startswith("SELECT"))
        stock_updates = sum(1 for q in sql if "UPDATE inventory_stocklevel" in q)
        stock_reads = [q for q in sql if q.startswith("SELECT") and "FROM inventory_stocklevel" in q]
        stock_reads += [q for q in sql if q.startswith("SELECT") and 'FROM "inventory_stocklevel"' in q]
        counts.append((len(sql), reads, stock_updates))
        assert len(stock_reads) == 1, stock_reads
        assert "FOR UPDATE" not in stock_reads[0]
        reservation = next(q for q in sql if "UPDATE inventory_stocklevel" in q)
        assert ("FOR UPDATE OF inventory_stocklevel" in reservation) is (
            connection.vendor == "postgresql" and len(products) > 1
        )
    (total_1, reads_1, updates_1), (total_6, reads_6, updates_6) = counts
    assert reads_6 == reads_1, counts
    assert (updates_1, updates_6) == (1, 1)
    assert total_6 == total_1, counts


def test_create_and_confirm_writes_the_order_once_after_the_stock(
    api_client_for: Any, salesperson: Any, known: dict[str, Any]
) -> None:
    """The steps are taken before the order is saved: one INSERT of the order as they leave it (no
    UPDATE of it or its lines), the creation's and the steps' events and audit entries in one INSERT
    each. On PostgreSQL the rows others wait for are locked last, in one order: the stock rows (read
    unlocked before), then the day's number row, then the one statement that inserts everything."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_client_for(salesperson)
    client.get("/api/orders?limit=1")  # the token's last-used time is written on its first use
    with CaptureQueriesContext(connection) as queries:
        out = client.post("/api/orders", _body(known, confirm=True, customer_confirmation="电话确认")).json()
    assert out["status"] == "confirmed"
    sql = [q["sql"] for q in queries.captured_queries]

    def count(text: str) -> int:
        return sum(q.count(text) for q in sql)

    assert count('INSERT INTO "orders_salesorder"') == 1
    assert count('UPDATE "orders_salesorder') == 0  # neither the order nor its lines
    assert (count('INSERT INTO "orders_orderevent"'), count('INSERT INTO "core_auditlog"')) == (1, 1)
    # after the number: the order and what points at it in one statement on PostgreSQL, one INSERT
    # each elsewhere
    tables = [
        "orders_salesorder",
        "orders_salesorderline",
        "inventory_stockmove",
        "fulfillment_orderplan",
        "fulfillment_planstep",
        "orders_orderevent",
        "core_auditlog",
    ]
    assert [count(f'INTO "{table}"') for table in tables] == [1] * len(tables)
    assert count('INTO "orders_productfirstsale"') == 0  # the products were sold before: nothing to add
    number = next(i for i, q in enumerate(sql) if "core_sequence" in q)
    reserve = next(i for i, q in enumerate(sql) if "UPDATE inventory_stocklevel" in q)
    if connection.vendor == "postgresql":
        assert not any("FOR UPDATE" in q for q in sql[:reserve])  # nothing locked before
        # the number is taken by the statement that inserts everything, right after the reservation
        assert number == reserve + 1
        assert sql[number].startswith('WITH l0 AS (INSERT INTO "core_sequence"')
        assert 'm0 AS (INSERT INTO "orders_salesorder"' in sql[number]
        assert all(q.startswith("RELEASE SAVEPOINT") for q in sql[number + 1 :])  # the test's transaction
    else:  # the number when the order's row goes in, at once, then the rest one INSERT per table
        assert next(i for i, q in enumerate(sql) if q.startswith("INSERT")) == number
        assert sql[number + 1].startswith('INSERT INTO "orders_salesorder"')
        inserts = [q for q in sql[number + 1 :] if q.startswith("INSERT")]
        assert len(inserts) == len(tables)


def test_create_and_confirm_reads_what_the_request_decides_ahead_once_each(
    api_client_for: Any, salesperson: Any, known: dict[str, Any]
) -> None:
    """The reads the request alone decides — the customer in scope, the products, the duplicate check's
    (same customer PO, recent lines) and the stock of products given by id — run together when the
    creation begins on PostgreSQL (one round trip), before the price read that needs the customer; each
    runs once (its rows are taken, not read again)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_client_for(salesperson)
    client.get("/api/orders?limit=1")  # the token's last-used time is written on its first use
    with CaptureQueriesContext(connection) as queries:
        out = client.post("/api/orders", _body(known, confirm=True, customer_confirmation="电话确认")).json()
    assert out["status"] == "confirmed"
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    ahead = [
        'SELECT "customers_customer"."id"',
        'SELECT "catalog_product"."id"',
        'SELECT "orders_salesorder"."number" AS "number"',  # the same customer PO
        'SELECT "orders_salesorderline"."order_id"',  # the recent lines
        'SELECT "inventory_stocklevel"."id"',
    ]
    prices = 'SELECT "pricing_pricelistitem"."id"'
    at = {start: [i for i, q in enumerate(reads) if q.startswith(start)] for start in [*ahead, prices]}
    assert all(len(found) == 1 for found in at.values()), at  # each read once
    assert reads[0].startswith('SELECT "accounts_apitoken"')
    if connection.vendor == "postgresql":
        assert [at[start][0] for start in ahead] == [1, 2, 3, 4, 5]  # together, right after the token
        assert at[prices][0] > 5  # the price read needs the customer: after them


def _facts(order: SalesOrder) -> dict[str, Any]:
    """What an order is, without what differs between two orders made the same way (ids, numbers,
    times, nonces, stock levels after)."""
    from salesdesk.fulfillment.models import PlanStep
    from salesdesk.inventory.models import StockMove

    order.refresh_from_db()
    skip = {"id", "number", "customer_po", "idempotency_key", "confirmation_nonce", "created_at"}
    skip |= {"updated_at", "submitted_at", "confirmed_at", "customer_confirmed_at"}
    fields = {f.attname: getattr(order, f.attname) for f in order._meta.concrete_fields if f.name not in skip}
    line_skip = {"id", "order_id"}
    lines = [
        {f.attname: getattr(x, f.attname) for f in x._meta.concrete_fields if f.attname not in line_skip}
        for x in order.lines.order_by("line_no")
    ]
    events = [(e.type, e.actor_id, e.data) for e in OrderEvent.objects.filter(order=order).order_by("id")]
    audits = [
        (a.action, a.actor_id, {k: v for k, v in a.data.items() if k != "number"})
        for a in AuditLog.objects.filter(object_id=str(order.pk), object_type="orders.salesorder").order_by(
            "id"
        )
    ]
    moves = list(
        StockMove.objects.filter(reference=order.number)
        .order_by("id")
        .values_list("kind", "product_id", "warehouse_id", "qty", "created_by_id")
    )
    steps = list(
        PlanStep.objects.filter(order=order)
        .order_by("seq")
        .values_list("code", "owner_id", "status", "planned_start", "planned_due", "load")
    )
    return {
        "order": fields,
        "lines": lines,
        "events": events,
        "audits": audits,
        "moves": moves,
        "plan": steps,
    }


def test_one_request_leaves_what_create_then_advance_leaves(
    api_client_for: Any, salesperson: Any, known: dict[str, Any]
) -> None:
    """The order inserted in its final state is the order the separate steps would have made: every
    field, line, event, audit entry, ledger row and plan step (besides ids, numbers and times)."""
    from salesdesk.fulfillment.actions import advance_draft

    body = _body(known, confirm=True, customer_confirmation="电话确认")
    one = api_client_for(salesperson).post("/api/orders", body).json()
    draft = services.create_order(
        by=salesperson,
        customer=known["customer"],
        lines=[line(known["product"], 3)],
        customer_po="PO-other",
        acknowledge_duplicate=True,
    )
    two = advance_draft(order=draft, by=salesperson, submit=True, note="电话确认", confirm=True)
    assert two.status == "confirmed"
    first, second = _facts(SalesOrder.objects.get(pk=one["id"])), _facts(two)
    # the second acknowledged the first as a possible duplicate: that event is the one difference
    ack = [e for e in second["events"] if e[0] == "duplicate_acknowledged"]
    assert len(ack) == 1
    second["events"].remove(ack[0])
    assert {k: v for k, v in first["order"].items() if second["order"][k] != v} == {}
    assert first == second
    assert first["moves"]
    assert first["plan"]
    assert len(first["audits"]) == 5


def test_a_refused_step_gives_its_number_back(
    api_client_for: Any, salesperson: Any, known: dict[str, Any]
) -> None:
    """The refused attempt's number is rolled back with it: the draft saved instead takes it, gapless."""
    client = api_client_for(salesperson)
    before = client.post("/api/orders", _body(known, qty=2)).json()["number"]
    short = client.post("/api/orders", _body(known, qty=50, confirm=True, customer_confirmation="电话确认"))
    after = client.post("/api/orders", _body(known, qty=4)).json()["number"]
    draft = short.json()
    assert (draft["status"], draft["stopped"]["code"]) == ("draft", "stock_short")
    sequence = [int(n.rsplit("-", 1)[1]) for n in (before, draft["number"], after)]
    assert sequence == [sequence[0], sequence[0] + 1, sequence[0] + 2]


def test_reserved_at_submission_an_order_awaiting_approval_holds_its_stock_under_its_number(
    api_client_for: Any, salesperson: Any, known: dict[str, Any], admin_user: Any
) -> None:
    """``stock.reserve_on`` = "submit": the order a rule sends to approval is inserted submitted, its
    lines reserved and the ledger rows carrying its number."""
    from salesdesk.core.parameters import set_parameter
    from salesdesk.inventory.models import StockMove

    set_parameter(key="stock.reserve_on", value="submit", by=admin_user)
    body = _body(known, confirm=True, customer_confirmation="电话确认")
    body["lines"][0]["unit_price"] = "7.00"  # below the floor price 8.00
    out = api_client_for(salesperson).post("/api/orders", body).json()
    assert (out["status"], out["approval_status"], out["version"]) == ("submitted", "pending", 2)
    assert [(x["qty"], x["reserved_qty"], x["warehouse"]) for x in out["lines"]] == [("3", "3", "SZ")]
    assert _reserved(known) == Decimal(1 + 3)
    moves = StockMove.objects.filter(reference=out["number"]).values_list("kind", "qty")
    assert list(moves) == [("reserve", Decimal(3))]
    types = list(OrderEvent.objects.filter(order_id=out["id"]).order_by("id").values_list("type", flat=True))
    assert types == ["created", "submitted", "approval_requested", "stock_reserved"]
    assert not OrderPlan.objects.filter(order_id=out["id"]).exists()


def test_a_new_idempotency_key_is_not_looked_up(
    api_client_for: Any, salesperson: Any, known: dict[str, Any]
) -> None:
    """The key's unique constraint answers a retry (see the services' tests); a first request reads no
    order by its key — the only statement that names the key is the order's insert."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_client_for(salesperson)
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/orders", _body(known, confirm=True), **{"Idempotency-Key": "k-new"})
    assert response.status_code == 201
    naming = [q["sql"] for q in queries.captured_queries if "idempotency_key" in q["sql"]]
    assert len(naming) == 1  # on PostgreSQL the order's insert is part of one WITH … INSERT statement
    assert naming[0].startswith(('INSERT INTO "orders_salesorder"', "WITH "))
    assert naming[0].count("idempotency_key") == 1


def _unlocked_stock_read_shows(monkeypatch: Any, product: Any, options: Any) -> list[bool]:
    """Make the creation's unlocked stock read show ``options(real options)`` for ``product`` (the
    locked read stays true); returns the ``lock`` flag of every stock read, in order."""
    from salesdesk.orders import quoting

    real = quoting.stock_by_product
    reads: list[bool] = []

    def read(product_ids: list[int], *, lock: bool = False) -> Any:
        reads.append(lock)
        out = real(product_ids, lock=lock)
        if not lock:
            out[product.pk] = options(out[product.pk])
        return out

    monkeypatch.setattr(services, "stock_by_product", read)
    return reads


def test_stock_taken_after_the_unlocked_read_is_read_again_locked(
    api_client_for: Any, salesperson: Any, known: dict[str, Any], admin_user: Any, monkeypatch: Any
) -> None:
    """Given a new order's stock read without a lock that no longer holds when the order reserves it
    (the read says warehouse SZ has 100 available, it has 9; GZ has 12) and a line of 10; then the
    creation runs again with the stock read locked, chooses GZ, and keeps nothing of the first try:
    one order, one reservation, the next number."""
    product = known["product"]
    stale_sz = StockLevel.objects.get(product=product).warehouse
    stock(product, make_warehouse(code="GZ"), 12, admin_user)
    reads = _unlocked_stock_read_shows(monkeypatch, product, lambda _options: [(stale_sz, Decimal(100))])
    numbers_before = list(SalesOrder.objects.values_list("number", flat=True))
    body = _body(known, qty=10, confirm=True, customer_confirmation="电话确认")
    out = api_client_for(salesperson).post("/api/orders", body).json()
    assert reads == [False, True]
    assert out["status"] == "confirmed"
    assert [x["warehouse"] for x in out["lines"]] == ["GZ"]
    levels = dict(StockLevel.objects.filter(product=product).values_list("warehouse__code", "reserved_qty"))
    assert levels == {"SZ": Decimal(1), "GZ": Decimal(10)}  # SZ: the known order's 1
    assert SalesOrder.objects.count() == len(numbers_before) + 1
    assert out["number"][:-4] == numbers_before[0][:-4]
    assert int(out["number"][-4:]) == len(numbers_before) + 1
    moves = StockMove.objects.filter(reference=out["number"]).values_list("warehouse__code", "kind", "qty")
    assert list(moves) == [("GZ", "reserve", Decimal(10))]


def test_the_reservation_decides_not_the_unlocked_read(
    api_client_for: Any, salesperson: Any, known: dict[str, Any], monkeypatch: Any
) -> None:
    """The unlocked read only chooses warehouses: when it shows too little (here 0) the reservation
    still decides (9 of 10 are left: it holds), in one try; when the stock is short, the confirmation
    is refused after a second try that reads the stock locked (the draft is kept, nothing reserved)."""
    reads = _unlocked_stock_read_shows(
        monkeypatch, known["product"], lambda options: [(w, Decimal(0)) for w, _avail in options]
    )
    client = api_client_for(salesperson)
    body = _body(known, qty=9, confirm=True, customer_confirmation="电话确认")
    out = client.post("/api/orders", body).json()
    assert reads == [False]
    assert (out["status"], out["lines"][0]["reserved_qty"]) == ("confirmed", "9")
    assert _reserved(known) == Decimal(10)
    reads.clear()
    orders_before = SalesOrder.objects.count()
    short = client.post("/api/orders", _body(known, qty=2, confirm=True, customer_confirmation="电话确认"))
    assert reads == [False, True]
    draft = short.json()  # the step refused: the draft is kept and says why
    assert (draft["status"], draft["stopped"]["code"]) == ("draft", "stock_short")
    assert (_reserved(known), SalesOrder.objects.count()) == (Decimal(10), orders_before + 1)
