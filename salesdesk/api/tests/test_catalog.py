from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils.translation import gettext as t

from salesdesk.catalog.models import Product
from salesdesk.catalog.tests.factories import CategoryFactory, ProductFactory, ProductUnitFactory
from salesdesk.core.models import AuditLog

pytestmark = pytest.mark.django_db

BODY = {
    "sku": "LS-M8X30-304",
    "name": "不锈钢六角螺栓",
    "spec": "M8×30",
    "unit": "个",
    "tax_rate": "13%",
    "list_price": "29.97",
    "floor_price": "25.123456",
    "tax_code": "1090201010100000000",
    "barcode": "6901234567892",
}


def _without_times(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in {"created_at", "updated_at"}}


def test_create_product_201_exact_output(api_client_for: Any, manager: Any) -> None:
    category = CategoryFactory.create(code="01", name="紧固件")
    body = {**BODY, "category": category.pk, "units": [{"unit": "盒", "rate_to_base": "100"}]}
    response = api_client_for(manager).post("/api/products", body)
    assert response.status_code == 201, response.content
    product = Product.objects.get()
    assert _without_times(response.json()) == {
        "id": product.pk,
        "sku": "LS-M8X30-304",
        "name": "不锈钢六角螺栓",
        "spec": "M8×30",
        "category": category.pk,
        "category_name": "紧固件",
        "brand": "",
        "unit": "个",
        "unit_decimals": 0,
        "tax_rate": "0.13",
        "tax_code": "1090201010100000000",
        "list_price": "29.97",
        "floor_price": "25.123456",
        "barcode": "6901234567892",
        "is_active": True,
        "units": [{"unit": "盒", "rate_to_base": "100", "barcode": ""}],
    }
    assert product.floor_price == Decimal("25.123456")


def test_create_product_accepts_json_numbers(api_client_for: Any, manager: Any) -> None:
    response = api_client_for(manager).post(
        "/api/products", {**BODY, "tax_rate": 0.13, "list_price": 35, "floor_price": 29.97}
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["tax_rate"], data["list_price"], data["floor_price"]) == ("0.13", "35.00", "29.97")


def test_create_product_422_shape(api_client_for: Any, manager: Any) -> None:
    ProductFactory.create(sku="LS-M8X30-304")
    body = {**BODY, "sku": "ls-m8x30-304", "tax_rate": "abc", "units": [{"unit": "箱", "rate_to_base": "-1"}]}
    response = api_client_for(manager).post("/api/products", body)
    assert response.status_code == 422
    assert response.json() == {
        "code": "validation_error",
        "message": t("Please correct the errors below."),
        "fields": {
            "sku": [t("Another product already uses this SKU.")],
            "tax_rate": [t("Enter a VAT rate such as 13%.")],
            "units.0.rate_to_base": [t("Must not be less than %(min)s.") % {"min": 0}],
        },
    }
    assert Product.objects.count() == 1


def test_create_product_missing_fields_422_not_500(api_client_for: Any, manager: Any) -> None:
    response = api_client_for(manager).post("/api/products", {"name": "螺栓"})
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"sku", "unit", "tax_rate", "list_price"}


def test_salesperson_cannot_create_product(api_client_for: Any, salesperson: Any) -> None:
    response = api_client_for(salesperson).post("/api/products", BODY)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert Product.objects.count() == 0


def test_list_products_filters_and_paginates(api_client_for: Any, salesperson: Any) -> None:
    ProductFactory.create(sku="LS-1", name="不锈钢六角螺栓")
    ProductFactory.create(sku="LS-2", name="不锈钢螺母")
    ProductFactory.create(sku="BS-1", name="活动扳手")
    client = api_client_for(salesperson)
    data = client.get("/api/products", {"q": "bxg", "limit": 1}).json()
    assert data["count"] == 2
    assert [p["sku"] for p in data["items"]] == ["LS-1"]
    data = client.get("/api/products", {"q": "bxg", "limit": 1, "offset": 1}).json()
    assert [p["sku"] for p in data["items"]] == ["LS-2"]


@pytest.mark.parametrize("rows", [3, 30])
def test_list_products_query_count(
    api_client_for: Any, salesperson: Any, django_assert_max_num_queries: Any, rows: int
) -> None:
    category = CategoryFactory.create()
    for product in ProductFactory.create_batch(rows, category=category):
        ProductUnitFactory.create(product=product)
    client = api_client_for(salesperson)
    with django_assert_max_num_queries(7):
        response = client.get("/api/products", {"limit": 200})
    assert response.status_code == 200
    assert response.json()["count"] == rows


def test_get_product_and_404(api_client_for: Any, salesperson: Any) -> None:
    product = ProductFactory.create(sku="LS-1", list_price=Decimal("12.345600"))
    client = api_client_for(salesperson)
    data = client.get(f"/api/products/{product.pk}").json()
    assert (data["sku"], data["list_price"], data["floor_price"]) == ("LS-1", "12.3456", None)
    response = client.get("/api/products/999999")
    assert response.status_code == 404
    assert response.json()["code"] == "product_not_found"


def test_patch_product(api_client_for: Any, manager: Any) -> None:
    product = ProductFactory.create(sku="LS-1", name="螺栓", list_price=Decimal("35.00"))
    response = api_client_for(manager).patch(
        f"/api/products/{product.pk}", {"list_price": "36.5", "floor_price": "30"}
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["name"], data["list_price"], data["floor_price"]) == ("螺栓", "36.50", "30.00")
    entry = AuditLog.objects.get(action="product.price_change")
    assert entry.data["new"] == {"list_price": "36.50", "floor_price": "30.00"}


def test_patch_product_422_changes_nothing(api_client_for: Any, manager: Any) -> None:
    product = ProductFactory.create(sku="LS-1", name="螺栓")
    response = api_client_for(manager).patch(f"/api/products/{product.pk}", {"name": "", "barcode": "123"})
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"name", "barcode"}
    product.refresh_from_db()
    assert product.name == "螺栓"


def test_salesperson_cannot_patch(api_client_for: Any, salesperson: Any) -> None:
    product = ProductFactory.create(name="螺栓")
    response = api_client_for(salesperson).patch(f"/api/products/{product.pk}", {"name": "改"})
    assert response.status_code == 403
    product.refresh_from_db()
    assert product.name == "螺栓"


def test_categories(api_client_for: Any, admin_user: Any, salesperson: Any) -> None:
    response = api_client_for(admin_user).post("/api/categories", {"code": "01", "name": "紧固件"})
    assert response.status_code == 201
    parent_id = response.json()["id"]
    response = api_client_for(admin_user).post(
        "/api/categories", {"code": "01.01", "name": "螺栓", "parent": parent_id}
    )
    assert response.json() == {
        "id": response.json()["id"],
        "code": "01.01",
        "name": "螺栓",
        "parent": parent_id,
    }
    listing = api_client_for(salesperson).get("/api/categories").json()
    assert [c["code"] for c in listing["items"]] == ["01", "01.01"]
    assert listing["count"] == 2
    assert api_client_for(salesperson).post("/api/categories", {"code": "02", "name": "x"}).status_code == 403


def test_category_422(api_client_for: Any, admin_user: Any) -> None:
    response = api_client_for(admin_user).post("/api/categories", {"code": "", "name": ""})
    assert response.status_code == 422
    assert set(response.json()["fields"]) == {"code", "name"}
