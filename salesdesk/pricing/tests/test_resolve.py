from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from salesdesk.catalog.models import Product
from salesdesk.catalog.tests.factories import ProductFactory
from salesdesk.core.models import Parameter
from salesdesk.customers.models import Customer
from salesdesk.customers.tests.factories import CustomerFactory
from salesdesk.pricing.models import PriceList
from salesdesk.pricing.resolve import manual_quote, resolve_price, resolve_prices
from salesdesk.pricing.tests.factories import PriceListFactory, PriceListItemFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 3, 10)


@pytest.fixture
def setup():
    product = ProductFactory.create(list_price=D("100.00"), floor_price=D("80.00"))
    customer = CustomerFactory.create(grade="A")
    agreement = PriceListFactory.create(kind="agreement", customer=customer, valid_from=dt.date(2026, 3, 1))
    PriceListItemFactory.create(price_list=agreement, product=product, unit_price=D("90.00"))
    promo = PriceListFactory.create(kind="promotion", valid_to=dt.date(2026, 3, 31))
    PriceListItemFactory.create(price_list=promo, product=product, unit_price=D("85.00"))
    tier = PriceListFactory.create(kind="tier")
    PriceListItemFactory.create(price_list=tier, product=product, unit_price=D("95.00"), min_qty=D(10))
    PriceListItemFactory.create(price_list=tier, product=product, unit_price=D("70.00"), min_qty=D(100))
    grade = PriceListFactory.create(kind="grade", grade="A")
    PriceListItemFactory.create(price_list=grade, product=product, discount_rate=D("0.05"))
    return product, customer, {"agreement": agreement, "promotion": promo, "tier": tier, "grade": grade}


def test_priority_order(setup):
    product, customer, lists = setup
    q = resolve_price(product=product, customer=customer, qty=D(1), on_date=DAY)
    assert (q.unit_price, q.source, q.source_label, q.price_list_id) == (
        D("90.000000"),
        "agreement",
        "客户协议价",
        lists["agreement"].pk,
    )
    q = resolve_price(product=product, customer=None, qty=D(1), on_date=DAY)
    assert (q.unit_price, q.source) == (D("85.000000"), "promotion")
    lists["promotion"].is_active = False
    lists["promotion"].save()
    assert resolve_price(product=product, qty=D(10), on_date=DAY).source == "tier"
    assert resolve_price(product=product, qty=D(9), on_date=DAY).source == "list"
    q = resolve_price(product=product, customer=customer, qty=D(9), on_date=dt.date(2026, 2, 1))
    assert (q.unit_price, q.source) == (D("95.000000"), "grade")  # 100 × (1 − 0.05); agreement not yet valid
    q = resolve_price(product=product, customer=customer, qty=D(200), on_date=dt.date(2026, 2, 1))
    assert (q.unit_price, q.source, q.is_below_floor) == (D("70.000000"), "tier", True)


def test_validity_window_end(setup):
    product, _customer, _lists = setup
    assert resolve_price(product=product, qty=D(1), on_date=dt.date(2026, 3, 31)).source == "promotion"
    assert resolve_price(product=product, qty=D(1), on_date=dt.date(2026, 4, 1)).source == "list"


def test_lowest_parameter(setup):
    product, customer, _lists = setup
    Parameter.objects.create(key="pricing.resolution", value="lowest")
    q = resolve_price(product=product, customer=customer, qty=D(150), on_date=DAY)
    assert (q.unit_price, q.source) == (D("70.000000"), "tier")
    q = resolve_price(product=product, customer=customer, qty=D(1), on_date=DAY)
    assert (q.unit_price, q.source) == (D("85.000000"), "promotion")


def test_incremental_tier():
    product: Product = ProductFactory.create(list_price=D("12.00"))
    tier = PriceListFactory.create(kind="tier", tier_mode=PriceList.TierMode.INCREMENTAL)
    for min_qty, price in ((1, "10"), (100, "9"), (500, "8")):
        PriceListItemFactory.create(price_list=tier, product=product, unit_price=D(price), min_qty=D(min_qty))
    q = resolve_price(product=product, qty=D(150), on_date=DAY)
    assert q.unit_price == D("9.660000")  # (99 × 10 + 51 × 9) / 150 = 1449 / 150


def test_manual_quote_floor():
    product: Product = ProductFactory.create(list_price=D("100.00"), floor_price=D("80.00"))
    q = manual_quote(product, D("79.99"))
    assert (q.source, q.source_label, q.is_below_floor) == ("manual", "手工价", True)


def _many(n: int) -> tuple[Customer, list[Product]]:
    customer = CustomerFactory.create(grade="A")
    products = ProductFactory.create_batch(n)
    pl = PriceListFactory.create(kind="agreement", customer=customer)
    for p in products:
        PriceListItemFactory.create(price_list=pl, product=p, unit_price=D("1.00"))
    return customer, products


@pytest.mark.parametrize("n", [3, 30])
def test_resolve_prices_constant_queries(n, django_assert_max_num_queries):
    customer, products = _many(n)
    with django_assert_max_num_queries(2):
        quotes = resolve_prices(products_qty=[(p, D(1)) for p in products], customer=customer, on_date=DAY)
    assert [q.source for q in quotes] == ["agreement"] * n
