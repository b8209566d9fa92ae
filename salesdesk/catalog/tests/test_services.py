from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils.translation import gettext_lazy as t

from salesdesk.catalog.models import Category, Product, ProductUnit
from salesdesk.catalog.services import create_category, create_product, is_sku_locked, update_product
from salesdesk.catalog.tests.factories import CategoryFactory, ProductFactory
from salesdesk.core.errors import InvalidInput
from salesdesk.core.models import AuditLog

pytestmark = pytest.mark.django_db

VALID: dict[str, Any] = {
    "sku": "LS-M8X30-304",
    "name": "不锈钢六角螺栓",
    "spec": "M8×30",
    "unit": "个",
    "tax_rate": "13%",
    "list_price": "1.25",
}


def _fields(exc: pytest.ExceptionInfo[InvalidInput]) -> dict[str, list[str]]:
    return exc.value.fields


def _msgs(fields: dict[str, list[object]]) -> dict[str, list[str]]:
    return {key: [str(m) for m in value] for key, value in fields.items()}


def test_create_product_normalises_and_computes_pinyin(admin_user: Any) -> None:
    category = CategoryFactory.create(code="01", name="紧固件")
    product = create_product(
        by=admin_user,
        sku="LS-M8X30-304",
        name="不锈钢六角螺栓",
        unit="个",
        tax_rate="0.13",
        list_price="1.250000",
        floor_price="1.1",
        tax_code="１０９０２０１０１０１００００００００",
        barcode="6901234567892",
        category=category,
        units=[{"unit": "盒", "rate_to_base": "100"}],
    )
    product.refresh_from_db()
    assert product.tax_rate == Decimal("0.1300")
    assert product.list_price == Decimal("1.25")
    assert product.floor_price == Decimal("1.1")
    assert product.tax_code == "1090201010100000000"
    assert product.barcode == "6901234567892"
    assert product.pinyin_initials == "BXGLJLS"
    assert product.pinyin_full == "buxiugangliujiaoluoshuan"
    assert product.category == category
    assert [(u.unit, u.rate_to_base) for u in product.units.all()] == [("盒", Decimal("100"))]
    assert product.history.count() == 1
    assert AuditLog.objects.filter(action="product.create", object_id=str(product.pk)).count() == 1


@pytest.mark.parametrize("rate", ["13%", "0.13", "13", "１３％", 13])
def test_tax_rate_accepts_usual_spellings(admin_user: Any, rate: object) -> None:
    product = create_product(by=admin_user, **{**VALID, "tax_rate": rate})
    assert product.tax_rate == Decimal("0.13")


def test_pinyin_includes_spec(admin_user: Any) -> None:
    product = create_product(by=admin_user, **VALID)
    assert product.pinyin_initials == "BXGLJLSM830"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"sku": ""}, "sku", t("This field is required.")),
        ({"sku": "LS M8"}, "sku", t("A SKU may contain only letters, digits, '.', '-' and '_'.")),
        ({"name": "  "}, "name", t("This field is required.")),
        ({"unit": ""}, "unit", t("This field is required.")),
        (
            {"tax_rate": "8%"},
            "tax_rate",
            t("%(rate)s is not a VAT rate in force; use 13%%, 9%%, 6%%, 5%%, 3%%, 1%% or 0%%.")
            % {"rate": "8%"},
        ),
        ({"tax_rate": "abc"}, "tax_rate", t("Enter a VAT rate such as 13%.")),
        ({"list_price": ""}, "list_price", t("This field is required.")),
        (
            {"list_price": "1.1234567"},
            "list_price",
            t("Use at most %(places)d decimal places.") % {"places": 6},
        ),
        ({"list_price": "-1"}, "list_price", t("Must not be less than %(min)s.") % {"min": 0}),
        ({"floor_price": "x"}, "floor_price", t("Enter a number.")),
        ({"floor_price": "2"}, "floor_price", t("The floor price must not be higher than the list price.")),
        ({"tax_code": "12345"}, "tax_code", t("A tax classification code has exactly 19 digits.")),
        ({"barcode": "6901234567890"}, "barcode", t("The check digit of this barcode is wrong.")),
        ({"category": 999999}, "category", t("Choose an existing category.")),
        ({"unit_decimals": "7"}, "unit_decimals", t("Enter a whole number from 0 to 6.")),
        (
            {"units": [{"unit": "箱", "rate_to_base": "0"}]},
            "units.0.rate_to_base",
            t("The rate to the base unit must be more than 0."),
        ),
        ({"units": [{"unit": "", "rate_to_base": "12"}]}, "units.0.unit", t("This field is required.")),
        (
            {"units": [{"unit": "个", "rate_to_base": "12"}]},
            "units.0.unit",
            t("This is already the base unit."),
        ),
        (
            {"units": [{"unit": "箱", "rate_to_base": "12"}, {"unit": "箱", "rate_to_base": "24"}]},
            "units.1.unit",
            t("This unit is listed twice."),
        ),
    ],
)
def test_create_product_refuses_each_bad_field(
    admin_user: Any, changes: dict[str, Any], field: str, message: object
) -> None:
    with pytest.raises(InvalidInput) as exc:
        create_product(by=admin_user, **{**VALID, **changes})
    assert _fields(exc) == {field: [str(message)]}
    assert Product.objects.count() == 0
    assert ProductUnit.objects.count() == 0


def test_create_product_collects_all_errors(admin_user: Any) -> None:
    with pytest.raises(InvalidInput) as exc:
        create_product(by=admin_user, sku="", name="", unit="", tax_rate="", list_price="")
    assert set(_fields(exc)) == {"sku", "name", "unit", "tax_rate", "list_price"}
    assert exc.value.status == 422


def test_duplicate_sku_refused_case_insensitively(admin_user: Any) -> None:
    ProductFactory.create(sku="LS-M8X30-304")
    with pytest.raises(InvalidInput) as exc:
        create_product(by=admin_user, **{**VALID, "sku": "ls-m8x30-304"})
    assert _fields(exc) == _msgs({"sku": [t("Another product already uses this SKU.")]})
    assert list(Product.objects.values_list("sku", flat=True)) == ["LS-M8X30-304"]
    assert AuditLog.objects.filter(action="product.create").count() == 0


def test_duplicate_barcode_refused_among_active_products(admin_user: Any) -> None:
    ProductFactory.create(barcode="6901234567892")
    with pytest.raises(InvalidInput) as exc:
        create_product(by=admin_user, **{**VALID, "barcode": "6901234567892"})
    assert _fields(exc) == _msgs({"barcode": [t("An active product already uses this barcode.")]})
    assert Product.objects.count() == 1


def test_barcode_of_discontinued_product_may_be_reused(admin_user: Any) -> None:
    ProductFactory.create(barcode="6901234567892", is_active=False)
    product = create_product(by=admin_user, **{**VALID, "barcode": "6901234567892"})
    assert product.barcode == "6901234567892"


def test_update_product_records_price_change(admin_user: Any) -> None:
    product = create_product(by=admin_user, **VALID)
    update_product(product=product, by=admin_user, list_price="1.5", floor_price="1.2", name="不锈钢螺栓")
    product.refresh_from_db()
    assert product.list_price == Decimal("1.5")
    assert product.pinyin_initials == "BXGLSM830"
    entry = AuditLog.objects.get(action="product.price_change")
    assert entry.data == {
        "sku": "LS-M8X30-304",
        "old": {"list_price": "1.25", "floor_price": None},
        "new": {"list_price": "1.50", "floor_price": "1.20"},
    }
    assert list(product.history.order_by("history_id").values_list("list_price", flat=True)) == [
        Decimal("1.250000"),
        Decimal("1.500000"),
    ]


def test_update_without_price_change_writes_no_price_audit(admin_user: Any) -> None:
    product = create_product(by=admin_user, **VALID)
    update_product(product=product, by=admin_user, spec="M8×40")
    assert AuditLog.objects.filter(action="product.price_change").count() == 0
    assert AuditLog.objects.filter(action="product.update").count() == 1


def test_update_refuses_floor_above_existing_list_price_and_changes_nothing(admin_user: Any) -> None:
    product = create_product(by=admin_user, **VALID)
    with pytest.raises(InvalidInput) as exc:
        update_product(product=product, by=admin_user, floor_price="9.99", name="新名称")
    assert _fields(exc) == _msgs(
        {"floor_price": [t("The floor price must not be higher than the list price.")]}
    )
    product.refresh_from_db()
    assert (product.name, product.floor_price) == ("不锈钢六角螺栓", None)
    assert product.history.count() == 1


def test_update_sku_to_other_products_sku_refused(admin_user: Any) -> None:
    ProductFactory.create(sku="A-1")
    product = create_product(by=admin_user, **VALID)
    with pytest.raises(InvalidInput) as exc:
        update_product(product=product, by=admin_user, sku="a-1")
    assert _fields(exc) == _msgs({"sku": [t("Another product already uses this SKU.")]})
    product.refresh_from_db()
    assert product.sku == "LS-M8X30-304"


def test_update_own_sku_keeps_it_and_unused_sku_is_not_locked(admin_user: Any) -> None:
    product = create_product(by=admin_user, **VALID)
    assert is_sku_locked(product) is False
    update_product(product=product, by=admin_user, sku="LS-M8X30-316")
    product.refresh_from_db()
    assert product.sku == "LS-M8X30-316"


def test_update_units_replaces_them(admin_user: Any) -> None:
    product = create_product(by=admin_user, **VALID, units=[{"unit": "盒", "rate_to_base": "100"}])
    update_product(product=product, by=admin_user, units=[{"unit": "箱", "rate_to_base": "1000"}])
    assert list(product.units.values_list("unit", "rate_to_base")) == [("箱", Decimal("1000"))]


def test_update_unknown_field_is_a_programming_error(admin_user: Any) -> None:
    product = ProductFactory.create()
    with pytest.raises(TypeError):
        update_product(product=product, by=admin_user, colour="red")


def test_create_category(admin_user: Any) -> None:
    parent = create_category(by=admin_user, code="01", name="紧固件")
    child = create_category(by=admin_user, code="01.02", name="螺栓", parent=parent.pk)
    assert (child.parent, child.code) == (parent, "01.02")
    assert AuditLog.objects.filter(action="category.create").count() == 2


def test_create_category_refuses_duplicate_code_and_blank_name(admin_user: Any) -> None:
    create_category(by=admin_user, code="01", name="紧固件")
    with pytest.raises(InvalidInput) as exc:
        create_category(by=admin_user, code="01", name="", parent=999999)
    assert _fields(exc) == _msgs(
        {
            "code": [t("Another category already uses this code.")],
            "name": [t("This field is required.")],
            "parent": [t("Choose an existing category.")],
        }
    )
    assert Category.objects.count() == 1
