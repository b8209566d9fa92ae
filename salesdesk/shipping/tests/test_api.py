import pytest
from django.test import Client

from salesdesk.inventory.models import StockLevel
from salesdesk.orders.choices import ShippingStatus
from salesdesk.shipping import services
from salesdesk.shipping.models import Shipment, TrackingEvent

from .factories import make_order, stocked, tracking_workbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(user_factory):
    return user_factory("warehouse", username="wh_clerk")


def test_create_shipment_by_line_no_answers_201_with_lines_and_carriers(api_client_for, salesperson, clerk):
    product, wh = stocked(on_hand=10)
    order = make_order(owner=salesperson, lines=[(product, 5)], warehouse=wh)

    response = api_client_for(clerk).post(
        "/api/shipments",
        {
            "order": order.pk,
            "warehouse": wh.code,
            "lines": [{"line_no": 1, "qty": "3"}],
            "tracking_number": "EE123456785CN",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("FHD")
    assert (body["status"], body["carrier"], body["carrier_name"]) == ("shipped", "EMS", "EMS / 中国邮政")
    assert body["suggested_carriers"] == [{"code": "EMS", "name": "EMS / 中国邮政"}]
    assert body["lines"] == [
        {
            "order_line": order.lines.get().pk,
            "line_no": 1,
            "sku": product.sku,
            "name": product.name,
            "unit": "个",
            "qty": "3",
        }
    ]
    order.refresh_from_db()
    assert order.shipping_status == ShippingStatus.PARTIAL


def test_create_shipment_over_quantity_answers_422_and_changes_nothing(api_client_for, salesperson, clerk):
    product, wh = stocked(on_hand=10)
    order = make_order(owner=salesperson, lines=[(product, 5)], warehouse=wh)

    response = api_client_for(clerk).post(
        "/api/shipments", {"order": order.pk, "warehouse": wh.code, "lines": [{"line_no": 1, "qty": "9"}]}
    )

    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["lines.0.qty"]
    assert Shipment.objects.count() == 0
    assert StockLevel.objects.get(product=product).on_hand_qty == 10


def test_salesperson_may_not_create_and_cannot_see_other_orders(
    api_client_for, salesperson, other_salesperson, clerk
):
    product, wh = stocked(on_hand=10)
    order = make_order(owner=other_salesperson, lines=[(product, 5)], warehouse=wh)
    shipment = services.create_shipment(order=order, warehouse=wh, lines=[{"line_no": 1, "qty": 1}], by=clerk)
    client = api_client_for(salesperson)

    assert client.post("/api/shipments", {"order": order.pk}).status_code == 403
    assert client.get(f"/api/shipments/{shipment.pk}").status_code == 404
    assert client.get("/api/shipments").json() == {"items": [], "count": 0}


def test_tracking_event_and_sign_endpoints(api_client_for, salesperson, clerk):
    product, wh = stocked(on_hand=10)
    order = make_order(owner=salesperson, lines=[(product, 2)], warehouse=wh)
    shipment = services.create_shipment(order=order, warehouse=wh, lines=[{"line_no": 1, "qty": 2}], by=clerk)
    client = api_client_for(clerk)
    url = f"/api/shipments/{shipment.pk}/tracking-events"

    created = client.post(
        url, {"occurred_at": "2026-11-22T10:00:00+08:00", "description": "运输中", "location": "广州"}
    )
    repeated = client.post(url, {"occurred_at": "2026-11-22T10:00:00+08:00", "description": "运输中"})
    bad = client.post(url, {"occurred_at": "", "description": "x"})

    assert (created.status_code, repeated.status_code, bad.status_code) == (201, 200, 422)
    assert (created.json()["created"], repeated.json()["created"]) == (True, False)
    assert list(bad.json()["fields"]) == ["occurred_at"]
    assert TrackingEvent.objects.count() == 1

    signed = client.post(f"/api/shipments/{shipment.pk}/sign", {"signed_by_name": "王芳", "note": "完好"})

    assert signed.status_code == 200, signed.content
    assert (signed.json()["status"], signed.json()["signed_by_name"]) == ("delivered", "王芳")
    order.refresh_from_db()
    assert order.shipping_status == ShippingStatus.DELIVERED
    assert client.post(f"/api/shipments/{shipment.pk}/sign", {"signed_by_name": "王芳"}).status_code == 409


def test_tracking_import_endpoint_reports_rows(salesperson, clerk, password):
    product, wh = stocked(on_hand=10)
    order = make_order(owner=salesperson, lines=[(product, 2)], warehouse=wh)
    services.create_shipment(
        order=order,
        warehouse=wh,
        lines=[{"line_no": 1, "qty": 2}],
        tracking_number="JT1234567890123",
        by=clerk,
    )
    client = Client()
    token = client.post(
        "/api/auth/token", {"username": clerk.username, "password": password}, content_type="application/json"
    ).json()["token"]
    book = tracking_workbook(
        [("JT1234567890123", "2026-11-22 09:00", "杭州", "已揽收"), ("", "", "", "坏行")]
    )

    response = client.post(
        "/api/shipments/tracking-import", {"file": book}, headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["rows"], body["created"], body["duplicates"]) == (2, 1, 0)
    assert [e["row"] for e in body["errors"]] == [3]


def test_carrier_suggest_endpoint(api_client_for, clerk):
    client = api_client_for(clerk)

    known = client.get("/api/carriers/suggest", {"number": "dpk123456789012"}).json()
    unknown = client.get("/api/carriers/suggest", {"number": "ZZ99"}).json()

    assert known == {
        "number": "DPK123456789012",
        "carriers": [{"code": "DBL", "name": "德邦快递"}],
        "warning": "",
    }
    assert unknown["carriers"] == []
    assert unknown["warning"]


@pytest.mark.parametrize("rows", [3, 30])
def test_list_endpoint_query_count_does_not_grow(
    api_client_for, salesperson, clerk, django_assert_max_num_queries, rows
):
    product, wh = stocked(on_hand=100)
    for _ in range(rows):
        order = make_order(owner=salesperson, lines=[(product, 1)], warehouse=wh)
        services.create_shipment(order=order, warehouse=wh, lines=[{"line_no": 1, "qty": 1}], by=clerk)
    client = api_client_for(clerk)

    with django_assert_max_num_queries(7):
        response = client.get("/api/shipments")

    assert response.json()["count"] == rows
