from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.urls import reverse

from salesdesk.catalog.tests.factories import ProductFactory
from salesdesk.pricing.models import PriceList, PriceListItem

pytestmark = pytest.mark.django_db


def test_create_price_list_page(logged_in_client, admin_user):
    ProductFactory.create(sku="W-1")
    client = logged_in_client(admin_user)
    assert client.get(reverse("web:pricelist_create")).status_code == 200
    r = client.post(
        reverse("web:pricelist_create"),
        {
            "code": "CX1",
            "name": "双十一",
            "kind": "promotion",
            "items-0-product": "W-1",
            "items-0-unit_price": "9.9",
            "items-1-product": "",
        },
    )
    pl = PriceList.objects.get(code="CX1")
    assert r.status_code == 302
    assert r["Location"] == reverse("web:pricelist_detail", args=[pl.pk])
    assert list(pl.items.values_list("unit_price", flat=True)) == [D("9.900000")]
    detail = client.get(r["Location"])
    assert "双十一" in detail.content.decode()


def test_invalid_post_is_422_and_keeps_input(logged_in_client, admin_user):
    ProductFactory.create(sku="W-2")
    client = logged_in_client(admin_user)
    r = client.post(
        reverse("web:pricelist_create"),
        {
            "code": "CX2",
            "name": "促销",
            "kind": "promotion",
            "items-0-product": "W-2",
            "items-0-unit_price": "abc",
        },
    )
    assert r.status_code == 422
    html = r.content.decode()
    assert 'value="abc"' in html
    assert "is-invalid" in html
    assert PriceList.objects.count() == 0
    assert PriceListItem.objects.count() == 0


def test_edit_page(logged_in_client, admin_user):
    pl = PriceList.objects.create(code="E1", name="旧", kind="promotion")
    client = logged_in_client(admin_user)
    assert client.get(reverse("web:pricelist_edit", args=[pl.pk])).status_code == 200
    r = client.post(
        reverse("web:pricelist_edit", args=[pl.pk]),
        {"code": "E1", "name": "新", "kind": "promotion", "is_active": "1", "items-0-product": ""},
    )
    assert r.status_code == 302
    pl.refresh_from_db()
    assert pl.name == "新"


def test_salesperson_cannot_create(logged_in_client, salesperson):
    r = logged_in_client(salesperson).post(
        reverse("web:pricelist_create"), {"code": "X", "name": "x", "kind": "promotion"}
    )
    assert r.status_code == 403
    assert PriceList.objects.count() == 0


@pytest.mark.parametrize("n", [3, 30])
def test_list_page_queries(n, logged_in_client, admin_user, django_assert_max_num_queries):
    for i in range(n):
        PriceList.objects.create(code=f"L{i}", name=f"表{i}", kind="promotion")
    client = logged_in_client(admin_user)
    with django_assert_max_num_queries(12):
        r = client.get(reverse("web:pricelist_list"))
    assert r.status_code == 200
    assert r.content.decode().count("/price-lists/") >= n
