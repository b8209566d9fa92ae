from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from salesdesk.catalog.models import Product
from salesdesk.catalog.services import create_product, update_product
from salesdesk.catalog.tests.factories import CategoryFactory, ProductFactory, ProductUnitFactory

pytestmark = pytest.mark.django_db

GOOD_POST = {
    "sku": "LS-M8X30-304",
    "name": "不锈钢六角螺栓",
    "spec": "M8×30",
    "category": "",
    "brand": "",
    "unit": "个",
    "unit_decimals": "0",
    "tax_rate": "13%",
    "tax_code": "",
    "list_price": "1.25",
    "floor_price": "",
    "barcode": "",
    "units-0-unit": "盒",
    "units-0-rate_to_base": "100",
    "units-0-barcode": "",
    "units-1-unit": "",
    "units-1-rate_to_base": "",
    "units-1-barcode": "",
}


def test_product_list_shows_products_and_filters(logged_in_client: Any, salesperson: Any) -> None:
    ProductFactory.create(sku="LS-1", name="不锈钢六角螺栓", list_price=Decimal("1234.5"))
    ProductFactory.create(sku="BS-1", name="活动扳手")
    client = logged_in_client(salesperson)
    response = client.get(reverse("web:product_list"), {"q": "bxg"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "LS-1" in body
    assert "BS-1" not in body
    assert "¥1,234.50" in body
    assert reverse("web:product_create") not in body  # a salesperson cannot add products


def test_product_list_htmx_returns_only_results(logged_in_client: Any, salesperson: Any) -> None:
    ProductFactory.create(sku="LS-1", name="不锈钢六角螺栓")
    client = logged_in_client(salesperson)
    response = client.get(reverse("web:product_list"), {"q": "bxg"}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<div id="product-results"')
    assert "LS-1" in body
    assert "<html" not in body


def test_product_list_category_filter(logged_in_client: Any, salesperson: Any) -> None:
    tools = CategoryFactory.create(code="02", name="工具")
    ProductFactory.create(sku="BS-1", name="活动扳手", category=tools)
    ProductFactory.create(sku="LS-1", name="螺栓")
    response = logged_in_client(salesperson).get(reverse("web:product_list"), {"category": tools.pk})
    body = response.content.decode()
    assert "BS-1" in body
    assert "LS-1" not in body


@pytest.mark.parametrize("rows", [3, 30])
def test_product_list_query_count(
    logged_in_client: Any, salesperson: Any, django_assert_max_num_queries: Any, rows: int
) -> None:
    category = CategoryFactory.create()
    ProductFactory.create_batch(rows, category=category)
    client = logged_in_client(salesperson)
    client.get(reverse("web:product_list"))  # warm the session and permission caches
    # 11 = the page's own queries, session, user, permissions and the navbar's unread-notification count
    with django_assert_max_num_queries(11):
        response = client.get(reverse("web:product_list"))
    assert response.status_code == 200


def test_product_detail_shows_units_and_price_history(
    logged_in_client: Any, salesperson: Any, admin_user: Any
) -> None:
    product = create_product(
        by=admin_user, sku="LS-1", name="螺栓", unit="个", tax_rate="13%", list_price="1.25", floor_price="1"
    )
    ProductUnitFactory.create(product=product, unit="箱", rate_to_base=Decimal("12"))
    update_product(product=product, by=admin_user, list_price="1.5")
    response = logged_in_client(salesperson).get(reverse("web:product_detail", args=[product.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "1箱 = 12个" in body
    assert body.count("¥1.50") == 2  # the field and the newest history row
    assert "¥1.25" in body
    assert reverse("web:product_edit", args=[product.pk]) not in body


def test_product_detail_404(logged_in_client: Any, salesperson: Any) -> None:
    response = logged_in_client(salesperson).get(reverse("web:product_detail", args=[999999]))
    assert response.status_code == 404


def test_salesperson_cannot_open_create_page(logged_in_client: Any, salesperson: Any) -> None:
    client = logged_in_client(salesperson)
    assert client.get(reverse("web:product_create")).status_code == 403
    assert client.post(reverse("web:product_create"), GOOD_POST).status_code == 403
    assert Product.objects.count() == 0


def test_create_product_page(logged_in_client: Any, manager: Any) -> None:
    client = logged_in_client(manager)
    assert client.get(reverse("web:product_create")).status_code == 200
    response = client.post(reverse("web:product_create"), GOOD_POST)
    product = Product.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:product_detail", args=[product.pk])
    assert (product.sku, product.list_price, product.pinyin_initials) == (
        "LS-M8X30-304",
        Decimal("1.25"),
        "BXGLJLSM830",
    )
    assert list(product.units.values_list("unit", "rate_to_base")) == [("盒", Decimal("100"))]


def test_create_product_page_invalid_keeps_input(logged_in_client: Any, manager: Any) -> None:
    client = logged_in_client(manager)
    post = {**GOOD_POST, "tax_rate": "8%", "floor_price": "9", "units-0-rate_to_base": "0"}
    response = client.post(reverse("web:product_create"), post)
    body = response.content.decode()
    assert response.status_code == 422
    assert Product.objects.count() == 0
    assert 'value="不锈钢六角螺栓"' in body
    assert 'value="8%"' in body
    assert body.count("is-invalid") == 3
    assert body.count('class="invalid-feedback"') == 3


def test_edit_product_page(logged_in_client: Any, manager: Any) -> None:
    product = ProductFactory.create(sku="LS-1", name="螺栓")
    client = logged_in_client(manager)
    page = client.get(reverse("web:product_edit", args=[product.pk]))
    assert page.status_code == 200
    assert 'value="13%"' in page.content.decode()
    post = {**GOOD_POST, "sku": "LS-1", "name": "不锈钢螺栓", "list_price": "40", "is_active": "1"}
    response = client.post(reverse("web:product_edit", args=[product.pk]), post)
    assert response.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.list_price, product.is_active) == ("不锈钢螺栓", Decimal("40"), True)


def test_edit_product_page_invalid(logged_in_client: Any, manager: Any) -> None:
    product = ProductFactory.create(sku="LS-1", name="螺栓")
    ProductFactory.create(sku="LS-2")
    client = logged_in_client(manager)
    post = {**GOOD_POST, "sku": "ls-2", "name": "新名字"}
    response = client.post(reverse("web:product_edit", args=[product.pk]), post)
    assert response.status_code == 422
    assert 'value="ls-2"' in response.content.decode()
    product.refresh_from_db()
    assert (product.sku, product.name) == ("LS-1", "螺栓")


def test_product_detail_without_known_editor(logged_in_client: Any, salesperson: Any) -> None:
    product = ProductFactory.create(sku="LS-1", list_price=Decimal("12.345600"))
    response = logged_in_client(salesperson).get(reverse("web:product_detail", args=[product.pk]))
    assert response.status_code == 200
    assert response.content.decode().count("¥12.3456") == 2
