"""Pages: change-request form and preview, detail with approval, order fragment, exceptions, articles."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from salesdesk.fulfillment import changes, comments, exceptions, knowledge
from salesdesk.fulfillment.models import Article, ChangeRequest, Notification, OrderException
from salesdesk.fulfillment.tests.changes_factories import (
    confirmed_with_plan,
    level,
    line,
    make_product,
    make_warehouse,
    stock,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx(salesperson: Any, manager: Any) -> dict[str, Any]:
    wh = make_warehouse(code="WH1")
    p = make_product(sku="A-1", name="螺丝", list_price=Decimal("35.00"))
    extra = make_product(sku="C-1", name="垫片", list_price=Decimal("10.00"))
    stock(p, wh, "100")
    stock(extra, wh, "100")
    order = confirmed_with_plan(salesperson, manager, warehouse=wh, lines=[line(p, "10", warehouse=wh)])
    return {"order": order, "wh": wh, "p": p, "extra": extra}


def _form(order: Any, **extra: str) -> dict[str, str]:
    data = {
        "line-1-qty": "10",
        "line-1-unit_price": "35",
        "requested_date": order.requested_date.isoformat() if order.requested_date else "",
        "promised_date": order.promised_date.isoformat() if order.promised_date else "",
        "address": str(order.address_id or ""),
        "remark": order.remark,
        "reason": "客户加量",
    }
    data.update(extra)
    return data


def test_form_preview_shows_impact_without_saving(
    ctx: dict[str, Any], logged_in_client: Any, salesperson: Any
) -> None:
    order = ctx["order"]
    client = logged_in_client(salesperson)
    url = f"/orders/{order.pk}/change-requests/new/"
    assert client.get(url).status_code == 200

    response = client.post(
        url, _form(order, **{"line-1-qty": "12", "add-0-sku": "C-1", "add-0-qty": "3", "step": "preview"})
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "¥100.00" in html  # 2 × 35 + 3 × 10
    assert "提交审批" in html
    assert ChangeRequest.objects.count() == 0
    assert level(ctx["p"], ctx["wh"]) == (Decimal("100"), Decimal("10"))


def test_form_submit_creates_the_request(
    ctx: dict[str, Any], logged_in_client: Any, salesperson: Any
) -> None:
    order = ctx["order"]
    client = logged_in_client(salesperson)
    response = client.post(
        f"/orders/{order.pk}/change-requests/new/", _form(order, **{"line-1-qty": "12", "step": "submit"})
    )
    cr = ChangeRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/change-requests/{cr.pk}/"
    assert cr.changes == {"lines": [{"line_no": 1, "qty": "12"}]}


def test_form_error_is_422_next_to_the_field_and_keeps_input(
    ctx: dict[str, Any], logged_in_client: Any, salesperson: Any
) -> None:
    order = ctx["order"]
    client = logged_in_client(salesperson)
    response = client.post(
        f"/orders/{order.pk}/change-requests/new/",
        _form(order, **{"line-1-qty": "0", "add-0-sku": "NOPE", "add-0-qty": "1", "step": "submit"}),
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="0"' in html
    assert 'value="NOPE"' in html
    assert "is-invalid" in html
    assert ChangeRequest.objects.count() == 0


def test_manager_approves_on_the_detail_page(
    ctx: dict[str, Any], logged_in_client: Any, salesperson: Any, manager: Any
) -> None:
    order = ctx["order"]
    cr = changes.request_change(
        order=order, changes={"lines": [{"line_no": 1, "qty": "12"}]}, reason="加", by=salesperson
    )
    own = logged_in_client(salesperson).get(f"/change-requests/{cr.pk}/").content.decode()
    assert f"/change-requests/{cr.pk}/approve/" not in own  # the requester can't approve
    client = logged_in_client(manager)
    page = client.get(f"/change-requests/{cr.pk}/").content.decode()
    assert f"/change-requests/{cr.pk}/approve/" in page

    response = client.post(f"/change-requests/{cr.pk}/approve/", {"comment": "同意"})

    assert response.status_code == 302
    detail = client.get(f"/change-requests/{cr.pk}/").content.decode()
    assert "V2" in detail
    assert level(ctx["p"], ctx["wh"]) == (Decimal("100"), Decimal("12"))


def test_reject_without_reason_is_422(
    ctx: dict[str, Any], logged_in_client: Any, salesperson: Any, manager: Any
) -> None:
    cr = changes.request_change(
        order=ctx["order"], changes={"lines": [{"line_no": 1, "qty": "12"}]}, reason="加", by=salesperson
    )
    response = logged_in_client(manager).post(f"/change-requests/{cr.pk}/reject/", {"comment": ""})
    assert response.status_code == 422
    cr.refresh_from_db()
    assert cr.status == "pending"


def test_order_fragment_and_comment_post(
    ctx: dict[str, Any], logged_in_client: Any, salesperson: Any, manager: Any
) -> None:
    order = ctx["order"]
    client = logged_in_client(salesperson)
    response = client.post(
        f"/orders/{order.pk}/comments/", {"body": "@manager_a 请看"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "@manager_a 请看" in response.content.decode()
    assert Notification.objects.filter(recipient=manager, kind="mention").count() == 1
    empty = client.post(f"/orders/{order.pk}/comments/", {"body": ""}, HTTP_HX_REQUEST="true")
    assert empty.status_code == 422


def test_scope_404(
    ctx: dict[str, Any], logged_in_client: Any, salesperson: Any, other_salesperson: Any
) -> None:
    order = ctx["order"]
    cr = changes.request_change(
        order=order, changes={"lines": [{"line_no": 1, "qty": "12"}]}, reason="加", by=salesperson
    )
    exc = exceptions.report_exception(order=order, kind="delay", severity="info", title="晚", by=salesperson)
    client = logged_in_client(other_salesperson)
    for url in (
        f"/orders/{order.pk}/changes/",
        f"/orders/{order.pk}/change-requests/new/",
        f"/change-requests/{cr.pk}/",
        f"/exceptions/{exc.pk}/edit/",
        f"/orders/{order.pk}/exceptions/new/",
    ):
        assert client.get(url).status_code == 404, url


def test_exception_pages_and_one_click_article(
    ctx: dict[str, Any], logged_in_client: Any, salesperson: Any, manager: Any
) -> None:
    order = ctx["order"]
    client = logged_in_client(salesperson)
    bad = client.post(
        f"/orders/{order.pk}/exceptions/new/", {"kind": "", "severity": "warning", "title": "破损"}
    )
    assert bad.status_code == 422
    assert 'value="破损"' in bad.content.decode()
    response = client.post(
        f"/orders/{order.pk}/exceptions/new/",
        {
            "kind": "logistics",
            "severity": "warning",
            "title": "运输破损",
            "description": "外箱压坏",
            "owner": "",
        },
    )
    exc = OrderException.objects.get()
    assert response["Location"] == f"/exceptions/{exc.pk}/edit/"
    page = client.get(response["Location"]).content.decode()
    assert "写成知识库文章" in page

    made = client.post(f"/exceptions/{exc.pk}/article/")

    article = Article.objects.get()
    assert made["Location"] == f"/kb/{article.pk}/edit/"
    assert article.title == "运输破损"
    assert "外箱压坏" in article.body


def test_kb_pages(logged_in_client: Any, salesperson: Any, other_salesperson: Any) -> None:
    client = logged_in_client(salesperson)
    assert client.post("/kb/new/", {"title": "", "body": ""}).status_code == 422
    response = client.post("/kb/new/", {"title": "发货前核对", "body": "核对地址", "tags": "物流"})
    article = Article.objects.get()
    assert response["Location"] == f"/kb/{article.pk}/"
    listing = logged_in_client(other_salesperson).get("/kb/", {"q": "核对"}).content.decode()
    assert "发货前核对" in listing
    assert "发货前核对" not in logged_in_client(other_salesperson).get("/kb/", {"q": "无关"}).content.decode()


def _many(order: Any, salesperson: Any, n: int) -> None:
    for i in range(n):
        exceptions.report_exception(order=order, kind="delay", severity="info", title=f"e{i}", by=salesperson)
        knowledge.create_article(title=f"t{i}", body="b", by=salesperson)
        comments.add_comment(order=order, body=f"c{i} @manager_a", by=salesperson)
        ChangeRequest.objects.create(
            order=order,
            number=f"BGDX-{i}",
            reason="r",
            base_version=1,
            changes={},
            impact={},
            requested_by=salesperson,
        )


@pytest.mark.parametrize("rows", [3, 30])
def test_list_pages_query_counts(
    ctx: dict[str, Any],
    logged_in_client: Any,
    salesperson: Any,
    manager: Any,
    rows: int,
    django_assert_max_num_queries: Any,
) -> None:
    _many(ctx["order"], salesperson, rows)
    client = logged_in_client(manager)
    for url in ("/exceptions/", "/kb/", "/change-requests/", f"/orders/{ctx['order'].pk}/changes/"):
        with django_assert_max_num_queries(20):
            response = client.get(url)
        assert response.status_code == 200, url
