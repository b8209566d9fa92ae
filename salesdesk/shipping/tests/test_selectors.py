import pytest

from salesdesk.core.errors import NotFound
from salesdesk.shipping import selectors, services

from .factories import make_order, stocked

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(user_factory):
    return user_factory("warehouse", username="wh_clerk")


def _ship(owner, clerk, qty=1, ordered=2, tracking=""):
    product, wh = stocked(on_hand=10)
    order = make_order(owner=owner, lines=[(product, ordered)], warehouse=wh)
    shipment = services.create_shipment(
        order=order, warehouse=wh, lines=[{"line_no": 1, "qty": qty}], tracking_number=tracking, by=clerk
    )
    return order, shipment


def test_salesperson_sees_only_shipments_of_own_orders(salesperson, other_salesperson, clerk):
    _mine_order, mine = _ship(salesperson, clerk)
    _theirs_order, theirs = _ship(other_salesperson, clerk)

    assert list(selectors.list_shipments(user=salesperson)) == [mine]
    assert set(selectors.list_shipments(user=clerk)) == {mine, theirs}
    assert selectors.get_shipment(user=salesperson, pk=mine.pk) == mine
    with pytest.raises(NotFound):
        selectors.get_shipment(user=salesperson, pk=theirs.pk)


def test_list_filters_by_number_tracking_and_status(salesperson, clerk):
    _o1, first = _ship(salesperson, clerk, tracking="SF1234567890123")
    _o2, second = _ship(salesperson, clerk)

    assert list(selectors.list_shipments(user=clerk, q="sf1234567890123")) == [first]
    assert list(selectors.list_shipments(user=clerk, q=second.number)) == [second]
    assert list(selectors.list_shipments(user=clerk, status="delivered")) == []
    assert list(selectors.list_shipments(user=clerk, status="bogus")) == []


def test_backorder_and_queue(salesperson, clerk):
    order, _shipment = _ship(salesperson, clerk, qty=3, ordered=5)
    full_order, _full = _ship(salesperson, clerk, qty=2, ordered=2)

    backorders = selectors.backorder_lines(order=order)
    assert [(b.line.line_no, b.remaining_text) for b in backorders] == [(1, "2")]
    assert selectors.backorder_lines(order=full_order) == []
    queue = list(selectors.shipping_queue(user=clerk))
    assert order in queue
    assert full_order not in queue


def test_order_fragment_context(salesperson, clerk):
    order, shipment = _ship(salesperson, clerk, qty=1, ordered=2)

    ctx = selectors.order_shipments_context(order=order, user=clerk)
    assert (ctx["shipments"], ctx["can_ship"]) == ([shipment], True)
    assert selectors.order_shipments_context(order=order, user=salesperson)["can_ship"] is False
