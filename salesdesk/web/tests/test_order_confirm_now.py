"""The review page's "Submit and confirm": the customer already agreed (on the phone), so the order is
submitted, the customer's confirmation recorded and the order confirmed (stock, plan) in one step."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from salesdesk.fulfillment.models import OrderPlan
from salesdesk.inventory.models import StockLevel
from salesdesk.orders import services
from salesdesk.orders.models import OrderEvent, SalesOrder
from salesdesk.orders.tests.factories import line, make_order
from salesdesk.web.tests.test_orders import _entry_post
from salesdesk.web.tests.test_orders import setup as setup

pytestmark = pytest.mark.django_db


@pytest.fixture
def known(setup: dict[str, Any], salesperson: Any, manager: Any) -> dict[str, Any]:
    """The customer and both products were on a confirmed order before: no approval rule fires."""
    earlier = make_order(
        salesperson, setup["customer"], [line(setup["p1"], 1), line(setup["p2"], 1)], customer_po="OLD"
    )
    earlier = services.submit_order(order=earlier, by=salesperson)
    earlier = services.approve_order(order=earlier, by=manager)
    earlier = services.record_customer_confirmation(order=earlier, by=salesperson, note="电话确认")
    services.confirm_order(order=earlier, by=salesperson)
    return setup


def _reserved(setup: dict[str, Any]) -> list[Decimal]:
    return [StockLevel.objects.get(product=setup[p]).reserved_qty for p in ("p1", "p2")]


def _new_orders() -> Any:
    return SalesOrder.objects.exclude(customer_po="OLD")


def test_review_offers_submit_and_confirm_only_when_no_approval_is_needed(
    setup: dict[str, Any],
    known: dict[str, Any],
    salesperson: Any,
    logged_in_client: Any,
) -> None:
    client = logged_in_client(salesperson)
    html = client.post(reverse("web:order_entry"), _entry_post(known, step="review")).content.decode()
    assert 'data-testid="submit-and-confirm"' in html
    assert 'name="customer_confirmation"' in html
    known["p1"].floor_price = Decimal("5.00")
    known["p1"].save()
    below_floor = _entry_post(known, step="review", **{"lines-0-unit_price": "4.00", "lines-0-manual": "1"})
    html = client.post(reverse("web:order_entry"), below_floor).content.decode()
    assert 'data-testid="approval-reasons"' in html
    assert 'data-testid="submit-and-confirm"' not in html


def test_submit_and_confirm_with_the_customers_word(
    setup: dict[str, Any],
    known: dict[str, Any],
    salesperson: Any,
    logged_in_client: Any,
) -> None:
    client = logged_in_client(salesperson)
    data = _entry_post(known, step="confirm", customer_confirmation="电话确认 王经理")
    first = client.post(reverse("web:order_entry"), data)
    again = client.post(reverse("web:order_entry"), data)  # a double click: same form token
    order = _new_orders().get()
    assert first.status_code == again.status_code == 302
    assert first["Location"] == reverse("web:order_detail", args=[order.pk])
    assert (order.status, order.confirmation_status, order.approval_status) == (
        "confirmed",
        "confirmed",
        "not_required",
    )
    assert _reserved(known) == [Decimal(1 + 3), Decimal(1 + 12)]
    assert OrderPlan.objects.filter(order=order).count() == 1
    note = OrderEvent.objects.get(order=order, type="customer_confirmed").data["note"]
    assert note == "电话确认 王经理"
    texts = [str(m) for m in get_messages(first.wsgi_request)]
    assert texts == [f"订单 {order.number} 已提交并确认。"]


def test_submit_and_confirm_without_saying_how_the_customer_agreed_is_refused(
    setup: dict[str, Any],
    known: dict[str, Any],
    salesperson: Any,
    logged_in_client: Any,
) -> None:
    response = logged_in_client(salesperson).post(
        reverse("web:order_entry"), _entry_post(known, step="confirm", customer_confirmation="  ")
    )
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_customer_confirmation_error"' in html
    assert "请说明客户是如何确认的" in html
    assert 'data-testid="review-total"' in html  # still the review, with everything entered kept
    assert not _new_orders().exists()
    too_long = _entry_post(known, step="confirm", customer_confirmation="很" * 201)
    response = logged_in_client(salesperson).post(reverse("web:order_entry"), too_long)
    assert response.status_code == 422
    assert 'value="' + "很" * 201 + '"' in response.content.decode()
    assert not _new_orders().exists()


def test_stock_short_keeps_the_draft_and_says_why(
    setup: dict[str, Any],
    known: dict[str, Any],
    salesperson: Any,
    logged_in_client: Any,
) -> None:
    data = _entry_post(known, step="confirm", customer_confirmation="电话确认", **{"lines-4-qty": "500"})
    response = logged_in_client(salesperson).post(reverse("web:order_entry"), data)
    order = _new_orders().get()
    assert response.status_code == 302
    assert (order.status, order.version) == ("draft", 1)
    assert _reserved(known) == [Decimal(1), Decimal(1)]
    assert not OrderPlan.objects.filter(order=order).exists()
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(texts) == 1
    assert "LM-M8" in texts[0]
