from __future__ import annotations

from typing import Any

import pytest

from salesdesk.catalog.errors import ProductNotFound
from salesdesk.catalog.selectors import get_product, list_products, product_price_history, search_products
from salesdesk.catalog.services import create_product, update_product
from salesdesk.catalog.tests.factories import CategoryFactory, ProductFactory, ProductUnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def products(admin_user: Any) -> dict[str, Any]:
    fasteners = CategoryFactory.create(code="01", name="紧固件")
    bolts = CategoryFactory.create(code="01.01", name="螺栓", parent=fasteners)
    tools = CategoryFactory.create(code="02", name="工具")
    made = {
        "bolt": create_product(
            by=admin_user,
            sku="LS-M8X30-304",
            name="不锈钢六角螺栓",
            spec="M8×30",
            unit="个",
            tax_rate="13%",
            list_price="1.25",
            barcode="6901234567892",
            category=bolts,
        ),
        "nut": create_product(
            by=admin_user,
            sku="LM-M8-304",
            name="不锈钢六角螺母",
            spec="M8",
            unit="个",
            tax_rate="13%",
            list_price="0.30",
            category=fasteners,
        ),
        "wrench": create_product(
            by=admin_user,
            sku="BS-200",
            name="活动扳手",
            spec="200mm 镀铬",
            unit="把",
            tax_rate="13%",
            list_price="29.97",
            category=tools,
        ),
    }
    made["old"] = ProductFactory.create(sku="LS-OLD", name="旧螺栓", is_active=False)
    return made


def _skus(qs: Any) -> list[str]:
    return [p.sku for p in qs]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("", ["BS-200", "LM-M8-304", "LS-M8X30-304"]),
        ("ls-m8", ["LS-M8X30-304"]),  # SKU prefix, case-insensitive
        ("M8-304", []),  # SKU matches by prefix only
        ("六角", ["LM-M8-304", "LS-M8X30-304"]),  # name
        ("镀铬", ["BS-200"]),  # spec
        ("M8×30", ["LS-M8X30-304"]),  # spec with a multiplication sign
        ("6901234567892", ["LS-M8X30-304"]),  # barcode, exact
        ("690123456789", []),  # a partial barcode is not a match
        ("BXGLJLS", ["LS-M8X30-304"]),  # pinyin initials
        ("bxg", ["LM-M8-304", "LS-M8X30-304"]),  # initials prefix, any case
        ("LJLM", ["LM-M8-304"]),  # initials contained
        ("banshou", ["BS-200"]),  # full pinyin
        ("ＢＸＧ", ["LM-M8-304", "LS-M8X30-304"]),  # full-width input
    ],
)
def test_list_products_search(products: dict[str, Any], q: str, expected: list[str]) -> None:
    assert _skus(list_products(q=q)) == expected


def test_list_products_finds_unit_barcode_once(products: dict[str, Any]) -> None:
    ProductUnitFactory.create(product=products["nut"], unit="盒", barcode="6901234567885")
    ProductUnitFactory.create(product=products["nut"], unit="箱", barcode="6901234567878")
    assert _skus(list_products(q="6901234567885")) == ["LM-M8-304"]


def test_list_products_category_includes_children(products: dict[str, Any]) -> None:
    fasteners = products["nut"].category
    assert _skus(list_products(category=fasteners)) == ["LM-M8-304", "LS-M8X30-304"]
    assert _skus(list_products(category=products["wrench"].category_id)) == ["BS-200"]


def test_list_products_active_filter(products: dict[str, Any]) -> None:
    assert _skus(list_products(q="ls", active=False)) == ["LS-OLD"]
    assert _skus(list_products(q="ls", active=None)) == ["LS-M8X30-304", "LS-OLD"]


def test_search_products_limits_and_skips_empty(products: dict[str, Any]) -> None:
    assert search_products("", 10) == []
    assert [p.sku for p in search_products("bxg", 1)] == ["LM-M8-304"]


def test_get_product(products: dict[str, Any]) -> None:
    assert get_product(pk=products["bolt"].pk) == products["bolt"]
    with pytest.raises(ProductNotFound):
        get_product(pk=999999)
    with pytest.raises(ProductNotFound):
        get_product(pk="abc")


def test_price_history_newest_first(products: dict[str, Any], admin_user: Any) -> None:
    bolt = products["bolt"]
    update_product(product=bolt, by=admin_user, list_price="1.5")
    update_product(product=bolt, by=admin_user, spec="M8×35")
    rows = product_price_history(product=bolt)
    assert [(str(r["list_price"]), r["price_changed"], r["by"]) for r in rows] == [
        ("1.500000", False, admin_user),
        ("1.500000", True, admin_user),
        ("1.250000", True, admin_user),
    ]
