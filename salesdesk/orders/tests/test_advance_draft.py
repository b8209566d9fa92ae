"""``advance_draft`` on the draft this request has just created: it takes the steps on the order and the
lines in hand when nobody changed them since, and reads them again when somebody did."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from salesdesk.core.models import AuditLog
from salesdesk.inventory.models import StockLevel
from salesdesk.orders import selectors, services
from salesdesk.orders.models import SalesOrder

from .factories import line, make_customer, make_product, make_warehouse, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def known(salesperson: Any, manager: Any, admin_user: Any) -> dict[str, Any]:
    """A customer and a product with a confirmed order already: no approval rule fires."""
    customer = make_customer(salesperson)
    product = make_product(sku="ADV-1", list_price=Decimal("10.00"), floor_price=Decimal("8.00"))
    stock(product, make_warehouse(code="SZ"), 20, admin_user)
    first = services.create_order(by=salesperson, customer=customer, lines=[line(product, 1)])
    first = services.submit_order(order=first, by=salesperson)
    first = services.approve_order(order=first, by=manager)
    first = services.record_customer_confirmation(order=first, by=salesperson, note="电话确认")
    services.confirm_order(order=first, by=salesperson)
    return {"customer": customer, "product": product}


def _reserved(product: Any) -> Decimal:
    return StockLevel.objects.get(product=product).reserved_qty


def test_the_lines_in_hand_are_confirmed_without_reading_them_again(
    salesperson: Any, known: dict[str, Any]
) -> None:
    order = services.create_order(
        by=salesperson, customer=known["customer"], lines=[line(known["product"], 3)], customer_po="A-1"
    )
    with CaptureQueriesContext(connection) as queries:
        done = services.advance_draft(order=order, by=salesperson, note="电话确认", confirm=True)
    line_reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and 'FROM "orders_salesorderline"' in q["sql"]
    ]
    assert line_reads == []
    assert (done.status, done.version) == ("confirmed", 4)
    assert _reserved(known["product"]) == Decimal(1 + 3)
    # the lines handed on are the saved ones, reserved in place: the answer needs no other read
    with CaptureQueriesContext(connection) as queries:
        answer = [(x.qty, x.reserved_qty, x.warehouse_id) for x in selectors.attach_lines(done).lines.all()]
    assert queries.captured_queries == []
    stored = SalesOrder.objects.get(pk=done.pk).lines.get()
    warehouse = StockLevel.objects.get(product=known["product"]).warehouse_id
    assert answer == [(stored.qty, stored.reserved_qty, stored.warehouse_id)] == [(3, 3, warehouse)]


def test_a_draft_changed_since_it_was_created_is_read_again(salesperson: Any, known: dict[str, Any]) -> None:
    order = services.create_order(
        by=salesperson, customer=known["customer"], lines=[line(known["product"], 3)], customer_po="A-2"
    )
    # somebody else edits the draft in between: 3 → 5 (version 2)
    services.update_order(
        order=SalesOrder.objects.get(pk=order.pk),
        by=salesperson,
        version=1,
        lines=[line(known["product"], 5)],
    )
    done = services.advance_draft(order=order, by=salesperson, note="电话确认", confirm=True)
    assert (done.status, done.version) == ("confirmed", 5)
    assert _reserved(known["product"]) == Decimal(1 + 5)
    answer = [(x.qty, x.reserved_qty) for x in selectors.attach_lines(done).lines.all()]
    assert answer == [(5, 5)]


def test_the_steps_audit_entries_are_written_in_step_order(salesperson: Any, known: dict[str, Any]) -> None:
    order = services.create_order(
        by=salesperson, customer=known["customer"], lines=[line(known["product"], 2)], customer_po="A-3"
    )
    before = AuditLog.objects.order_by("-id").values_list("id", flat=True).first()
    with CaptureQueriesContext(connection) as queries:
        services.advance_draft(order=order, by=salesperson, note="电话确认", confirm=True)
    inserts = [q for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "core_auditlog"')]
    assert len(inserts) == 1
    entries = list(AuditLog.objects.filter(id__gt=before).order_by("id").values_list("action", "object_id"))
    assert entries == [
        ("order.submit", str(order.pk)),
        ("order.record_customer_confirmation", str(order.pk)),
        ("order.confirm", str(order.pk)),
    ]


def test_an_edit_in_between_that_needs_approval_stops_the_order_there(
    salesperson: Any, known: dict[str, Any]
) -> None:
    order = services.create_order(
        by=salesperson, customer=known["customer"], lines=[line(known["product"], 3)], customer_po="A-4"
    )
    assert order.approval_reasons == []
    # somebody else lowers the price below the floor (8.00) in between
    services.update_order(
        order=SalesOrder.objects.get(pk=order.pk),
        by=salesperson,
        version=1,
        lines=[line(known["product"], 3, unit_price="5.00")],
    )
    done = services.advance_draft(order=order, by=salesperson, note="电话确认", confirm=True)
    assert (done.status, done.approval_status) == ("submitted", "pending")
    assert [r["code"] for r in done.approval_reasons] == ["price_floor"]
    assert _reserved(known["product"]) == Decimal(1)
