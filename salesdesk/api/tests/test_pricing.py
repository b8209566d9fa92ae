from __future__ import annotations

from decimal import Decimal as D

import pytest

from salesdesk.catalog.tests.factories import ProductFactory
from salesdesk.customers.tests.factories import CustomerFactory
from salesdesk.pricing.models import PriceList

pytestmark = pytest.mark.django_db


def test_quote_tax_included_vector(api_client_for, admin_user):
    p = ProductFactory.create(sku="A-1", list_price=D("9.99"))
    r = api_client_for(admin_user).post("/api/pricing/quote", {"lines": [{"product": "A-1", "qty": "3"}]})
    assert r.status_code == 200, r.content
    body = r.json()
    line = body["lines"][0]
    assert (line["product"], line["unit_price"], line["price_source"], line["amount"]) == (
        p.pk,
        "9.99",
        "list",
        "29.97",
    )
    assert (line["net_amount"], line["tax_amount"], line["tax_rate"]) == ("26.52", "3.45", "0.13")
    assert (body["total_amount"], body["net_amount"], body["tax_amount"]) == ("29.97", "26.52", "3.45")
    assert body["amount_in_words"] == "贰拾玖元玖角柒分"


def test_quote_tax_excluded_vector(api_client_for, admin_user):
    ProductFactory.create(sku="B-1")
    body = (
        api_client_for(admin_user)
        .post(
            "/api/pricing/quote",
            {"price_mode": "tax_excluded", "lines": [{"product": "B-1", "qty": "12", "unit_price": "30.97"}]},
        )
        .json()
    )
    assert (body["tax_amount"], body["net_amount"], body["total_amount"]) == ("48.31", "371.64", "419.95")
    assert body["lines"][0]["price_source"] == "manual"


def test_quote_ten_lines_tax_summed(api_client_for, admin_user):
    ProductFactory.create(sku="C-1", list_price=D("1.00"))
    body = (
        api_client_for(admin_user)
        .post("/api/pricing/quote", {"lines": [{"product": "C-1", "qty": "1"}] * 10})
        .json()
    )
    assert (body["total_amount"], body["tax_amount"]) == ("10.00", "1.20")


def test_quote_order_discount(api_client_for, admin_user):
    for sku, price in (("D-1", "9.99"), ("D-2", "87.50"), ("D-3", "100.00")):
        ProductFactory.create(sku=sku, list_price=D(price))
    body = (
        api_client_for(admin_user)
        .post(
            "/api/pricing/quote",
            {
                "lines": [
                    {"product": "D-1", "qty": "3"},
                    {"product": "D-2", "qty": "1"},
                    {"product": "D-3", "qty": "1"},
                ],
                "order_discount_amount": "10.00",
            },
        )
        .json()
    )
    assert [x["discount_amount"] for x in body["lines"]] == ["1.38", "4.02", "4.60"]
    assert (body["discount_amount"], body["total_amount"]) == ("10.00", "207.47")


def test_quote_validation_paths(api_client_for, admin_user):
    ProductFactory.create(sku="E-1")
    r = api_client_for(admin_user).post(
        "/api/pricing/quote", {"lines": [{"product": "E-1", "qty": "abc"}, {"product": "nope", "qty": "1"}]}
    )
    assert r.status_code == 422
    assert set(r.json()["fields"]) == {"lines.0.qty", "lines.1.product"}


def test_quote_customer_outside_scope_is_404(api_client_for, salesperson, other_salesperson):
    ProductFactory.create(sku="F-1")
    customer = CustomerFactory.create(owner=other_salesperson)
    r = api_client_for(salesperson).post(
        "/api/pricing/quote", {"customer": customer.pk, "lines": [{"product": "F-1", "qty": "1"}]}
    )
    assert r.status_code == 404


def test_quote_agreement_price(api_client_for, admin_user):
    p = ProductFactory.create(sku="G-1", list_price=D("50.00"))
    customer = CustomerFactory.create()
    client = api_client_for(admin_user)
    r = client.post(
        "/api/pricing/price-lists",
        {
            "code": "XY1",
            "name": "协议",
            "kind": "agreement",
            "customer": customer.pk,
            "items": [{"product": "G-1", "unit_price": "45.5"}],
        },
    )
    assert r.status_code == 201, r.content
    body = client.post(
        "/api/pricing/quote", {"customer": customer.pk, "lines": [{"product": p.pk, "qty": "2"}]}
    ).json()
    assert (body["lines"][0]["price_source"], body["lines"][0]["unit_price"], body["total_amount"]) == (
        "agreement",
        "45.50",
        "91.00",
    )


def test_price_list_validation_and_patch(api_client_for, admin_user):
    ProductFactory.create(sku="H-1")
    client = api_client_for(admin_user)
    r = client.post(
        "/api/pricing/price-lists",
        {
            "code": "P1",
            "name": "促销",
            "kind": "promotion",
            "items": [{"product": "H-1", "unit_price": "-1"}],
        },
    )
    assert r.status_code == 422
    assert list(r.json()["fields"]) == ["items.0.unit_price"]
    assert PriceList.objects.count() == 0
    r = client.post(
        "/api/pricing/price-lists",
        {
            "code": "P1",
            "name": "促销",
            "kind": "promotion",
            "items": [{"product": "H-1", "unit_price": "30"}],
        },
    )
    pk = r.json()["id"]
    r = client.patch(f"/api/pricing/price-lists/{pk}", {"name": "新促销"})
    assert (r.status_code, r.json()["name"], len(r.json()["items"])) == (200, "新促销", 1)
    assert PriceList.objects.get(pk=pk).history.count() == 2


def test_price_list_forbidden_for_salesperson(api_client_for, salesperson):
    r = api_client_for(salesperson).post(
        "/api/pricing/price-lists", {"code": "Z", "name": "z", "kind": "promotion"}
    )
    assert r.status_code == 403
    assert PriceList.objects.count() == 0


@pytest.mark.parametrize("n", [3, 30])
def test_price_list_list_queries(n, api_client_for, admin_user, django_assert_max_num_queries):
    for i in range(n):
        PriceList.objects.create(code=f"L{i}", name="x", kind="promotion")
    client = api_client_for(admin_user)
    with django_assert_max_num_queries(8):
        r = client.get("/api/pricing/price-lists")
    assert r.json()["count"] == n
