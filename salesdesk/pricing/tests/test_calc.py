from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesdesk.pricing import calc


def test_tax_included_vectors():
    assert calc.line_amounts(qty=D(3), unit_price=D("9.99"), tax_rate=D("0.13")) == calc.LineAmounts(
        D("29.97"), D("0.00"), D("29.97"), D("26.52"), D("3.45")
    )
    a = calc.line_amounts(qty=D(12), unit_price=D("35.00"), tax_rate=D("0.13"))
    assert (a.amount, a.net_amount, a.tax_amount) == (D("420.00"), D("371.68"), D("48.32"))


def test_tax_excluded_vector():
    a = calc.line_amounts(qty=D(12), unit_price=D("30.97"), tax_rate=D("0.13"), mode="tax_excluded")
    assert (a.gross_amount, a.amount, a.net_amount, a.tax_amount) == (
        D("371.64"),
        D("419.95"),
        D("371.64"),
        D("48.31"),
    )


def test_tax_is_per_line_and_summed():
    lines = [calc.line_amounts(qty=D(1), unit_price=D("1.00"), tax_rate=D("0.13")) for _ in range(10)]
    t = calc.totals(lines)
    assert (t.amount, t.tax_amount, t.net_amount) == (D("10.00"), D("1.20"), D("8.80"))


def test_line_discount():
    a = calc.line_amounts(qty=D(10), unit_price=D("10.00"), tax_rate=D("0.13"), discount_rate=D("0.05"))
    assert (a.gross_amount, a.discount_amount, a.amount, a.tax_amount, a.net_amount) == (
        D("100.00"),
        D("5.00"),
        D("95.00"),
        D("10.93"),
        D("84.07"),
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {"qty": D(-1), "unit_price": D(1)},
        {"qty": D(1), "unit_price": D("-0.01")},
        {"qty": D(1), "unit_price": D(1), "discount_rate": D("1.01")},
        {"qty": D(1), "unit_price": D(1), "discount_rate": D("-0.1")},
        {"qty": D(1), "unit_price": D(1), "extra_discount": D("1.01")},
    ],
)
def test_line_refuses_bad_input(kwargs):
    with pytest.raises(ValueError, match=r"."):
        calc.line_amounts(tax_rate=D("0.13"), **kwargs)


def test_allocate_vectors():
    assert calc.allocate(D("10.00"), [D("29.97"), D("87.50"), D("100.00")]) == [
        D("1.38"),
        D("4.02"),
        D("4.60"),
    ]
    assert calc.allocate(D("0.05"), [D(1), D(1), D(1)]) == [D("0.02"), D("0.02"), D("0.01")]
    assert calc.allocate(D("1.00"), [D(0), D(5)]) == [D("0.00"), D("1.00")]
    with pytest.raises(ValueError, match=r"."):
        calc.allocate(D("5.01"), [D(0), D(5)])


def test_allocate_tie_goes_to_larger_base_then_earlier():
    # 0.01 over bases 1, 2, 2 → remainders 1/5, 2/5, 2/5 → larger base (2), earlier line.
    assert calc.allocate(D("0.01"), [D(1), D(2), D(2)]) == [D("0.00"), D("0.01"), D("0.00")]


def test_apply_order_discount_vector():
    lines = [
        {
            "qty": D(3),
            "unit_price": D("9.99"),
            "tax_rate": D("0.13"),
            "discount_rate": D(0),
            "eligible": True,
        },
        {
            "qty": D(1),
            "unit_price": D("87.50"),
            "tax_rate": D("0.13"),
            "discount_rate": D(0),
            "eligible": True,
        },
        {
            "qty": D(1),
            "unit_price": D("100.00"),
            "tax_rate": D("0.09"),
            "discount_rate": D(0),
            "eligible": True,
        },
        {
            "qty": D(1),
            "unit_price": D("50.00"),
            "tax_rate": D("0.13"),
            "discount_rate": D(0),
            "eligible": False,
        },
    ]
    result = calc.apply_order_discount(lines, D("10.00"), "tax_included")
    assert [r.discount_amount for r in result] == [D("1.38"), D("4.02"), D("4.60"), D("0.00")]
    assert [r.amount for r in result] == [D("28.59"), D("83.48"), D("95.40"), D("50.00")]
    assert result[2].tax_amount == D("7.88")  # 95.40 / 1.09 × 0.09, its own rate


@pytest.mark.parametrize(
    ("rule", "expected"),
    [("none", "0.00"), ("fen", "0.06"), ("jiao", "0.56"), ("yuan", "0.56"), ("ten", "7.56")],
)
def test_round_off(rule, expected):
    assert calc.round_off(D("1237.56"), rule) == D(expected)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("0.05", "伍分"),
        ("0.50", "伍角整"),
        ("10", "壹拾元整"),
        ("15", "壹拾伍元整"),
        ("101.50", "壹佰零壹元伍角整"),
        ("1409.50", "壹仟肆佰零玖元伍角整"),
        ("7560.31", "柒仟伍佰陆拾元叁角壹分"),
        ("1000054", "壹佰万零伍拾肆元整"),
        ("100010000", "壹亿零壹万元整"),
        ("1000000000.01", "壹拾亿元零壹分"),
        ("289546.52", "贰拾捌万玖仟伍佰肆拾陆元伍角贰分"),
        ("-50", "负伍拾元整"),
        ("1004.56", "壹仟零肆元伍角陆分"),
        ("425.03", "肆佰贰拾伍元零叁分"),
        ("100000", "壹拾万元整"),
        ("30000.30", "叁万元叁角整"),
        ("0", "零元整"),
    ],
)
def test_amount_in_words(value, words):
    assert calc.amount_in_words(D(value)) == words


def test_amount_in_words_rmb():
    assert calc.amount_in_words_rmb(D("1004.56")) == "人民币壹仟零肆元伍角陆分"


def test_due_dates():
    base = date(2026, 3, 10)
    assert calc.due_date(base, term_type="net", days=30) == date(2026, 4, 9)
    assert calc.due_date(base, term_type="eom", days=30) == date(2026, 4, 30)
    assert calc.due_date(base, term_type="next_month_eom", days=0) == date(2026, 4, 30)
    assert calc.due_date(base, term_type="fixed_day", fixed_day=25) == date(2026, 4, 25)
    assert calc.due_date(date(2026, 1, 5), term_type="fixed_day", fixed_day=31) == date(2026, 2, 28)
    with pytest.raises(ValueError, match=r"."):
        calc.due_date(base, term_type="weekly")


money = st.decimals(min_value=D("0"), max_value=D("99999"), places=2)
qtys = st.decimals(min_value=D("0"), max_value=D("9999"), places=3)
rates = st.sampled_from([D("0"), D("0.01"), D("0.03"), D("0.06"), D("0.09"), D("0.13")])
line_st = st.fixed_dictionaries(
    {
        "qty": qtys,
        "unit_price": money,
        "tax_rate": rates,
        "discount_rate": st.decimals(min_value=D(0), max_value=D(1), places=2),
        "eligible": st.booleans(),
    }
)


@given(
    st.lists(line_st, min_size=1, max_size=8),
    st.floats(min_value=0, max_value=1),
    st.sampled_from(calc.PRICE_MODES),
)
def test_order_discount_properties(lines, share, mode):
    before = calc.apply_order_discount(lines, D(0), mode)
    base = sum(
        (
            (b.amount if mode == "tax_included" else b.net_amount)
            for b, ln in zip(before, lines, strict=False)
            if ln["eligible"]
        ),
        D(0),
    )
    discount = calc.round2(base * D(str(share)))
    after = calc.apply_order_discount(lines, discount, mode)
    assert sum(a.discount_amount for a in after) - sum(b.discount_amount for b in before) == discount
    for a in after:
        assert a.net_amount + a.tax_amount == a.amount
        assert min(a.amount, a.net_amount, a.tax_amount, a.discount_amount) >= 0
    t = calc.totals(after)
    assert t.amount == sum(a.amount for a in after)
    assert t.tax_amount == sum(a.tax_amount for a in after)


@given(
    st.decimals(min_value=D("0"), max_value=D("9999999"), places=2), st.lists(money, min_size=1, max_size=10)
)
def test_allocate_properties(total, bases):
    if total > sum(bases):
        with pytest.raises(ValueError, match=r"."):
            calc.allocate(total, bases)
        return
    shares = calc.allocate(total, bases)
    assert sum(shares) == total
    assert all(D(0) <= s <= b for s, b in zip(shares, bases, strict=False))


@given(st.decimals(min_value=D("0"), max_value=D("999999"), places=2), rates)
def test_mirror_symmetry(amount, rate):
    net, tax = calc.split_inclusive(amount, rate)
    assert calc.split_inclusive(-amount, rate) == (-net, -tax)
    assert calc.add_tax(-amount, rate) == tuple(-x for x in calc.add_tax(amount, rate))
    assert calc.amount_in_words(-amount) == ("负" if amount else "") + calc.amount_in_words(amount)
