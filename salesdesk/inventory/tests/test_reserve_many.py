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
