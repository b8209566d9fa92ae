from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from salesdesk.inventory import selectors, services

from .factories import make_product, make_warehouse

pytestmark = pytest.mark.django_db


@pytest.fixture
def stock(admin_user: Any) -> dict[str, Any]:
    bolt = make_product(sku="LS-M8X30", name="不锈钢螺栓", spec="M8×30")
    nut = make_product(sku="LM-M8", name="六角螺母")
    sh, bj = make_warehouse(code="SH01"), make_warehouse(code="BJ01")
    services.receive_stock(by=admin_user, warehouse=sh, lines=[(bolt, "30"), (nut, "5")])
    services.receive_stock(by=admin_user, warehouse=bj, lines=[(bolt, "4")])
    services.reserve_stock(product=bolt, warehouse=sh, qty="25", reference="XSDD-1")
    services.set_safety_stock(by=admin_user, product=bolt, warehouse=sh, qty="10")
    services.set_safety_stock(by=admin_user, product=nut, warehouse=sh, qty="5")
    return {"bolt": bolt, "nut": nut, "sh": sh, "bj": bj}


def _keys(rows: Any) -> list[tuple[str, str]]:
    return [(r.product.sku, r.warehouse.code) for r in rows]


def test_get_stock_gives_available(stock: dict[str, Any]) -> None:
    rows = list(selectors.get_stock(product=stock["bolt"]))

    assert [(r.warehouse.code, r.on_hand_qty, r.reserved_qty, r.available_qty) for r in rows] == [
        ("BJ01", Decimal(4), Decimal(0), Decimal(4)),
        ("SH01", Decimal(30), Decimal(25), Decimal(5)),
    ]


def test_list_stock_searches_sku_name_spec_and_pinyin(stock: dict[str, Any]) -> None:
    assert _keys(selectors.list_stock(q="bxg")) == [("LS-M8X30", "BJ01"), ("LS-M8X30", "SH01")]
    assert _keys(selectors.list_stock(q="螺母")) == [("LM-M8", "SH01")]
    assert _keys(selectors.list_stock(q="m8×30", warehouse=stock["bj"])) == [("LS-M8X30", "BJ01")]
    assert _keys(selectors.list_stock(q="lm-m8")) == [("LM-M8", "SH01")]


def test_low_stock_is_available_below_safety(stock: dict[str, Any]) -> None:
    assert _keys(selectors.list_stock(low_only=True)) == [("LS-M8X30", "SH01")]
    assert _keys(selectors.list_low_stock(limit=10)) == [("LS-M8X30", "SH01")]


def test_list_moves_filters_and_text_filters(stock: dict[str, Any]) -> None:
    moves = selectors.list_moves_filtered(product="ls-m8x30", warehouse="sh01")

    assert [(m.kind, m.qty) for m in moves] == [("reserve", Decimal(25)), ("receipt", Decimal(30))]
    assert list(selectors.list_moves_filtered(product="NOPE")) == []
    assert list(selectors.list_stock_filtered(warehouse="ZZ")) == []
