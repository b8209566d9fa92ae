"""``stock.reserve_on``: stock is reserved at submission, approval or confirmation, all or nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from salesdesk.core.parameters import set_parameter
from salesdesk.inventory.models import StockLevel, StockMove
from salesdesk.orders import services
from salesdesk.orders.errors import StockShort
from salesdesk.orders.models import OrderEvent, SalesOrder

from .factories import line, make_customer, make_product, make_warehouse, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(salesperson: Any) -> Any:
    return make_customer(salesperson)


@pytest.fixture
def products(admin_user: Any) -> tuple[Any, Any]:
    wh = make_warehouse(code="SZ")
    a = make_product(sku="A-1", list_price=Decimal("9.99"))
    b = make_product(sku="B-1", list_price=Decimal("5.00"))
    stock(a, wh, 10, admin_user)
    stock(b, wh, 5, admin_user)
    return a, b


@pytest.fixture
def known(salesperson: Any, manager: Any, customer: Any, products: tuple[Any, Any]) -> Any:
    """A confirmed pre-order (reserves nothing) makes customer and products known: no approval needed."""
    a, b = products
    order = services.create_order(
        by=salesperson, customer=customer, lines=[line(a, 1), line(b, 1)], order_type="preorder"
    )
    order = services.submit_order(order=order, by=salesperson)
    order = services.approve_order(order=order, by=manager)
    order = services.record_customer_confirmation(order=order, by=salesperson, note="电话确认")
    services.confirm_order(order=order, by=salesperson)
    assert StockMove.objects.exclude(kind="receipt").count() == 0
    return customer


def reserve_on(value: str) -> None:
    set_parameter(key="stock.reserve_on", value=value, by=None)


def draft(by: Any, customer: Any, products: tuple[Any, Any], qty_a: Any = 4, qty_b: Any = 2) -> SalesOrder:
    a, b = products
    return services.create_order(
        by=by,
        customer=customer,
        lines=[line(a, qty_a), line(b, qty_b)],
        customer_po=f"PO-{qty_a}-{qty_b}",
        acknowledge_duplicate=True,
    )


def levels() -> dict[str, tuple[Decimal, Decimal]]:
    """(on hand, reserved) per SKU in warehouse SZ."""
    return {
        sku: (on_hand, reserved)
        for sku, on_hand, reserved in StockLevel.objects.values_list(
            "product__sku", "on_hand_qty", "reserved_qty"
        )
    }


def ledger(order: SalesOrder) -> list[tuple[str, str, Decimal]]:
    return list(
        StockMove.objects.filter(reference=order.number)
        .order_by("pk")
        .values_list("kind", "product__sku", "qty")
    )


def reserved_qty(order: SalesOrder) -> list[Decimal]:
    return list(order.lines.order_by("line_no").values_list("reserved_qty", flat=True))


def event_types(order: SalesOrder) -> list[str]:
    return list(OrderEvent.objects.filter(order=order).order_by("pk").values_list("type", flat=True))


def snapshot(order: SalesOrder) -> tuple[Any, ...]:
    order.refresh_from_db()
    return (
        order.status,
        order.approval_status,
        order.version,
        event_types(order),
        reserved_qty(order),
        levels(),
        StockMove.objects.count(),
    )


RESERVED_4_2 = [("reserve", "A-1", Decimal(4)), ("reserve", "B-1", Decimal(2))]
RELEASED_4_2 = [("release", "A-1", Decimal(4)), ("release", "B-1", Decimal(2))]
HELD_4_2 = {"A-1": (Decimal(10), Decimal(4)), "B-1": (Decimal(5), Decimal(2))}
FREE = {"A-1": (Decimal(10), Decimal(0)), "B-1": (Decimal(5), Decimal(0))}


# --- confirm (the default) --------------------------------------------------------------------


def test_default_reserves_at_confirm_only(
    salesperson: Any, manager: Any, customer: Any, products: Any
) -> None:
    order = services.submit_order(order=draft(salesperson, customer, products), by=salesperson)
    order = services.approve_order(order=order, by=manager)
    order = services.record_customer_confirmation(order=order, by=salesperson, note="电话确认")
    assert (ledger(order), levels()) == ([], FREE)
    order = services.confirm_order(order=order, by=salesperson)
    assert (ledger(order), levels(), reserved_qty(order)) == (RESERVED_4_2, HELD_4_2, [4, 2])


# --- submit -----------------------------------------------------------------------------------


def test_submit_reserves_and_confirm_does_not_reserve_twice(
    salesperson: Any, manager: Any, customer: Any, products: Any
) -> None:
    reserve_on("submit")
    order = services.submit_order(order=draft(salesperson, customer, products), by=salesperson)
    assert (order.status, order.approval_status) == ("submitted", "pending")
    assert (ledger(order), levels(), reserved_qty(order)) == (RESERVED_4_2, HELD_4_2, [4, 2])
    assert event_types(order) == ["created", "submitted", "approval_requested", "stock_reserved"]
    assert order.events.get(type="stock_reserved").data == {
        "lines": [
            {"line_no": 1, "warehouse": "SZ", "qty": "4"},
            {"line_no": 2, "warehouse": "SZ", "qty": "2"},
        ]
    }
    order = services.approve_order(order=order, by=manager)
    order = services.record_customer_confirmation(order=order, by=salesperson, note="电话确认")
    reserve_on("confirm")  # the lines' reserved_qty tells confirm what is already held
    order = services.confirm_order(order=order, by=salesperson)
    assert order.status == "confirmed"
    assert (ledger(order), levels(), reserved_qty(order)) == (RESERVED_4_2, HELD_4_2, [4, 2])
    assert "stock_reserved" not in event_types(order)[4:]


def test_submit_refused_when_short_reserves_nothing(salesperson: Any, customer: Any, products: Any) -> None:
    reserve_on("submit")
    order = draft(salesperson, customer, products, qty_a=4, qty_b=6)
    before = snapshot(order)
    with pytest.raises(StockShort) as exc:
        services.submit_order(order=order, by=salesperson)
    assert exc.value.shortages == [{"line_no": 2, "sku": "B-1", "requested": "6", "available": "5"}]
    assert (exc.value.action, set(exc.value.fields)) == ("submit", {"lines.1.qty"})
    assert snapshot(order) == before
    assert before[0] == "draft"
    assert (ledger(order), levels()) == ([], FREE)


def test_a_caller_catching_the_refusal_goes_on_in_its_own_transaction(
    salesperson: Any, customer: Any, products: Any
) -> None:
    """reserve_many keeps no savepoint of its own here: the service's atomic block is rolled back
    (A's reservation, made before B was found short, with it) and the caller's transaction goes on."""
    reserve_on("submit")
    order = draft(salesperson, customer, products, qty_a=4, qty_b=6)
    before = snapshot(order)
    with transaction.atomic():
        with pytest.raises(StockShort):
            services.submit_order(order=order, by=salesperson)
        assert (snapshot(order), ledger(order), levels()) == (before, [], FREE)
        done = services.submit_order(order=draft(salesperson, customer, products, 4, 5), by=salesperson)
    assert done.status == "submitted"
    assert levels() == {"A-1": (Decimal(10), Decimal(4)), "B-1": (Decimal(5), Decimal(5))}


def test_submit_reports_every_short_line(salesperson: Any, customer: Any, products: Any) -> None:
    reserve_on("submit")
    order = draft(salesperson, customer, products, qty_a=11, qty_b=6)
    before = snapshot(order)
    with pytest.raises(StockShort) as exc:
        services.submit_order(order=order, by=salesperson)
    assert exc.value.shortages == [
        {"line_no": 1, "sku": "A-1", "requested": "11", "available": "10"},
        {"line_no": 2, "sku": "B-1", "requested": "6", "available": "5"},
    ]
    assert snapshot(order) == before


def test_withdraw_releases_submit_reservation(salesperson: Any, customer: Any, products: Any) -> None:
    reserve_on("submit")
    order = services.submit_order(order=draft(salesperson, customer, products), by=salesperson)
    order = services.withdraw_order(order=order, by=salesperson)
    assert order.status == "draft"
    assert (ledger(order), levels(), reserved_qty(order)) == (RESERVED_4_2 + RELEASED_4_2, FREE, [0, 0])
    assert event_types(order)[-2:] == ["withdrawn", "stock_released"]
    # submitting again reserves again
    order = services.submit_order(order=order, by=salesperson)
    assert ledger(order) == RESERVED_4_2 + RELEASED_4_2 + RESERVED_4_2
    assert levels() == HELD_4_2


def test_reject_releases_submit_reservation(
    salesperson: Any, manager: Any, customer: Any, products: Any
) -> None:
    reserve_on("submit")
    order = services.submit_order(order=draft(salesperson, customer, products), by=salesperson)
    order = services.reject_order(order=order, by=manager, reason="价格太低")
    assert (order.status, order.approval_status) == ("draft", "rejected")
    assert (ledger(order), levels(), reserved_qty(order)) == (RESERVED_4_2 + RELEASED_4_2, FREE, [0, 0])


def test_cancel_submitted_releases_submit_reservation(salesperson: Any, customer: Any, products: Any) -> None:
    reserve_on("submit")
    order = services.submit_order(order=draft(salesperson, customer, products), by=salesperson)
    order = services.cancel_order(order=order, by=salesperson, reason="客户取消")
    assert order.status == "cancelled"
    assert (ledger(order), levels(), reserved_qty(order)) == (RESERVED_4_2 + RELEASED_4_2, FREE, [0, 0])


def test_close_releases_what_submit_reserved(
    salesperson: Any, manager: Any, customer: Any, products: Any
) -> None:
    reserve_on("submit")
    order = services.submit_order(order=draft(salesperson, customer, products), by=salesperson)
    order = services.approve_order(order=order, by=manager)
    order = services.record_customer_confirmation(order=order, by=salesperson, note="电话确认")
    order = services.confirm_order(order=order, by=salesperson)
    order = services.close_order(order=order, by=salesperson, reason="剩余不发")
    assert (ledger(order), levels(), reserved_qty(order)) == (RESERVED_4_2 + RELEASED_4_2, FREE, [0, 0])


def test_submit_setting_ignores_types_that_do_not_reserve(
    salesperson: Any, customer: Any, products: Any
) -> None:
    reserve_on("submit")
    a, _b = products
    order = services.create_order(
        by=salesperson, customer=customer, lines=[line(a, 50)], order_type="preorder"
    )
    order = services.submit_order(order=order, by=salesperson)
    assert (order.status, ledger(order), levels(), reserved_qty(order)) == ("submitted", [], FREE, [0])


# --- approve ----------------------------------------------------------------------------------


def test_approve_reserves_when_approval_required(
    salesperson: Any, manager: Any, customer: Any, products: Any
) -> None:
    reserve_on("approve")
    order = services.submit_order(order=draft(salesperson, customer, products), by=salesperson)
    assert order.approval_status == "pending"
    assert (ledger(order), levels(), reserved_qty(order)) == ([], FREE, [0, 0])
    order = services.approve_order(order=order, by=manager)
    assert order.approval_status == "approved"
    assert (ledger(order), levels(), reserved_qty(order)) == (RESERVED_4_2, HELD_4_2, [4, 2])
    assert event_types(order)[-2:] == ["approved", "stock_reserved"]
    order = services.record_customer_confirmation(order=order, by=salesperson, note="电话确认")
    order = services.confirm_order(order=order, by=salesperson)
    assert order.status == "confirmed"
    assert (ledger(order), levels()) == (RESERVED_4_2, HELD_4_2)


def test_approve_refused_when_short_reserves_nothing(
    salesperson: Any, manager: Any, customer: Any, products: Any
) -> None:
    reserve_on("approve")
    order = services.submit_order(
        order=draft(salesperson, customer, products, qty_a=12, qty_b=2), by=salesperson
    )
    before = snapshot(order)
    with pytest.raises(StockShort) as exc:
        services.approve_order(order=order, by=manager)
    assert exc.value.shortages == [{"line_no": 1, "sku": "A-1", "requested": "12", "available": "10"}]
    assert exc.value.action == "approve"
    assert snapshot(order) == before
    assert (before[0], before[1]) == ("submitted", "pending")
    assert (ledger(order), levels()) == ([], FREE)


def test_approve_setting_reserves_at_submit_when_no_approval_needed(
    salesperson: Any, known: Any, products: Any
) -> None:
    reserve_on("approve")
    order = services.submit_order(order=draft(salesperson, known, products), by=salesperson)
    assert order.approval_status == "not_required"
    assert (ledger(order), levels(), reserved_qty(order)) == (RESERVED_4_2, HELD_4_2, [4, 2])
    order = services.record_customer_confirmation(order=order, by=salesperson, note="电话确认")
    order = services.confirm_order(order=order, by=salesperson)
    assert (order.status, ledger(order), levels()) == ("confirmed", RESERVED_4_2, HELD_4_2)


def test_approve_setting_refused_submit_without_approval_stays_draft(
    salesperson: Any, known: Any, products: Any
) -> None:
    reserve_on("approve")
    order = draft(salesperson, known, products, qty_a=4, qty_b=9)
    before = snapshot(order)
    with pytest.raises(StockShort) as exc:
        services.submit_order(order=order, by=salesperson)
    assert exc.value.shortages == [{"line_no": 2, "sku": "B-1", "requested": "9", "available": "5"}]
    assert snapshot(order) == before
    assert before[0] == "draft"


def test_confirm_setting_refused_confirm_keeps_submit_state(
    salesperson: Any, manager: Any, customer: Any, products: Any, admin_user: Any
) -> None:
    reserve_on("confirm")
    order = services.submit_order(
        order=draft(salesperson, customer, products, qty_a=4, qty_b=2), by=salesperson
    )
    order = services.approve_order(order=order, by=manager)
    order = services.record_customer_confirmation(order=order, by=salesperson, note="电话确认")
    # someone else takes B-1 meanwhile
    other = services.submit_order(
        order=draft(salesperson, customer, products, qty_a=1, qty_b=4), by=salesperson
    )
    services.approve_order(order=other, by=manager)
    services.record_customer_confirmation(order=other, by=salesperson, note="电话确认")
    services.confirm_order(order=other, by=salesperson)
    before = snapshot(order)
    with pytest.raises(StockShort) as exc:
        services.confirm_order(order=order, by=salesperson)
    assert exc.value.shortages == [{"line_no": 2, "sku": "B-1", "requested": "2", "available": "1"}]
    assert (exc.value.action, snapshot(order)) == ("confirm", before)
    assert ledger(order) == []
