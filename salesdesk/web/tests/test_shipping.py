from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from salesdesk.core.models import Parameter
from salesdesk.orders.choices import ShippingStatus
from salesdesk.shipping import services
from salesdesk.shipping.models import Shipment, TrackingEvent
from salesdesk.shipping.tests.factories import make_order, stocked, tracking_workbook
from salesdesk.web.pdf import document_text, render_document
from salesdesk.web.views.shipping import delivery_note_context

pytestmark = pytest.mark.django_db

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.fixture
def clerk(user_factory):
    return user_factory("warehouse", username="wh_clerk")


def _shipped(owner, clerk, *, qty=2, ordered=5, tracking="SF1234567890123"):
    product, wh = stocked(on_hand=10, name="不锈钢螺栓", spec="M8×30")
    order = make_order(owner=owner, lines=[(product, ordered)], warehouse=wh)
    shipment = services.create_shipment(
        order=order, warehouse=wh, lines=[{"line_no": 1, "qty": qty}], tracking_number=tracking, by=clerk
    )
    return order, shipment


def test_create_page_prefills_the_remaining_quantities(logged_in_client, salesperson, clerk):
    order, _shipment = _shipped(salesperson, clerk, qty=2, ordered=5)
    line = order.lines.get()

    response = logged_in_client(clerk).get(reverse("web:shipment_create", args=[order.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'name="line-{line.pk}-qty"' in html
    assert 'value="3"' in html
    assert "/ 3 个" in html


def test_partial_shipment_by_page_redirects_to_the_shipment(logged_in_client, salesperson, clerk):
    product, wh = stocked(on_hand=10)
    order = make_order(owner=salesperson, lines=[(product, 5)], warehouse=wh)
    line = order.lines.get()

    response = logged_in_client(clerk).post(
        reverse("web:shipment_create", args=[order.pk]),
        {
            "warehouse": wh.code,
            "tracking_number": "YT1234567890123",
            "carrier": "",
            f"line-{line.pk}-qty": "3",
        },
    )

    shipment = Shipment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:shipment_detail", args=[shipment.pk])
    assert shipment.carrier == "YTO"
    order.refresh_from_db()
    assert order.shipping_status == ShippingStatus.PARTIAL


def test_invalid_shipment_post_answers_422_and_keeps_the_input(logged_in_client, salesperson, clerk):
    product, wh = stocked(on_hand=10)
    order = make_order(owner=salesperson, lines=[(product, 5)], warehouse=wh)
    line = order.lines.get()

    response = logged_in_client(clerk).post(
        reverse("web:shipment_create", args=[order.pk]),
        {"warehouse": wh.code, "tracking_number": "ZZ-12345678", f"line-{line.pk}-qty": "8"},
    )

    assert response.status_code == 422
    html = response.content.decode()
    assert 'value="8"' in html
    assert 'value="ZZ-12345678"' in html
    assert "is-invalid" in html
    assert Shipment.objects.count() == 0


def test_salesperson_cannot_open_the_create_page(logged_in_client, salesperson, clerk):
    product, wh = stocked(on_hand=10)
    order = make_order(owner=salesperson, lines=[(product, 5)], warehouse=wh)

    assert (
        logged_in_client(salesperson).get(reverse("web:shipment_create", args=[order.pk])).status_code == 403
    )


def test_carrier_suggest_fragment(logged_in_client, clerk):
    client = logged_in_client(clerk)

    known = client.get(
        reverse("web:carrier_suggest"), {"tracking_number": "SF1234567890123"}
    ).content.decode()
    unknown = client.get(reverse("web:carrier_suggest"), {"tracking_number": "QQ12345678"}).content.decode()

    assert 'data-carrier="SF"' in known
    assert "顺丰速运" in known
    assert "data-carrier" not in unknown


def test_detail_page_event_and_sign_off(logged_in_client, salesperson, clerk):
    order, shipment = _shipped(salesperson, clerk, qty=5, ordered=5)
    client = logged_in_client(clerk)
    url = reverse("web:shipment_detail", args=[shipment.pk])

    assert client.get(url).status_code == 200
    added = client.post(
        reverse("web:shipment_event_add", args=[shipment.pk]),
        {"occurred_at": "2026-11-22T08:30", "location": "深圳", "description": "已揽收"},
    )
    bad_sign = client.post(reverse("web:shipment_sign", args=[shipment.pk]), {"signed_by_name": ""})
    signed = client.post(reverse("web:shipment_sign", args=[shipment.pk]), {"signed_by_name": "王芳"})

    assert (added.status_code, bad_sign.status_code, signed.status_code) == (302, 422, 302)
    assert TrackingEvent.objects.get().description == "已揽收"
    order.refresh_from_db()
    assert order.shipping_status == ShippingStatus.DELIVERED
    assert "王芳" in client.get(url).content.decode()


def test_detail_of_another_salespersons_order_is_404(logged_in_client, salesperson, other_salesperson, clerk):
    _order, shipment = _shipped(other_salesperson, clerk)

    assert (
        logged_in_client(salesperson).get(reverse("web:shipment_detail", args=[shipment.pk])).status_code
        == 404
    )


def test_tracking_import_page_shows_the_row_report(logged_in_client, salesperson, clerk):
    _shipped(salesperson, clerk)
    book = tracking_workbook(
        [
            ("SF1234567890123", "2026-11-22 09:00", "深圳", "已揽收"),
            ("SF0000000000000", "2026-11-22 09:00", "", "x"),
        ]
    )

    response = logged_in_client(clerk).post(reverse("web:tracking_import"), {"file": book})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="import-report"' in html
    assert "SF0000000000000" in html
    assert TrackingEvent.objects.count() == 1


def test_tracking_import_without_a_file_is_422(logged_in_client, clerk):
    assert logged_in_client(clerk).post(reverse("web:tracking_import"), {}).status_code == 422


@pytest.mark.parametrize("rows", [3, 30])
def test_list_page_query_count_does_not_grow(
    logged_in_client, salesperson, clerk, django_assert_max_num_queries, rows
):
    product, wh = stocked(on_hand=100)
    for _ in range(rows):
        order = make_order(owner=salesperson, lines=[(product, 2)], warehouse=wh)
        services.create_shipment(order=order, warehouse=wh, lines=[{"line_no": 1, "qty": 1}], by=clerk)
    client = logged_in_client(clerk)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("web:shipment_list"))

    assert response.status_code == 200
    assert response.content.decode().count('href="/shipments/') >= rows


def test_order_fragment_renders(salesperson, clerk):
    from django.template.loader import render_to_string

    from salesdesk.shipping.selectors import order_shipments_context

    order, shipment = _shipped(salesperson, clerk, qty=2, ordered=5)

    html = render_to_string(
        "shipping/_order_shipments.html", order_shipments_context(order=order, user=clerk)
    )

    assert shipment.number in html
    assert reverse("web:shipment_create", args=[order.pk]) in html
    assert "3 个" in html


def test_delivery_note_pdf(logged_in_client, salesperson, clerk):
    Parameter.objects.update_or_create(key="company.name", defaults={"value": "深圳示例贸易有限公司"})
    order, shipment = _shipped(salesperson, clerk, qty=3, ordered=5)

    response = logged_in_client(clerk).get(reverse("web:shipment_pdf", args=[shipment.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "delivery-note.pdf").write_bytes(response.content)
    shipment = Shipment.objects.select_related("order", "warehouse").get(pk=shipment.pk)
    text = document_text(
        render_document("shipping/delivery_note_pdf.html", delivery_note_context(shipment, printed_by=clerk))
    )[0]
    for expected in (shipment.number, order.number, "李娜", "13800138000", "不锈钢螺栓", "M8×30", "顺丰速运"):
        assert expected in text
    assert Decimal(order.lines.get().shipped_qty) == 3
