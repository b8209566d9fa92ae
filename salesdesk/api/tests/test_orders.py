"""API for orders: create with Idempotency-Key, read, patch with version, list, actions, events, links."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from salesdesk.inventory.models import StockLevel
from salesdesk.orders import services
from salesdesk.orders.models import OrderEvent, SalesOrder
from salesdesk.orders.tests.factories import line, make_customer, make_product, make_warehouse, stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(salesperson: Any, admin_user: Any) -> Any:
    customer = make_customer(salesperson)
    product = make_product(sku="API-1", list_price=Decimal("9.99"))
    stock(product, make_warehouse(code="SZ"), 10, admin_user)
    return customer, product


def test_post_order_returns_201_with_amounts(api_client_for: Any, salesperson: Any, setup: Any) -> None:
    customer, product = setup
    api = api_client_for(salesperson)
    body = {"customer": customer.pk, "lines": [{"product": product.pk, "qty": "3"}]}
    r = api.post("/api/orders", body, **{"Idempotency-Key": "abc"})
    assert r.status_code == 201, r.content
    data = r.json()
    ln = data["lines"][0]
    assert (ln["line_no"], ln["sku"], ln["qty"], ln["unit_price"], ln["amount"], ln["net_amount"]) == (
        1,
        "API-1",
        "3",
        "9.99",
        "29.97",
        "26.52",
    )
    assert (ln["tax_amount"], ln["price_source"], ln["is_below_floor"]) == ("3.45", "list", False)
    assert (data["total_amount"], data["net_amount"], data["tax_amount"]) == ("29.97", "26.52", "3.45")
    assert (data["status"], data["approval_status"], data["version"]) == ("draft", "not_required", 1)
    assert data["allowed_actions"] == ["submit", "cancel"]
    assert [r["code"] for r in data["approval_reasons"]] == ["new_customer", "new_product"]
    again = api.post("/api/orders", body, **{"Idempotency-Key": "abc"})
    assert again.status_code == 201
    assert again.json()["id"] == data["id"]
    assert SalesOrder.objects.count() == 1


def test_post_order_bad_input_is_422_in_chinese(api_client_for: Any, salesperson: Any, setup: Any) -> None:
    customer, _product = setup
    r = api_client_for(salesperson).post(
        "/api/orders", {"customer": customer.pk, "lines": [{"product": "NOPE", "qty": "-1"}]}
    )
    assert r.status_code == 422
    assert set(r.json()["fields"]) == {"lines.0.product", "lines.0.qty"}


def test_ids_no_row_can_have_are_unknown_not_errors(
    api_client_for: Any, salesperson: Any, setup: Any
) -> None:
    """A customer or product number beyond the ids' range (bigint) is an unknown one, answered 422 on
    every database (it is never sent to be compared with an id column)."""
    customer, product = setup
    huge = "9" * 20
    api = api_client_for(salesperson)
    r = api.post("/api/orders", {"customer": huge, "lines": [{"product": product.pk, "qty": "1"}]})
    assert (r.status_code, list(r.json()["fields"])) == (422, ["customer"])
    r = api.post("/api/orders", {"customer": customer.pk, "lines": [{"product": huge, "qty": "1"}]})
    assert (r.status_code, list(r.json()["fields"])) == (422, ["lines.0.product"])
    assert SalesOrder.objects.count() == 0


def test_duplicate_warning_is_409(api_client_for: Any, salesperson: Any, setup: Any) -> None:
    customer, product = setup
    api = api_client_for(salesperson)
    body = {"customer": customer.pk, "customer_po": "PO-9", "lines": [{"product": product.pk, "qty": "1"}]}
    assert api.post("/api/orders", body).status_code == 201
    r = api.post("/api/orders", body)
    assert (r.status_code, r.json()["code"]) == (409, "possible_duplicate")
    assert api.post("/api/orders", {**body, "acknowledge_duplicate": True}).status_code == 201


def test_patch_with_version_and_stale(api_client_for: Any, salesperson: Any, setup: Any) -> None:
    customer, product = setup
    order = services.create_order(by=salesperson, customer=customer, lines=[line(product, 1)])
    api = api_client_for(salesperson)
    r = api.patch(f"/api/orders/{order.pk}", {"version": 1, "lines": [{"product": "API-1", "qty": "2"}]})
    assert r.status_code == 200, r.content
    assert (r.json()["version"], r.json()["total_amount"]) == (2, "19.98")
    stale = api.patch(f"/api/orders/{order.pk}", {"version": 1, "customer_po": "X"})
    assert (stale.status_code, stale.json()["code"]) == (409, "stale_version")
    order.refresh_from_db()
    assert (order.version, order.customer_po) == (2, "")


def test_actions_and_refusal(api_client_for: Any, salesperson: Any, manager: Any, setup: Any) -> None:
    customer, product = setup
    order = services.create_order(by=salesperson, customer=customer, lines=[line(product, 3)])
    sales_api, manager_api = api_client_for(salesperson), api_client_for(manager)
    refused = sales_api.post(f"/api/orders/{order.pk}/confirm", {})
    assert (refused.status_code, refused.json()["code"]) == (409, "transition_not_allowed")
    assert refused.json()["message"]
    order.refresh_from_db()
    assert (order.status, order.version, OrderEvent.objects.filter(order=order).count()) == ("draft", 1, 1)
    assert sales_api.post(f"/api/orders/{order.pk}/submit").json()["status"] == "submitted"
    assert sales_api.post(f"/api/orders/{order.pk}/approve").status_code == 403
    r = manager_api.post(f"/api/orders/{order.pk}/approve", {"comment": "ok"})
    assert r.json()["approval_status"] == "approved"
    r = sales_api.post(f"/api/orders/{order.pk}/send_confirmation")
    url = r.json()["confirmation_url"]
    token = url.split("/")[2]
    anonymous = api_client_for(None)
    r = anonymous.post(f"/api/orders/confirmations/{token}/confirm")
    assert r.status_code == 200
    assert r.json()["confirmation_status"] == "confirmed"
    r = sales_api.post(f"/api/orders/{order.pk}/confirm")
    assert r.status_code == 200
    assert r.json()["status"] == "confirmed"
    assert StockLevel.objects.get().reserved_qty == Decimal(3)
    r = sales_api.post(f"/api/orders/{order.pk}/cancel", {"reason": ""})
    assert r.status_code == 422
    assert "reason" in r.json()["fields"]
    r = sales_api.post(f"/api/orders/{order.pk}/cancel", {"reason": "客户取消"})
    assert r.json()["status"] == "cancelled"
    assert StockLevel.objects.get().reserved_qty == Decimal(0)
    events = sales_api.get(f"/api/orders/{order.pk}/events").json()
    assert [e["type"] for e in events][-2:] == ["cancelled", "stock_released"]
    copy = sales_api.post(f"/api/orders/{order.pk}/copy")
    assert copy.status_code == 201
    assert copy.json()["status"] == "draft"


def test_customer_links_invalid_and_change_request(
    api_client_for: Any, salesperson: Any, manager: Any, setup: Any
) -> None:
    customer, product = setup
    anonymous = api_client_for(None)
    r = anonymous.post("/api/orders/confirmations/garbage/confirm")
    assert (r.status_code, r.json()["code"]) == (404, "link_invalid")
    order = services.create_order(by=salesperson, customer=customer, lines=[line(product, 1)])
    services.submit_order(order=order, by=salesperson)
    services.approve_order(order=order, by=manager)
    token = services.send_confirmation(order=order, by=salesperson).split("/")[2]
    r = anonymous.post(f"/api/orders/confirmations/{token}/request-change", {"message": "改成2个"})
    assert r.status_code == 200
    assert r.json()["confirmation_status"] == "change_requested"


def test_scope_hides_other_salespeople_orders(
    api_client_for: Any, salesperson: Any, other_salesperson: Any, setup: Any
) -> None:
    customer, product = setup
    order = services.create_order(by=salesperson, customer=customer, lines=[line(product, 1)])
    assert api_client_for(other_salesperson).get(f"/api/orders/{order.pk}").status_code == 404
    assert api_client_for(other_salesperson).get("/api/orders").json()["count"] == 0


def _orders(salesperson: Any, n: int) -> None:
    customer = make_customer(salesperson)
    product = make_product()
    for i in range(n):
        services.create_order(
            by=salesperson, customer=customer, lines=[line(product, i + 1)], acknowledge_duplicate=True
        )


@pytest.mark.parametrize("n", [3, 30])
def test_list_query_count_does_not_grow(
    api_client_for: Any, salesperson: Any, n: int, django_assert_max_num_queries: Any
) -> None:
    _orders(salesperson, n)
    api = api_client_for(salesperson)
    with django_assert_max_num_queries(8):
        r = api.get("/api/orders", {"limit": 50})
    assert r.json()["count"] == n
    assert len(r.json()["items"]) == n


def test_list_filters_and_keyset(api_client_for: Any, salesperson: Any) -> None:
    _orders(salesperson, 5)
    api = api_client_for(salesperson)
    first = api.get("/api/orders", {"limit": 2}).json()
    second = api.get("/api/orders", {"limit": 2, "after": first["next_after"]}).json()
    ids = [o["id"] for o in first["items"] + second["items"]]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 4
    number = first["items"][0]["number"]
    assert [o["number"] for o in api.get("/api/orders", {"q": number}).json()["items"]] == [number]
    assert api.get("/api/orders", {"status": "submitted"}).json()["count"] == 0
