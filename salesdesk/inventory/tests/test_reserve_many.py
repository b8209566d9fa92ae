from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from salesdesk.core.parameters import set_parameter
from salesdesk.inventory import services
from salesdesk.inventory.models import StockLevel, StockMove

from .factories import make_product, make_warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(admin_user: Any) -> tuple[Any, Any, Any]:
    a = make_product(sku="RM-A")
    b = make_product(sku="RM-B")
    warehouse = make_warehouse(code="RM1")
    services.receive_stock(by=admin_user, warehouse=warehouse, lines=[(a, "10"), (b, "4")], reference="RK-1")
    return a, b, warehouse


def _levels() -> list[tuple[str, Decimal, Decimal]]:
    return list(
        StockLevel.objects.order_by("product__sku").values_list("product__sku", "on_hand_qty", "reserved_qty")
    )


def test_reserve_many_reserves_every_item_and_writes_the_ledger_in_lock_order(two, admin_user):
    a, b, warehouse = two
    moves = services.reserve_many(
        items=[(b, warehouse, "3"), (a, warehouse, "7")], reference="XS-1", by=admin_user
    )

    assert [(m.product_id, m.qty, m.on_hand_after, m.reserved_after) for m in moves] == [
        (b.pk, Decimal("3"), Decimal("4"), Decimal("3")),
        (a.pk, Decimal("7"), Decimal("10"), Decimal("7")),
    ]
    ledger = StockMove.objects.filter(reference="XS-1").order_by("id")
    assert [(m.product_id, m.kind, m.created_by_id) for m in ledger] == [
        (a.pk, "reserve", admin_user.pk),
        (b.pk, "reserve", admin_user.pk),
    ]
    assert _levels() == [("RM-A", Decimal("10"), Decimal("7")), ("RM-B", Decimal("4"), Decimal("3"))]


def test_reserve_many_is_all_or_nothing_and_names_every_short_item(two):
    a, b, warehouse = two
    other = make_product(sku="RM-C")  # no stock level at all
    before = (_levels(), StockMove.objects.count())

    with pytest.raises(services.ShortItems) as exc, transaction.atomic():
        services.reserve_many(
            items=[(a, warehouse, "2"), (b, warehouse, "5"), (other, warehouse, "1")], reference="XS-2"
        )

    assert [(i, e.requested, e.available) for i, e in exc.value.items] == [
        (1, Decimal("5"), Decimal("4")),
        (2, Decimal("1"), Decimal("0")),
    ]
    assert (exc.value.code, exc.value.status) == ("insufficient_stock", 409)
    assert exc.value.fields == {
        "items.1.qty": ["RM-B 库存不足：需要 5 个，可用仅 4 个。"],
        "items.2.qty": ["RM-C 库存不足：需要 1 个，可用仅 0 个。"],
    }
    assert (_levels(), StockMove.objects.count()) == before


def test_reserve_many_protects_safety_stock_when_the_parameter_says_so(two, admin_user):
    a, _b, warehouse = two
    services.set_safety_stock(by=admin_user, product=a, warehouse=warehouse, qty="4")
    set_parameter(key="stock.available_excludes_safety", value=True, by=admin_user)
    before = _levels()

    with pytest.raises(services.ShortItems) as exc:
        services.reserve_many(items=[(a, warehouse, "7")], reference="XS-3")

    assert exc.value.items[0][1].available == Decimal("6")
    assert _levels() == before
    services.reserve_many(items=[(a, warehouse, "6")], reference="XS-3")
    assert _levels()[0] == ("RM-A", Decimal("10"), Decimal("6"))


def test_reserve_many_refuses_a_bad_quantity_by_item_path(two):
    a, _b, warehouse = two
    from salesdesk.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as exc:
        services.reserve_many(items=[(a, warehouse, "1"), (a, warehouse, "-2")], reference="XS-4")

    assert list(exc.value.fields) == ["items.1.qty"]
    assert StockMove.objects.filter(reference="XS-4").count() == 0


def test_items_of_one_row_are_taken_in_turn(two, admin_user):
    """Two lines of the same product and warehouse: both fit; each ledger row says what was reserved
    just after it (as if reserved one after the other)."""
    a, b, warehouse = two
    moves = services.reserve_many(
        items=[(a, warehouse, "3"), (b, warehouse, "1"), (a, warehouse, "5")], reference="XS-5", by=admin_user
    )

    assert [(m.product_id, m.qty, m.on_hand_after, m.reserved_after) for m in moves] == [
        (a.pk, Decimal("3"), Decimal("10"), Decimal("3")),
        (b.pk, Decimal("1"), Decimal("4"), Decimal("1")),
        (a.pk, Decimal("5"), Decimal("10"), Decimal("8")),
    ]
    assert _levels() == [("RM-A", Decimal("10"), Decimal("8")), ("RM-B", Decimal("4"), Decimal("1"))]


def test_of_two_items_of_one_row_the_one_that_does_not_fit_is_short(two):
    """10 on hand: 6 then 5 of the same row: the second is short (4 left for it), the first is not
    named; an item after it that fits what is left is not short either; nothing stays reserved."""
    a, b, warehouse = two
    before = (_levels(), StockMove.objects.count())

    with pytest.raises(services.ShortItems) as exc, transaction.atomic():
        services.reserve_many(
            items=[(a, warehouse, "6"), (b, warehouse, "1"), (a, warehouse, "5"), (a, warehouse, "4")],
            reference="XS-6",
        )

    assert [(i, e.requested, e.available) for i, e in exc.value.items] == [(2, Decimal("5"), Decimal("4"))]
    assert (_levels(), StockMove.objects.count()) == before


def test_five_rows_are_reserved_in_one_statement(admin_user):
    """One UPDATE (on PostgreSQL it locks the rows itself, in row order) + the ledger's INSERT,
    whatever the number of rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    warehouse = make_warehouse(code="RM5")
    products = [make_product(sku=f"RM5-{i}") for i in range(5)]
    services.receive_stock(
        by=admin_user, warehouse=warehouse, lines=[(p, "9") for p in products], reference="RK-5"
    )

    with CaptureQueriesContext(connection) as statements:
        services.reserve_many(items=[(p, warehouse, "2") for p in products], reference="XS-7")

    sql = [
        q["sql"]
        for q in statements
        if "core_parameter" not in q["sql"] and not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    expected = ["WITH wanted", "INSERT INTO"]
    assert len(sql) == len(expected)
    assert [s[: len(e)] for s, e in zip(sql, expected, strict=True)] == expected
    assert ("FOR UPDATE OF inventory_stocklevel" in sql[0]) is (connection.vendor == "postgresql")
    assert [lvl[2] for lvl in _levels() if lvl[0].startswith("RM5")] == [Decimal("2")] * 5
