"""API: change requests, versions, exceptions, comments, articles — shapes, scope, refusals, queries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from salesdesk.fulfillment import changes, comments, exceptions, knowledge
from salesdesk.fulfillment.models import ChangeRequest
from salesdesk.fulfillment.tests.changes_factories import (
    confirmed_with_plan,
    line,
    make_product,
    make_warehouse,
    stock,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(salesperson: Any, manager: Any) -> Any:
    wh = make_warehouse(code="WH1")
    p = make_product(sku="A-1", name="螺丝", list_price=Decimal("35.00"))
    stock(p, wh, "100")
    return confirmed_with_plan(salesperson, manager, warehouse=wh, lines=[line(p, "10", warehouse=wh)])


def test_create_change_request_returns_impact(api_client_for: Any, salesperson: Any, order: Any) -> None:
    api = api_client_for(salesperson)
    body = {"reason": "客户加量", "changes": {"lines": [{"line_no": 1, "qty": "12"}]}}

    response = api.post(f"/api/orders/{order.pk}/change-requests", body)

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["number"].startswith("BGD")
    assert data["status"] == "pending"
    assert data["status_label"] == "待审批"
    assert data["base_version"] == order.version
    assert data["amount_difference"] == "70.00"
    assert data["impact"]["stock"] == [
        {"line_no": 1, "sku": "A-1", "warehouse": "WH1", "reserve": "2", "release": "0", "available": "90"}
    ]
    assert data["impact"]["lines_diff"][0] == {
        "field": "qty",
        "line_no": 1,
        "sku": "A-1",
        "before": "10",
        "after": "12",
    }
    assert data["requested_by"]["username"] == "sales_a"


def test_bad_input_is_422_with_paths(api_client_for: Any, salesperson: Any, order: Any) -> None:
    api = api_client_for(salesperson)
    response = api.post(
        f"/api/orders/{order.pk}/change-requests",
        {"reason": "减", "changes": {"lines": [{"line_no": 1, "qty": "-1"}]}},
    )
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["lines.0.qty"]
    assert ChangeRequest.objects.count() == 0


def test_approve_and_versions(api_client_for: Any, salesperson: Any, manager: Any, order: Any) -> None:
    cr = changes.request_change(
        order=order, changes={"lines": [{"line_no": 1, "qty": "12"}]}, reason="加", by=salesperson
    )
    assert api_client_for(salesperson).post(f"/api/change-requests/{cr.pk}/approve", {}).status_code == 403

    response = api_client_for(manager).post(f"/api/change-requests/{cr.pk}/approve", {"comment": "同意"})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    versions = api_client_for(salesperson).get(f"/api/orders/{order.pk}/versions").json()
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[0]["diff"][0] == {
        "field": "qty",
        "line_no": 1,
        "sku": "A-1",
        "before": "10",
        "after": "12",
    }
    assert versions[0]["change_request"] == cr.number


def test_stale_approval_is_409(api_client_for: Any, salesperson: Any, manager: Any, order: Any) -> None:
    first = changes.request_change(
        order=order, changes={"lines": [{"line_no": 1, "qty": "12"}]}, reason="一", by=salesperson
    )
    second = changes.request_change(
        order=order, changes={"lines": [{"line_no": 1, "qty": "13"}]}, reason="二", by=salesperson
    )
    changes.approve_change(change_request=first, by=manager)
    response = api_client_for(manager).post(f"/api/change-requests/{second.pk}/approve", {})
    assert response.status_code == 409
    assert response.json()["code"] == "stale_version"


def test_reject_and_withdraw(api_client_for: Any, salesperson: Any, manager: Any, order: Any) -> None:
    cr = changes.request_change(
        order=order, changes={"lines": [{"line_no": 1, "qty": "12"}]}, reason="加", by=salesperson
    )
    assert api_client_for(manager).post(f"/api/change-requests/{cr.pk}/reject", {}).status_code == 422
    response = api_client_for(manager).post(f"/api/change-requests/{cr.pk}/reject", {"reason": "不行"})
    assert response.json()["status"] == "rejected"
    other = changes.request_change(
        order=order, changes={"lines": [{"line_no": 1, "qty": "11"}]}, reason="加", by=salesperson
    )
    response = api_client_for(salesperson).post(f"/api/change-requests/{other.pk}/withdraw", {})
    assert response.json()["status"] == "withdrawn"


def test_data_scope_is_404(api_client_for: Any, salesperson: Any, other_salesperson: Any, order: Any) -> None:
    cr = changes.request_change(
        order=order, changes={"lines": [{"line_no": 1, "qty": "12"}]}, reason="加", by=salesperson
    )
    api = api_client_for(other_salesperson)
    assert api.get(f"/api/orders/{order.pk}/change-requests").status_code == 404
    assert api.get(f"/api/change-requests/{cr.pk}").status_code == 404
    assert api.post(f"/api/change-requests/{cr.pk}/withdraw", {}).status_code == 404
    assert api.post(f"/api/orders/{order.pk}/comments", {"body": "hi"}).status_code == 404
    assert api.get(f"/api/orders/{order.pk}/exceptions").status_code == 404
    assert api.get(f"/api/orders/{order.pk}/versions").status_code == 404


def test_exceptions_and_article(api_client_for: Any, salesperson: Any, manager: Any, order: Any) -> None:
    api = api_client_for(salesperson)
    response = api.post(
        f"/api/orders/{order.pk}/exceptions",
        {"kind": "delay", "severity": "critical", "title": "物流延误", "owner": manager.pk},
    )
    assert response.status_code == 201, response.content
    exc = response.json()
    assert (exc["kind_label"], exc["status"], exc["owner"]["username"]) == ("延误", "open", "manager_a")

    patched = api_client_for(manager).patch(
        f"/api/exceptions/{exc['id']}",
        {"status": "resolved", "resolution": "改走空运", "root_cause": "暴雨", "lessons": "雨季预留余量"},
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["status"] == "resolved"
    assert patched.json()["resolved_at"] is not None

    article = api.post(f"/api/exceptions/{exc['id']}/article")
    assert article.status_code == 201
    assert article.json()["tags"] == ["延误", "螺丝"]
    found = api.get("/api/articles", {"q": "空运"}).json()
    assert found["count"] == 1
    assert found["items"][0]["id"] == article.json()["id"]


def test_bad_exception_input_is_422(api_client_for: Any, salesperson: Any, order: Any) -> None:
    response = api_client_for(salesperson).post(f"/api/orders/{order.pk}/exceptions", {"kind": "x"})
    assert response.status_code == 422
    assert sorted(response.json()["fields"]) == ["kind", "title"]


def test_comments(api_client_for: Any, salesperson: Any, manager: Any, order: Any) -> None:
    api = api_client_for(salesperson)
    response = api.post(f"/api/orders/{order.pk}/comments", {"body": "@manager_a 请看"})
    assert response.status_code == 201
    assert response.json()["mentions"] == ["manager_a"]
    listed = api.get(f"/api/orders/{order.pk}/comments").json()
    assert [c["body"] for c in listed] == ["@manager_a 请看"]
    assert api.post(f"/api/orders/{order.pk}/comments", {"body": ""}).status_code == 422


def _fill(order: Any, salesperson: Any, manager: Any, n: int) -> None:
    for i in range(n):
        changes.ChangeRequest.objects.create(
            order=order,
            number=f"BGDX-{order.pk}-{i}",
            reason="r",
            base_version=order.version,
            changes={},
            impact={},
            requested_by=salesperson,
        )
        exceptions.report_exception(order=order, kind="delay", severity="info", title=f"e{i}", by=salesperson)
        comments.add_comment(order=order, body=f"c{i} @manager_a", by=salesperson)
        knowledge.create_article(title=f"t{i}", body="b", by=salesperson)


@pytest.mark.parametrize("rows", [3, 30])
def test_list_endpoints_query_counts(
    api_client_for: Any,
    salesperson: Any,
    manager: Any,
    order: Any,
    rows: int,
    django_assert_max_num_queries: Any,
) -> None:
    _fill(order, salesperson, manager, rows)
    api = api_client_for(salesperson)
    for url in (
        f"/api/orders/{order.pk}/change-requests",
        f"/api/orders/{order.pk}/exceptions",
        f"/api/orders/{order.pk}/comments",
        f"/api/orders/{order.pk}/versions",
        "/api/articles",
    ):
        with django_assert_max_num_queries(10):
            response = api.get(url)
        assert response.status_code == 200, url
