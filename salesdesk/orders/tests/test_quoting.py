"""Invariants of an order's amounts, for any quantities, prices, discounts and price mode."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesdesk.orders import services
from salesdesk.pricing import calc

from .factories import make_customer, make_product

pytestmark = pytest.mark.django_db

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("9999.99"), places=2)
qty = st.integers(min_value=1, max_value=500)
rate = st.sampled_from([Decimal(0), Decimal("0.05"), Decimal("0.1"), Decimal("0.15")])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(
        st.tuples(qty, money, rate, st.sampled_from(["0.13", "0.09", "0.06"])), min_size=1, max_size=5
    ),
    discount_share=st.decimals(min_value=Decimal(0), max_value=Decimal("0.5"), places=2),
    mode=st.sampled_from(["tax_included", "tax_excluded"]),
)
def test_order_amounts_add_up(salesperson: Any, lines: Any, discount_share: Decimal, mode: str) -> None:
    customer = make_customer(salesperson)
    products = [make_product(tax_rate=Decimal(t)) for _q, _p, _r, t in lines]
    specs = [
        {"product": p, "qty": q, "unit_price": price, "discount_rate": r}
        for p, (q, price, r, _t) in zip(products, lines, strict=True)
    ]
    plain = services.quote_order(by=salesperson, customer=customer, lines=specs, price_mode=mode)
    base = plain.totals.amount if mode == "tax_included" else plain.totals.net_amount
    discount = calc.round2(base * discount_share)
    quote = services.quote_order(
        by=salesperson, customer=customer, lines=specs, price_mode=mode, order_discount_amount=discount
    )
    assert quote.totals.amount == sum((q.amounts.amount for q in quote.lines), Decimal(0))
    assert quote.totals.net_amount + quote.totals.tax_amount == quote.totals.amount
    for q in quote.lines:
        assert q.amounts.net_amount + q.amounts.tax_amount == q.amounts.amount
        assert q.amounts.amount >= 0
        assert q.amounts.net_amount >= 0
        assert q.amounts.tax_amount >= 0
    assert sum((q.order_discount_share for q in quote.lines), Decimal(0)) == discount
