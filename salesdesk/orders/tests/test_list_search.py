"""Order list performance helpers: capped count, product filter by EXISTS, the light header read."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from salesdesk.core.errors import NotFound
from salesdesk.orders import selectors
from salesdesk.orders.tests.factories import line, make_customer, make_order, make_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def orders(salesperson: Any) -> Any:
    customer = make_customer(salesperson)
    a = make_product(sku="LS-A", list_price=Decimal("10.00"))
    b = make_product(sku="LS-B", list_price=Decimal("20.00"))
    first = make_order(salesperson, customer, [line(a, 1), line(a, 2)])  # product A on two lines
    second = make_order(salesperson, customer, [line(b, 1)])
    third = make_order(salesperson, customer, [line(a, 5), line(b, 5)])
    return a, b, [first, second, third]


def test_count_orders_is_exact_below_the_cap(salesperson: Any, orders: Any) -> None:
    assert selectors.count_orders(user=salesperson) == (3, False)


def test_count_orders_stops_at_the_cap(salesperson: Any, orders: Any) -> None:
    assert selectors.count_orders(user=salesperson, cap=2) == (2, True)


def test_count_orders_applies_filters_and_scope(
    salesperson: Any, other_salesperson: Any, orders: Any
) -> None:
    a, _b, _rows = orders
    assert selectors.count_orders(user=salesperson, product=a.pk) == (2, False)
    assert selectors.count_orders(user=other_salesperson) == (0, False)


def test_product_filter_lists_each_order_once(salesperson: Any, orders: Any) -> None:
    a, b, (first, second, third) = orders
    assert [o.pk for o in selectors.list_orders(user=salesperson, product=a.pk)] == [third.pk, first.pk]
    assert [o.pk for o in selectors.list_orders(user=salesperson, product=b)] == [third.pk, second.pk]


def test_get_order_header_is_scoped(salesperson: Any, other_salesperson: Any, orders: Any) -> None:
    _a, _b, (first, _second, _third) = orders
    assert selectors.get_order_header(user=salesperson, pk=first.pk).number == first.number
    with pytest.raises(NotFound):
        selectors.get_order_header(user=other_salesperson, pk=first.pk)
    with pytest.raises(NotFound):
        selectors.get_order_header(user=salesperson, pk="x")


def test_get_order_without_events_leaves_the_timeline_out(
    salesperson: Any, orders: Any, django_assert_num_queries: Any
) -> None:
    _a, _b, (first, _second, _third) = orders
    with django_assert_num_queries(2):  # the order (+ joins) and its lines
        order = selectors.get_order(user=salesperson, pk=first.pk, with_events=False)
        assert [ln.line_no for ln in order.lines.all()] == [1, 2]


def test_api_list_filters_by_phone_and_product_and_reports_the_cap(
    api_client_for: Any, salesperson: Any, orders: Any
) -> None:
    a, _b, (first, _second, third) = orders
    api = api_client_for(salesperson)
    by_product = api.get("/api/orders", {"product": a.pk}).json()
    assert ([o["id"] for o in by_product["items"]], by_product["count"], by_product["count_capped"]) == (
        [third.pk, first.pk],
        2,
        False,
    )
    assert api.get("/api/orders", {"phone": "1391234"}).json()["count"] == 3
    assert api.get("/api/orders", {"phone": "1380000"}).json()["count"] == 0


def test_confirm_and_cancel_lock_stock_in_product_order(
    salesperson: Any, manager: Any, admin_user: Any
) -> None:
    """Lines entered as (B, A) still lock A's stock row first, so two such orders cannot deadlock."""
    from salesdesk.inventory.models import StockMove
    from salesdesk.orders import services
    from salesdesk.orders.tests.factories import make_warehouse, stock

    customer = make_customer(salesperson)
    a = make_product(sku="LK-A", list_price=Decimal("10.00"))
    b = make_product(sku="LK-B", list_price=Decimal("20.00"))
    warehouse = make_warehouse(code="LK")
    stock(a, warehouse, 10, admin_user)
    stock(b, warehouse, 10, admin_user)
    order = make_order(salesperson, customer, [line(b, 2), line(a, 3)])
    order = services.submit_order(order=order, by=salesperson)
    if order.approval_status == "pending":
        order = services.approve_order(order=order, by=manager)
    order = services.record_customer_confirmation(order=order, by=salesperson, note="电话确认")
    order = services.confirm_order(order=order, by=salesperson)
    moves = StockMove.objects.filter(reference=order.number).order_by("id")
    assert [(m.kind, m.product.sku) for m in moves] == [("reserve", "LK-A"), ("reserve", "LK-B")]
    assert [e.data for e in order.events.filter(type="stock_reserved")] == [
        {
            "lines": [
                {"line_no": 1, "warehouse": "LK", "qty": "2"},
                {"line_no": 2, "warehouse": "LK", "qty": "3"},
            ]
        }
    ]
    services.cancel_order(order=order, by=salesperson, reason="客户取消")
    released = StockMove.objects.filter(reference=order.number, kind="release").order_by("id")
    assert [m.product.sku for m in released] == ["LK-A", "LK-B"]
