"""Order pages: entry with live quote, review and submit, list, export, detail actions, PDF, customer page."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core import signing
from django.urls import reverse
from openpyxl import load_workbook

from salesdesk.core.models import AuditLog
from salesdesk.orders import services
from salesdesk.orders.choices import ApprovalStatus, ConfirmationStatus, EventType, Status
from salesdesk.orders.models import OrderEvent, SalesOrder, SavedFilter
from salesdesk.orders.tests.factories import (
    line,
    make_customer,
    make_order,
    make_product,
    make_warehouse,
    stock,
)
from salesdesk.web.pdf import document_text, render_document
from salesdesk.web.views.orders import EXPORT_LABELS, pdf_context

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(salesperson: Any) -> dict[str, Any]:
    customer = make_customer(salesperson, name="深圳市华强电子有限公司")
    warehouse = make_warehouse(code="SZ01", name="深圳仓")
    p1 = make_product(sku="LS-M8", name="六角螺栓", spec="M8×30", list_price=Decimal("9.99"))
    p2 = make_product(sku="LM-M8", name="六角螺母", spec="M8", list_price=Decimal("35.00"))
    stock(p1, warehouse, 100)
    stock(p2, warehouse, 100)
    return {"customer": customer, "warehouse": warehouse, "p1": p1, "p2": p2}


def _entry_post(setup: dict[str, Any], **extra: str) -> dict[str, str]:
    data = {
        "token": "tok-1",
        "customer": str(setup["customer"].pk),
        "customer_label": setup["customer"].name,
        "order_type": "standard",
        "price_mode": "tax_included",
        "round_off": "none",
        "address": "",
        "requested_date": "",
        "customer_po": "PO-1",
        "order_discount_amount": "",
        "remark": "请工作日送货",
        "internal_note": "老客户",
        "lines-0-product": str(setup["p1"].pk),
        "lines-0-product_label": "LS-M8 六角螺栓",
        "lines-0-qty": "3",
        "lines-0-unit_price": "",
        "lines-0-manual": "0",
        "lines-0-discount_rate": "",
        "lines-4-product": str(setup["p2"].pk),
        "lines-4-product_label": "LM-M8 六角螺母",
        "lines-4-qty": "12",
        "lines-4-unit_price": "",
        "lines-4-manual": "0",
        "lines-4-discount_rate": "",
    }
    data.update(extra)
    return data


def test_entry_page_renders_the_keyboard_form(salesperson: Any, logged_in_client: Any) -> None:
    response = logged_in_client(salesperson).get(reverse("web:order_entry"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_customer_label"' in html
    assert "autofocus" in html
    assert 'id="lines-0-product_label"' in html
    assert 'name="token"' in html


def test_live_quote_prices_each_line_with_its_source_and_stock(
    setup: dict[str, Any], salesperson: Any, logged_in_client: Any
) -> None:
    response = logged_in_client(salesperson).post(reverse("web:order_quote"), _entry_post(setup))
    html = response.content.decode()
    assert response.status_code == 200
    assert "¥449.97" in html  # 3 × 9.99 + 12 × 35.00
    assert "肆佰肆拾玖元玖角柒分" in html
    assert 'id="line-4-amount" hx-swap-oob="true"' in html
    assert "¥420.00" in html
    assert html.count('data-testid="price-source">标准售价</span>') == 2
    assert "深圳仓 100" in html
    assert '"0": "9.99"' in html
    assert '"4": "35.00"' in html


def test_live_quote_shows_line_errors_next_to_the_line(
    setup: dict[str, Any], salesperson: Any, logged_in_client: Any
) -> None:
    data = _entry_post(setup, **{"lines-4-qty": "abc"})
    html = logged_in_client(salesperson).post(reverse("web:order_quote"), data).content.decode()
    start = html.index('id="line-4-source"')
    assert "请输入数字。" in html[start : start + 200]


def test_review_shows_what_the_customer_confirms(
    setup: dict[str, Any], salesperson: Any, logged_in_client: Any
) -> None:
    response = logged_in_client(salesperson).post(
        reverse("web:order_entry"), _entry_post(setup, step="review")
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "¥449.97" in html
    assert "人民币肆佰肆拾玖元玖角柒分" in html
    assert 'data-testid="submit-order"' in html
    assert SalesOrder.objects.count() == 0


def test_submit_creates_one_order_even_when_posted_twice(
    setup: dict[str, Any], salesperson: Any, logged_in_client: Any
) -> None:
    client = logged_in_client(salesperson)
    data = _entry_post(setup, step="submit")
    first = client.post(reverse("web:order_entry"), data)
    second = client.post(reverse("web:order_entry"), data)
    order = SalesOrder.objects.get()
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"] == reverse("web:order_detail", args=[order.pk])
    assert order.status == Status.SUBMITTED
    assert order.total_amount == Decimal("449.97")
    assert [ln.qty for ln in order.lines.all()] == [Decimal("3"), Decimal("12")]


def test_invalid_line_answers_422_with_the_error_at_the_line_and_input_kept(
    setup: dict[str, Any], salesperson: Any, logged_in_client: Any
) -> None:
    data = _entry_post(setup, step="review", **{"lines-4-qty": "-2"})
    response = logged_in_client(salesperson).post(reverse("web:order_entry"), data)
    html = response.content.decode()
    assert response.status_code == 422
    qty_input = html[html.index('id="lines-4-qty"') - 200 : html.index('id="lines-4-qty"') + 400]
    assert "is-invalid" in qty_input
    assert 'value="-2"' in qty_input
    assert "invalid-feedback" in html
    assert 'value="请工作日送货"' not in html
    assert "请工作日送货" in html
    assert SalesOrder.objects.count() == 0


def test_possible_duplicate_needs_acknowledging(
    setup: dict[str, Any], salesperson: Any, logged_in_client: Any
) -> None:
    existing = make_order(salesperson, setup["customer"], [line(setup["p1"], 1)], customer_po="PO-1")
    client = logged_in_client(salesperson)
    response = client.post(reverse("web:order_entry"), _entry_post(setup, step="submit"))
    assert response.status_code == 409
    assert existing.number in response.content.decode()
    assert SalesOrder.objects.count() == 1
    ok = client.post(reverse("web:order_entry"), _entry_post(setup, step="submit", acknowledge_duplicate="1"))
    assert ok.status_code == 302
    assert SalesOrder.objects.count() == 2


def test_stale_edit_shows_a_conflict_and_keeps_the_input(
    setup: dict[str, Any], salesperson: Any, logged_in_client: Any
) -> None:
    order = make_order(salesperson, setup["customer"], [line(setup["p1"], 1)])
    services.update_order(order=order, by=salesperson, version=order.version, customer_po="NEW")
    data = _entry_post(setup, step="save", version="1", customer_po="MINE")
    response = logged_in_client(salesperson).post(reverse("web:order_edit", args=[order.pk]), data)
    html = response.content.decode()
    assert response.status_code == 409
    assert 'data-testid="conflict"' in html
    assert 'value="MINE"' in html
    order.refresh_from_db()
    assert order.customer_po == "NEW"


def test_customer_and_product_search_partials(
    setup: dict[str, Any], salesperson: Any, logged_in_client: Any
) -> None:
    client = logged_in_client(salesperson)
    html = client.get(reverse("web:order_customer_search"), {"customer_label": "华强"}).content.decode()
    assert f'data-value="{setup["customer"].pk}"' in html
    html = client.get(reverse("web:order_product_search"), {"lines-0-product_label": "LS-M", "line": "0"})
    assert f'data-value="{setup["p1"].pk}"' in html.content.decode()
    assert f'data-value="{setup["p2"].pk}"' not in html.content.decode()


def test_sidebar_shows_credit_and_frequent_products(
    setup: dict[str, Any], salesperson: Any, logged_in_client: Any
) -> None:
    order = make_order(salesperson, setup["customer"], [line(setup["p1"], 2)])
    services.submit_order(order=order, by=salesperson)
    html = (
        logged_in_client(salesperson)
        .get(reverse("web:order_sidebar"), {"customer": setup["customer"].pk})
        .content.decode()
    )
    assert f'data-add-product="{setup["p1"].pk}"' in html
    assert order.number in html
    assert 'id="address-field" hx-swap-oob="true"' in html


# --- list, saved filters, export -------------------------------------------------------------------


def _submitted(order: SalesOrder, manager: Any) -> SalesOrder:
    """Submit the order and, when it waits for approval (first order of a new customer), approve it."""
    order = services.submit_order(order=order, by=order.owner)
    if order.approval_status == ApprovalStatus.PENDING:
        order = services.approve_order(order=order, by=manager)
    return order


def _orders(by: Any, customer: Any, product: Any, n: int) -> list[SalesOrder]:
    return [make_order(by, customer, [line(product, i + 1)]) for i in range(n)]


@pytest.mark.parametrize("n", [3, 30])
def test_order_list_query_count_does_not_grow(
    n: int, setup: dict[str, Any], salesperson: Any, logged_in_client: Any, django_assert_max_num_queries: Any
) -> None:
    _orders(salesperson, setup["customer"], setup["p1"], n)
    client = logged_in_client(salesperson)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("web:order_list"))
    assert response.status_code == 200
    assert response.content.decode().count('href="/orders/') >= n


def test_order_list_filters_and_keyset_pages(
    setup: dict[str, Any], salesperson: Any, logged_in_client: Any
) -> None:
    orders = _orders(salesperson, setup["customer"], setup["p1"], 52)
    other = make_order(salesperson, setup["customer"], [line(setup["p2"], 1)])
    client = logged_in_client(salesperson)
    first = client.get(reverse("web:order_list")).content.decode()
    assert other.number in first
    assert orders[-1].number in first
    assert orders[0].number not in first
    after = orders[3].pk  # the first page: the newest 50 = other + orders[51] … orders[3]
    assert f"after={after}" in first
    second = client.get(reverse("web:order_list"), {"after": after}).content.decode()
    assert [o.number in second for o in orders[:4]] == [True, True, True, False]
    assert other.number not in second
    by_sku = client.get(reverse("web:order_list"), {"product": "LM-M8"}).content.decode()
    assert other.number in by_sku
    assert orders[0].number not in by_sku
    unknown = client.get(reverse("web:order_list"), {"product": "NOPE"}).content.decode()
    assert "没有找到订单。" in unknown


def test_saved_filters_save_pick_and_delete(salesperson: Any, logged_in_client: Any) -> None:
    client = logged_in_client(salesperson)
    response = client.post(reverse("web:order_filter_save"), {"name": "待提交", "query": "status=draft"})
    assert response.status_code == 302
    saved = SavedFilter.objects.get(user=salesperson)
    assert saved.query == "status=draft"
    html = client.get(reverse("web:order_list")).content.decode()
    assert "/orders/?status=draft" in html
    client.post(reverse("web:order_filter_delete", args=[saved.pk]))
    assert not SavedFilter.objects.exists()


def test_export_csv_has_bom_masked_contacts_and_an_audit_entry(
    setup: dict[str, Any], salesperson: Any, manager: Any, logged_in_client: Any
) -> None:
    make_order(salesperson, setup["customer"], [line(setup["p1"], 3)])
    response = logged_in_client(manager).get(reverse("web:order_export"), {"format": "csv"})
    assert response.status_code == 200
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][0] == str(EXPORT_LABELS["number"])
    assert rows[1][rows[0].index(str(EXPORT_LABELS["total_amount"]))] == "29.97"
    text = body.decode("utf-8-sig")
    assert "13912345678" not in text
    assert "139****5678" in text
    entry = AuditLog.objects.get(action="orders.export")
    assert entry.data["rows"] == 1


def test_export_xlsx_and_permission(
    setup: dict[str, Any], salesperson: Any, manager: Any, logged_in_client: Any
) -> None:
    make_order(salesperson, setup["customer"], [line(setup["p1"], 3)])
    assert logged_in_client(salesperson).get(reverse("web:order_export")).status_code == 403
    response = logged_in_client(manager).get(reverse("web:order_export"), {"format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    values = [c.value for c in sheet[2]]
    assert Decimal(str(values[header.index(str(EXPORT_LABELS["total_amount"]))])) == Decimal("29.97")
    assert values[header.index(str(EXPORT_LABELS["contact_phone"]))] == "139****5678"


# --- detail and actions ------------------------------------------------------------------------------


def test_detail_shows_status_lines_timeline_and_the_allowed_actions(
    setup: dict[str, Any], salesperson: Any, logged_in_client: Any
) -> None:
    order = make_order(salesperson, setup["customer"], [line(setup["p1"], 3)])
    html = logged_in_client(salesperson).get(reverse("web:order_detail", args=[order.pk])).content.decode()
    assert order.number in html
    assert "人民币贰拾玖元玖角柒分" in html
    assert 'data-action="submit"' in html
    assert 'data-action="cancel"' in html
    assert 'data-action="approve"' not in html
    assert "/pdf/" in html


def test_refused_action_answers_409_and_changes_nothing(
    setup: dict[str, Any], salesperson: Any, logged_in_client: Any
) -> None:
    order = make_order(salesperson, setup["customer"], [line(setup["p1"], 3)])
    events = OrderEvent.objects.filter(order=order).count()
    response = logged_in_client(salesperson).post(reverse("web:order_action", args=[order.pk, "confirm"]))
    assert response.status_code == 409
    assert 'data-testid="refusal"' in response.content.decode()
    order.refresh_from_db()
    assert order.status == Status.DRAFT
    assert OrderEvent.objects.filter(order=order).count() == events


def test_reason_is_required_for_cancel(
    setup: dict[str, Any], salesperson: Any, logged_in_client: Any
) -> None:
    order = make_order(salesperson, setup["customer"], [line(setup["p1"], 3)])
    client = logged_in_client(salesperson)
    response = client.post(reverse("web:order_action", args=[order.pk, "cancel"]), {"reason": ""})
    assert response.status_code == 422
    order.refresh_from_db()
    assert order.status == Status.DRAFT
    ok = client.post(reverse("web:order_action", args=[order.pk, "cancel"]), {"reason": "客户取消"})
    assert ok.status_code == 302
    order.refresh_from_db()
    assert order.status == Status.CANCELLED


def test_send_confirmation_shows_the_link_and_the_customer_confirms(
    setup: dict[str, Any], salesperson: Any, manager: Any, logged_in_client: Any, client: Any
) -> None:
    order = make_order(
        salesperson, setup["customer"], [line(setup["p1"], 3)], internal_note="内部备注：底价客户"
    )
    _submitted(order, manager)
    staff = logged_in_client(salesperson)
    staff.post(reverse("web:order_action", args=[order.pk, "send_confirmation"]))
    html = staff.get(reverse("web:order_detail", args=[order.pk])).content.decode()
    start = html.index('id="confirmation-url"')
    link = html[start:].split('value="', 1)[1].split('"', 1)[0]
    path = link.replace("http://testserver", "")
    assert path.startswith("/c/")

    page = client.get(path)
    text = page.content.decode()
    assert page.status_code == 200
    assert order.number in text
    assert "人民币贰拾玖元玖角柒分" in text
    assert "内部备注" not in text
    assert "标准价" not in text
    assert "李娜" not in text
    assert "李*" in text
    assert "13800138000" not in text

    done = client.post(path, {"answer": "confirm"}, REMOTE_ADDR="203.0.113.9")
    assert done.status_code == 200
    order.refresh_from_db()
    assert order.confirmation_status == ConfirmationStatus.CONFIRMED
    event = OrderEvent.objects.get(order=order, type=EventType.CUSTOMER_CONFIRMED)
    assert event.ip == "203.0.113.9"


def test_customer_request_change_needs_a_message(
    setup: dict[str, Any], salesperson: Any, manager: Any, client: Any
) -> None:
    order = make_order(salesperson, setup["customer"], [line(setup["p1"], 3)])
    _submitted(order, manager)
    path = services.send_confirmation(order=order, by=salesperson)
    assert client.post(path, {"answer": "change", "message": ""}).status_code == 422
    assert client.post(path, {"answer": "change", "message": "数量改为5"}).status_code == 200
    order.refresh_from_db()
    assert order.confirmation_status == ConfirmationStatus.CHANGE_REQUESTED
    event = OrderEvent.objects.get(order=order, type=EventType.CUSTOMER_CHANGE_REQUESTED)
    assert event.data["message"] == "数量改为5"


def test_invalid_and_expired_links(
    setup: dict[str, Any], salesperson: Any, manager: Any, client: Any, monkeypatch: Any
) -> None:
    assert client.get("/c/garbage/").status_code == 404
    order = make_order(salesperson, setup["customer"], [line(setup["p1"], 3)])
    _submitted(order, manager)
    path = services.send_confirmation(order=order, by=salesperson)

    def expired(*args: Any, **kwargs: Any) -> Any:
        raise signing.SignatureExpired("old")

    monkeypatch.setattr("salesdesk.orders.confirmation.signing.loads", expired)
    response = client.get(path)
    assert response.status_code == 410
    assert "确认链接已过期" in response.content.decode()


def test_manager_sees_approve_for_an_order_below_the_floor(
    setup: dict[str, Any], salesperson: Any, manager: Any, logged_in_client: Any
) -> None:
    floor = make_product(sku="FL-1", name="限价商品", list_price=Decimal("100"), floor_price=Decimal("90"))
    order = make_order(salesperson, setup["customer"], [line(floor, 1, unit_price=Decimal("80"))])
    services.submit_order(order=order, by=salesperson)
    order.refresh_from_db()
    assert order.approval_status == ApprovalStatus.PENDING
    client = logged_in_client(manager)
    html = client.get(reverse("web:order_detail", args=[order.pk])).content.decode()
    assert 'data-action="approve"' in html
    assert 'data-testid="below-floor"' in html
    assert "低于最低售价" in html
    assert client.post(reverse("web:order_action", args=[order.pk, "approve"])).status_code == 302
    order.refresh_from_db()
    assert order.approval_status == ApprovalStatus.APPROVED


# --- PDF -------------------------------------------------------------------------------------------


def test_pdf_renders_in_chinese_with_the_amount_in_words(
    setup: dict[str, Any], salesperson: Any, logged_in_client: Any
) -> None:
    order = make_order(salesperson, setup["customer"], [line(setup["p1"], 3), line(setup["p2"], 12)])
    response = logged_in_client(salesperson).get(reverse("web:order_pdf", args=[order.pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")
    order = SalesOrder.objects.get(pk=order.pk)
    pages = document_text(
        render_document("orders/confirmation_pdf.html", pdf_context(order, printed_by=salesperson))
    )
    text = "".join(pages)
    assert "人民币肆佰肆拾玖元玖角柒分" in text
    assert order.number in text
    assert "LS-M8" in text
    assert "449.97" in text
    assert "李*" in text
    assert "李娜" not in text
