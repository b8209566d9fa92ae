import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from salesdesk.core.errors import InvalidInput
from salesdesk.inventory.models import StockLevel, StockMove
from salesdesk.orders.choices import EventType, ShippingStatus, Status
from salesdesk.orders.models import OrderEvent, SalesOrderLine
from salesdesk.orders.shipping_facts import OrderNotShippable, record_shipment
from salesdesk.shipping import services
from salesdesk.shipping.errors import ShipmentNotEditable, ShipmentNotSignable
from salesdesk.shipping.models import Shipment, ShipmentStatus, TrackingEvent

from .factories import make_order, stocked, tracking_workbook

pytestmark = pytest.mark.django_db


def _level(product, warehouse):
    return StockLevel.objects.get(product=product, warehouse=warehouse)


@pytest.fixture
def clerk(user_factory):
    return user_factory("warehouse", username="wh_clerk")


def test_partial_then_rest_ships_the_order_and_the_ledger_adds_up(salesperson, clerk):
    product, wh = stocked(on_hand=10)
    order = make_order(owner=salesperson, lines=[(product, 5)], warehouse=wh)
    line = order.lines.get()
    assert (_level(product, wh).on_hand_qty, _level(product, wh).reserved_qty) == (10, 5)

    first = services.create_shipment(
        order=order,
        warehouse=wh,
        lines=[{"order_line": line, "qty": "3"}],
        tracking_number="SF1234567890123",
        by=clerk,
    )

    order.refresh_from_db()
    line.refresh_from_db()
    assert first.number.startswith("FHD")
    assert first.status == ShipmentStatus.SHIPPED
    assert first.carrier == "SF"
    assert (first.receiver, first.ship_to) == ("李娜", "广东省深圳市南山区 粤海街道科技园路1号")
    assert order.shipping_status == ShippingStatus.PARTIAL
    assert (line.shipped_qty, line.reserved_qty) == (Decimal(3), Decimal(2))
    level = _level(product, wh)
    assert (level.on_hand_qty, level.reserved_qty) == (Decimal(7), Decimal(2))

    second = services.create_shipment(
        order=order, warehouse=wh, lines=[{"order_line": line.pk, "qty": 2}], by=clerk
    )

    order.refresh_from_db()
    line.refresh_from_db()
    assert order.shipping_status == ShippingStatus.SHIPPED
    assert (line.shipped_qty, line.reserved_qty) == (Decimal(5), Decimal(0))
    level = _level(product, wh)
    assert (level.on_hand_qty, level.reserved_qty) == (Decimal(5), Decimal(0))
    issues = list(
        StockMove.objects.filter(product=product, kind=StockMove.Kind.ISSUE)
        .order_by("id")
        .values_list("reference", "qty")
    )
    assert issues == [(first.number, Decimal(3)), (second.number, Decimal(2))]
    releases = list(
        StockMove.objects.filter(product=product, kind=StockMove.Kind.RELEASE)
        .order_by("id")
        .values_list("reference", "qty")
    )
    assert releases == [(order.number, Decimal(3)), (order.number, Decimal(2))]
    # the ledger adds up: receipts − issues = on hand, reservations − releases = reserved
    moves = StockMove.objects.filter(product=product, warehouse=wh)
    on_hand = sum(m.qty for m in moves if m.kind == "receipt") - sum(
        m.qty for m in moves if m.kind == "issue"
    )
    reserved = sum(m.qty for m in moves if m.kind == "reserve") - sum(
        m.qty for m in moves if m.kind == "release"
    )
    assert (on_hand, reserved) == (Decimal(5), Decimal(0))
    events = list(
        OrderEvent.objects.filter(order=order, type=EventType.SHIPPED).values_list("data", flat=True)
    )
    assert [e["reference"] for e in events] == [first.number, second.number]
    assert [e["shipping_status"] for e in events] == ["partial", "shipped"]


def test_shipping_more_than_ordered_is_refused_and_nothing_changes(salesperson, clerk):
    product, wh = stocked(on_hand=10)
    order = make_order(owner=salesperson, lines=[(product, 5)], warehouse=wh)
    line = order.lines.get()
    moves_before = StockMove.objects.count()

    with pytest.raises(InvalidInput) as exc:
        services.create_shipment(
            order=order, warehouse=wh, lines=[{"order_line": line, "qty": "6"}], by=clerk
        )

    assert list(exc.value.fields) == ["lines.0.qty"]
    assert " 5 " in exc.value.fields["lines.0.qty"][0]
    line.refresh_from_db()
    order.refresh_from_db()
    assert (line.shipped_qty, line.reserved_qty, order.shipping_status) == (0, 5, "not_shipped")
    assert StockMove.objects.count() == moves_before
    assert Shipment.objects.count() == 0
    assert not OrderEvent.objects.filter(order=order, type=EventType.SHIPPED).exists()


def test_a_line_of_another_order_is_refused(salesperson, clerk):
    product, wh = stocked(on_hand=10)
    order = make_order(owner=salesperson, lines=[(product, 2)], warehouse=wh)
    other = make_order(owner=salesperson, lines=[(product, 2)], warehouse=wh)

    with pytest.raises(InvalidInput) as exc:
        services.create_shipment(
            order=order, warehouse=wh, lines=[{"order_line": other.lines.get().pk, "qty": 1}], by=clerk
        )

    assert list(exc.value.fields) == ["lines.0.order_line"]
    assert Shipment.objects.count() == 0


def test_record_shipment_refuses_more_than_left(salesperson, clerk):
    product, wh = stocked(on_hand=10)
    order = make_order(owner=salesperson, lines=[(product, 2)], warehouse=wh)
    line = order.lines.get()

    with pytest.raises(InvalidInput) as exc:
        record_shipment(order=order, quantities={line.pk: Decimal(3)}, by=clerk, reference="X")

    assert list(exc.value.fields) == ["lines.0.qty"]
    line.refresh_from_db()
    assert line.shipped_qty == 0


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SUBMITTED, Status.ON_HOLD, Status.CANCELLED])
def test_unconfirmed_order_cannot_ship(salesperson, clerk, status):
    product, wh = stocked(on_hand=10)
    order = make_order(owner=salesperson, lines=[(product, 2)], warehouse=wh, status=status)

    with pytest.raises(OrderNotShippable) as exc:
        services.create_shipment(order=order, warehouse=wh, lines=[{"line_no": 1, "qty": 1}], by=clerk)

    assert exc.value.status == 409
    assert Shipment.objects.count() == 0
    assert _level(product, wh).on_hand_qty == 10


def test_without_reservation_ships_from_free_stock(salesperson, clerk):
    product, wh = stocked(on_hand=4)
    order = make_order(owner=salesperson, lines=[(product, 3)], warehouse=wh, reserve=False)

    services.create_shipment(order=order, warehouse=wh, lines=[{"line_no": 1, "qty": 3}], by=clerk)

    level = _level(product, wh)
    assert (level.on_hand_qty, level.reserved_qty) == (Decimal(1), Decimal(0))
    assert not StockMove.objects.filter(kind=StockMove.Kind.RELEASE).exists()


def test_short_free_stock_is_refused_with_the_available_quantity(salesperson, clerk):
    product, wh = stocked(on_hand=2)
    order = make_order(owner=salesperson, lines=[(product, 3)], warehouse=wh, reserve=False)
    moves_before = StockMove.objects.count()

    with pytest.raises(InvalidInput) as exc:
        services.create_shipment(order=order, warehouse=wh, lines=[{"line_no": 1, "qty": 3}], by=clerk)

    assert "2" in exc.value.fields["lines.0.qty"][0]
    assert StockMove.objects.count() == moves_before
    assert Shipment.objects.count() == 0
    assert order.lines.get().shipped_qty == 0


def test_shipping_from_another_warehouse_leaves_the_reservation(salesperson, clerk):
    product, wh = stocked(on_hand=5)
    _same, other_wh = stocked(on_hand=0)
    from salesdesk.inventory import services as inventory

    inventory.receive_stock(by=None, warehouse=other_wh, lines=[(product, 4)])
    order = make_order(owner=salesperson, lines=[(product, 3)], warehouse=wh)

    services.create_shipment(order=order, warehouse=other_wh, lines=[{"line_no": 1, "qty": 3}], by=clerk)

    line = order.lines.get()
    assert (line.shipped_qty, line.reserved_qty) == (Decimal(3), Decimal(3))
    assert (_level(product, wh).reserved_qty, _level(product, other_wh).on_hand_qty) == (
        Decimal(3),
        Decimal(1),
    )


def test_draft_shipment_posts_later_or_is_cancelled(salesperson, clerk):
    product, wh = stocked(on_hand=5)
    order = make_order(owner=salesperson, lines=[(product, 2)], warehouse=wh)
    draft = services.create_shipment(
        order=order, warehouse=wh, lines=[{"line_no": 1, "qty": 2}], by=clerk, draft=True
    )
    assert draft.status == ShipmentStatus.DRAFT
    assert _level(product, wh).on_hand_qty == 5

    services.post_shipment(shipment=draft, by=clerk)

    draft.refresh_from_db()
    assert draft.status == ShipmentStatus.SHIPPED
    assert _level(product, wh).on_hand_qty == 3
    with pytest.raises(ShipmentNotEditable):
        services.cancel_shipment(shipment=draft, by=clerk)

    other = make_order(owner=salesperson, lines=[(product, 1)], warehouse=wh)
    second = services.create_shipment(
        order=other, warehouse=wh, lines=[{"line_no": 1, "qty": 1}], by=clerk, draft=True
    )
    services.cancel_shipment(shipment=second, by=clerk, reason="客户改期")
    second.refresh_from_db()
    assert second.status == ShipmentStatus.CANCELLED


def test_tracking_event_is_idempotent_and_does_not_sign_off(salesperson, clerk):
    product, wh = stocked(on_hand=5)
    order = make_order(owner=salesperson, lines=[(product, 2)], warehouse=wh)
    shipment = services.create_shipment(order=order, warehouse=wh, lines=[{"line_no": 1, "qty": 2}], by=clerk)

    first, created = services.add_tracking_event(
        shipment=shipment, occurred_at="2026-11-22 09:30", description="已签收", location="深圳", by=clerk
    )
    again, created_again = services.add_tracking_event(
        shipment=shipment, occurred_at="2026-11-22 09:30", description="已签收", by=clerk
    )

    assert (created, created_again, first.pk) == (True, False, again.pk)
    assert TrackingEvent.objects.count() == 1
    shipment.refresh_from_db()
    order.refresh_from_db()
    assert shipment.status == ShipmentStatus.IN_TRANSIT
    assert order.shipping_status == ShippingStatus.SHIPPED


def test_tracking_event_rejects_bad_input(salesperson, clerk):
    product, wh = stocked(on_hand=5)
    order = make_order(owner=salesperson, lines=[(product, 2)], warehouse=wh)
    shipment = services.create_shipment(order=order, warehouse=wh, lines=[{"line_no": 1, "qty": 2}], by=clerk)

    with pytest.raises(InvalidInput) as exc:
        services.add_tracking_event(shipment=shipment, occurred_at="昨天", description="", by=clerk)

    assert sorted(exc.value.fields) == ["description", "occurred_at"]
    assert TrackingEvent.objects.count() == 0


def test_sign_off_delivers_the_order_when_all_shipments_are_signed(salesperson, clerk):
    product, wh = stocked(on_hand=10)
    order = make_order(owner=salesperson, lines=[(product, 5)], warehouse=wh)
    first = services.create_shipment(order=order, warehouse=wh, lines=[{"line_no": 1, "qty": 3}], by=clerk)
    second = services.create_shipment(order=order, warehouse=wh, lines=[{"line_no": 1, "qty": 2}], by=clerk)

    services.sign_shipment(shipment=first, signed_by_name="王芳", by=clerk)
    order.refresh_from_db()
    assert order.shipping_status == ShippingStatus.SHIPPED

    signed_at = timezone.now() - dt.timedelta(seconds=5)
    services.sign_shipment(
        shipment=second, signed_by_name="王芳", signed_at=signed_at, note="外箱完好", by=clerk
    )

    order.refresh_from_db()
    second.refresh_from_db()
    assert order.shipping_status == ShippingStatus.DELIVERED
    assert (second.status, second.signed_by_name, second.sign_note) == ("delivered", "王芳", "外箱完好")
    assert OrderEvent.objects.filter(order=order, type=EventType.DELIVERED).count() == 2
    with pytest.raises(ShipmentNotSignable):
        services.sign_shipment(shipment=second, signed_by_name="王芳", by=clerk)


def test_sign_off_needs_a_name(salesperson, clerk):
    product, wh = stocked(on_hand=10)
    order = make_order(owner=salesperson, lines=[(product, 1)], warehouse=wh)
    shipment = services.create_shipment(order=order, warehouse=wh, lines=[{"line_no": 1, "qty": 1}], by=clerk)

    with pytest.raises(InvalidInput) as exc:
        services.sign_shipment(shipment=shipment, signed_by_name=" ", by=clerk)

    assert list(exc.value.fields) == ["signed_by_name"]
    shipment.refresh_from_db()
    assert shipment.status == ShipmentStatus.SHIPPED


def test_import_tracking_events_reports_bad_and_unknown_rows(salesperson, clerk):
    product, wh = stocked(on_hand=10)
    order = make_order(owner=salesperson, lines=[(product, 1)], warehouse=wh)
    shipment = services.create_shipment(
        order=order,
        warehouse=wh,
        lines=[{"line_no": 1, "qty": 1}],
        tracking_number="SF1234567890123",
        by=clerk,
    )
    book = tracking_workbook(
        [
            ("SF1234567890123", dt.datetime(2026, 11, 22, 8, 0), "深圳", "已揽收"),
            ("SF1234567890123", "2026-11-22 12:00", "广州", "运输中"),
            ("SF1234567890123", "不是时间", "广州", "派送中"),
            ("YT9999999999999", "2026-11-22 12:00", "上海", "运输中"),
            ("SF1234567890123", dt.datetime(2026, 11, 22, 8, 0), "深圳", "已揽收"),
        ]
    )

    report = services.import_tracking_events(file=book, by=clerk).as_dict()

    assert (report["rows"], report["created"], report["duplicates"]) == (5, 2, 1)
    assert [e["row"] for e in report["errors"]] == [4, 5]
    assert "YT9999999999999" in report["errors"][1]["errors"][0]
    assert list(shipment.tracking_events.values_list("description", "source")) == [
        ("已揽收", "import"),
        ("运输中", "import"),
    ]


def test_import_needs_the_columns(clerk):
    import io

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["单号", "时间"])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)

    with pytest.raises(InvalidInput) as exc:
        services.import_tracking_events(file=buffer, by=clerk)

    assert list(exc.value.fields) == ["file"]


def test_order_line_cannot_go_negative_through_facts(salesperson, clerk):
    product, wh = stocked(on_hand=5)
    order = make_order(owner=salesperson, lines=[(product, 2)], warehouse=wh)
    line = order.lines.get()

    with pytest.raises(InvalidInput):
        record_shipment(order=order, quantities={line.pk: Decimal(-1)}, by=clerk, reference="X")

    assert SalesOrderLine.objects.get(pk=line.pk).shipped_qty == 0
