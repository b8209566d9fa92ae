"""Defects found in review: masking of receivers, bad numeric input, link validity."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from salesdesk.accounts.tests.factories import PASSWORD, TeamFactory, make_user
from salesdesk.orders import services
from salesdesk.orders.errors import ConfirmationLinkExpired
from salesdesk.orders.models import SalesOrder
from salesdesk.orders.tests.factories import (
    line,
    make_customer,
    make_order,
    make_product,
    make_warehouse,
    stock,
)
from salesdesk.shipping import services as shipping

pytestmark = pytest.mark.django_db


def _login(user: Any) -> Client:
    client = Client(raise_request_exception=False)
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _confirmed(sales: Any, admin: Any) -> tuple[SalesOrder, Any]:
    product = make_product(sku="RV-1", list_price=Decimal("10"))
    warehouse = make_warehouse(code="SZ")
    stock(product, warehouse, 10, admin)
    order = make_order(sales, make_customer(sales), [line(product, 2)])
    SalesOrder.objects.filter(pk=order.pk).update(ship_receiver="李娜", ship_mobile="13800138000")
    order = services.submit_order(order=order, by=sales)
    if order.approval_status == "pending":
        order = services.approve_order(order=order, by=admin)
    order = services.record_customer_confirmation(order=order, by=sales, note="电话")
    order = services.confirm_order(order=order, by=sales)
    return order, warehouse


def test_planner_sees_the_receiver_masked_on_order_and_shipment() -> None:
    sales, admin = make_user("salesperson", team=TeamFactory()), make_user("administrator")
    planner, warehouse_user = make_user("planner"), make_user("warehouse")
    order, warehouse = _confirmed(sales, admin)
    body = _login(planner).get(f"/orders/{order.pk}/").content.decode()
    assert "13800138000" not in body
    assert "138****8000" in body
    assert "李*" in body
    assert "13800138000" in _login(sales).get(f"/orders/{order.pk}/").content.decode()
    shipment = shipping.create_shipment(
        order=order, warehouse=warehouse, lines=[{"line_no": 1, "qty": "1"}], by=warehouse_user
    )
    assert "李娜" not in _login(planner).get(f"/shipments/{shipment.pk}/").content.decode()
    assert "李娜" in _login(warehouse_user).get(f"/shipments/{shipment.pk}/").content.decode()
    token = (
        Client()
        .post(
            "/api/auth/token",
            {"username": planner.username, "password": PASSWORD},
            content_type="application/json",
        )
        .json()["token"]
    )
    out = Client().get(f"/api/shipments/{shipment.pk}", headers={"Authorization": f"Bearer {token}"}).json()
    assert out["receiver"] == "李*"


def test_unicode_digits_and_bad_versions_are_not_500() -> None:
    manager = make_user("manager", team=TeamFactory())
    client = _login(manager)
    for url in ["/orders/?salesperson=%C2%B2", "/orders/?after=%C2%B2", "/orders/export/?salesperson=%C2%B2"]:
        assert client.get(url).status_code < 500, url
    token = (
        Client()
        .post(
            "/api/auth/token",
            {"username": manager.username, "password": PASSWORD},
            content_type="application/json",
        )
        .json()["token"]
    )
    response = Client().post(
        "/api/promise-date",
        json.dumps({"lines": [{"product": "²", "qty": "1"}]}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422
    sales = make_user("salesperson", team=TeamFactory())
    customer = make_customer(sales)
    product = make_product(sku="RV-2")
    order = make_order(sales, customer, [line(product, 1)])
    response = _login(sales).post(
        f"/orders/{order.pk}/edit/",
        {
            "step": "save",
            "version": "abc",
            "customer": str(customer.pk),
            "lines-0-product": product.sku,
            "lines-0-qty": "1",
        },
    )
    assert response.status_code == 409
    order.refresh_from_db()
    assert order.version == 1


def test_link_validity_is_fixed_when_sent(admin_user: Any) -> None:
    sales = make_user("salesperson", team=TeamFactory())
    order = make_order(sales, make_customer(sales), [line(make_product(sku="RV-3"), 1)])
    order = services.submit_order(order=order, by=sales)
    if order.approval_status == "pending":
        order = services.approve_order(order=order, by=admin_user)
    path = services.send_confirmation(order=order, by=sales)
    SalesOrder.objects.filter(pk=order.pk).update(
        confirmation_expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    with pytest.raises(ConfirmationLinkExpired):
        services.get_order_for_customer(token=path.split("/")[2])
