"""Pure money arithmetic for pricing: line amounts, tax, discounts, 抹零, 人民币大写, due dates.

No ORM here. Every amount is a Decimal rounded ROUND_HALF_UP to the 分 by ``round2`` (DOMAIN.md §3.6–§3.9).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

MONEY = Decimal("0.01")
ZERO = Decimal("0.00")
TAX_INCLUDED = "tax_included"
TAX_EXCLUDED = "tax_excluded"
PRICE_MODES = (TAX_INCLUDED, TAX_EXCLUDED)
ROUND_OFF_RULES = ("none", "fen", "jiao", "yuan", "ten")
TERM_TYPES = ("net", "eom", "next_month_eom", "fixed_day")


def round2(x: Decimal) -> Decimal:
    """Round to the 分, half away from zero (四舍五入; negatives mirror positives)."""
    return Decimal(x).quantize(MONEY, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineAmounts:
    """One line's money: gross before discount, discount, 含税金额, 金额 (net) and 税额."""

    gross_amount: Decimal
    discount_amount: Decimal
    amount: Decimal
    net_amount: Decimal
    tax_amount: Decimal


@dataclass(frozen=True)
class OrderTotals:
    """Order totals: the sums of the line amounts (tax is never computed on the total)."""

    amount: Decimal
    net_amount: Decimal
    tax_amount: Decimal
    discount_amount: Decimal
    gross_amount: Decimal


def split_inclusive(amount: Decimal, tax_rate: Decimal) -> tuple[Decimal, Decimal]:
    """Split a 含税金额 into (金额, 税额): tax rounded, net by subtraction (§3.6)."""
    amount = round2(amount)
    tax = round2(amount / (1 + tax_rate) * tax_rate)
    return amount - tax, tax


def add_tax(net: Decimal, tax_rate: Decimal) -> tuple[Decimal, Decimal]:
    """Tax a 金额 (tax-exclusive): return (含税金额, 税额) (§3.6 不含税模式)."""
    net = round2(net)
    tax = round2(net * tax_rate)
    return net + tax, tax


def _check_mode(mode: str) -> None:
    if mode not in PRICE_MODES:
        raise ValueError(f"unknown price mode {mode!r}")


def line_amounts(
    *,
    qty: Decimal,
    unit_price: Decimal,
    tax_rate: Decimal,
    mode: str = TAX_INCLUDED,
    discount_rate: Decimal = Decimal(0),
    extra_discount: Decimal = Decimal(0),
) -> LineAmounts:
    """Compute one line per DOMAIN.md §3.6; ``extra_discount`` is the line's share of an order discount."""
    _check_mode(mode)
    qty, unit_price, tax_rate = Decimal(qty), Decimal(unit_price), Decimal(tax_rate)
    discount_rate, extra_discount = Decimal(discount_rate), Decimal(extra_discount)
    if qty < 0:
        raise ValueError("qty must not be negative")
    if unit_price < 0:
        raise ValueError("unit_price must not be negative")
    if tax_rate < 0:
        raise ValueError("tax_rate must not be negative")
    if not Decimal(0) <= discount_rate <= Decimal(1):
        raise ValueError("discount_rate must be between 0 and 1")
    if extra_discount < 0:
        raise ValueError("extra_discount must not be negative")
    gross = round2(qty * unit_price)
    discount = round2(gross * discount_rate) + round2(extra_discount)
    if discount > gross:
        raise ValueError("discount exceeds the gross amount")
    if mode == TAX_INCLUDED:
        amount = gross - discount
        net, tax = split_inclusive(amount, tax_rate)
    else:
        net = gross - discount
        amount, tax = add_tax(net, tax_rate)
    return LineAmounts(
        gross_amount=gross, discount_amount=discount, amount=amount, net_amount=net, tax_amount=tax
    )


def allocate(total: Decimal, bases: Sequence[Decimal]) -> list[Decimal]:
    """Spread ``total`` over ``bases`` by the largest-remainder method in 分 (§3.7).

    Σ shares = total exactly; ties go to the larger base, then the earlier line; no share exceeds its base.
    """
    cents_total = int(round2(Decimal(total)) / MONEY)
    cents = [int(round2(Decimal(b)) / MONEY) for b in bases]
    if cents_total < 0 or any(c < 0 for c in cents):
        raise ValueError("total and bases must not be negative")
    base_sum = sum(cents)
    if cents_total > base_sum:
        raise ValueError("total exceeds the sum of the bases")
    if cents_total == 0:
        return [ZERO for _ in cents]
    floors = [cents_total * c // base_sum for c in cents]
    remainders = [cents_total * c % base_sum for c in cents]
    leftover = cents_total - sum(floors)
    order = sorted(range(len(cents)), key=lambda i: (-remainders[i], -cents[i], i))
    for i in order[:leftover]:
        floors[i] += 1
    return [Decimal(f) * MONEY for f in floors]


def apply_order_discount(
    lines: Sequence[dict[str, Any]], discount: Decimal, mode: str = TAX_INCLUDED
) -> list[LineAmounts]:
    """Allocate an order-level discount over the eligible lines and recompute each line (§3.7).

    Each line dict has qty, unit_price, tax_rate, optional discount_rate and eligible (default True).
    """
    _check_mode(mode)

    def compute(line: dict[str, Any], extra: Decimal) -> LineAmounts:
        return line_amounts(
            qty=line["qty"],
            unit_price=line["unit_price"],
            tax_rate=line["tax_rate"],
            mode=mode,
            discount_rate=line.get("discount_rate") or Decimal(0),
            extra_discount=extra,
        )

    first = [compute(line, Decimal(0)) for line in lines]
    bases = [
        (a.amount if mode == TAX_INCLUDED else a.net_amount) if line.get("eligible", True) else ZERO
        for line, a in zip(lines, first, strict=True)
    ]
    shares = allocate(Decimal(discount), bases)
    return [compute(line, share) if share else a for line, a, share in zip(lines, first, shares, strict=True)]


_ROUND_OFF_STEP = {
    "fen": Decimal("0.1"),
    "jiao": Decimal("1"),
    "yuan": Decimal("1"),
    "ten": Decimal("10"),
}


def round_off(total: Decimal, rule: str) -> Decimal:
    """Return the 抹零 discount for ``total`` under ``rule`` (the part dropped, never negative for a sale)."""
    if rule not in ROUND_OFF_RULES:
        raise ValueError(f"unknown round-off rule {rule!r}")
    total = round2(Decimal(total))
    if rule == "none":
        return ZERO
    step = _ROUND_OFF_STEP[rule]
    kept = (total / step).to_integral_value(rounding=ROUND_DOWN) * step
    return round2(total - kept)


def totals(lines: Sequence[LineAmounts]) -> OrderTotals:
    """Sum the lines (合计 = Σ 行; tax is never computed on the total)."""
    return OrderTotals(
        amount=sum((x.amount for x in lines), ZERO),
        net_amount=sum((x.net_amount for x in lines), ZERO),
        tax_amount=sum((x.tax_amount for x in lines), ZERO),
        discount_amount=sum((x.discount_amount for x in lines), ZERO),
        gross_amount=sum((x.gross_amount for x in lines), ZERO),
    )


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_GROUP_UNITS = ("", "万", "亿", "万亿")


def _integer_words(n: int) -> str:
    groups: list[int] = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    if len(groups) > len(_GROUP_UNITS):
        raise ValueError("amount too large")
    out: list[str] = []
    zero_pending = False
    for gi in range(len(groups) - 1, -1, -1):
        group = groups[gi]
        if group == 0:
            zero_pending = bool(out)
            continue
        digits = [group // 1000 % 10, group // 100 % 10, group // 10 % 10, group % 10]
        for pos, d in enumerate(digits):
            if d == 0:
                if out:
                    zero_pending = True
                continue
            if zero_pending:
                out.append("零")
                zero_pending = False
            out.append(_DIGITS[d] + _SMALL_UNITS[3 - pos])
        out.append(_GROUP_UNITS[gi])
    return "".join(out)


def amount_in_words(value: Decimal) -> str:
    """Write an amount in 人民币大写 per DOMAIN.md §3.9, without the 人民币 prefix (0 → 零元整)."""
    value = round2(Decimal(value))
    sign = "负" if value < 0 else ""
    cents = int(abs(value) / MONEY)
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    if cents == 0:
        return "零元整"
    parts = [sign]
    if yuan:
        parts.append(_integer_words(yuan) + "元")
    if jiao:
        parts.append(_DIGITS[jiao] + "角")
    elif fen and yuan:
        parts.append("零")
    if fen:
        parts.append(_DIGITS[fen] + "分")
    else:
        parts.append("整")
    return "".join(parts)


def amount_in_words_rmb(value: Decimal) -> str:
    """人民币大写 with the 人民币 prefix, no gap (人民币壹仟零肆元伍角陆分)."""
    return "人民币" + amount_in_words(value)


def _month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def due_date(base: date, *, term_type: str, days: int = 0, fixed_day: int | None = None) -> date:
    """Compute a credit-term due date (DOMAIN.md §1.7; the start day is not counted).

    net: base + days · eom (月结): month end of base + days · next_month_eom (次月结): month end of the next
    month + days · fixed_day (固定付款日): the first day ``fixed_day`` after month end of base (+ days), the
    month's last day when it is shorter.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    if term_type == "net":
        return base + timedelta(days=days)
    if term_type == "eom":
        return _month_end(base) + timedelta(days=days)
    if term_type == "next_month_eom":
        return _month_end(_month_end(base) + timedelta(days=1)) + timedelta(days=days)
    if term_type == "fixed_day":
        if fixed_day is None or not 1 <= fixed_day <= 31:
            raise ValueError("fixed_day must be between 1 and 31")
        after = _month_end(base) + timedelta(days=days)
        candidate = after + timedelta(days=1)
        while True:
            last = calendar.monthrange(candidate.year, candidate.month)[1]
            target = candidate.replace(day=min(fixed_day, last))
            if target > after:
                return target
            candidate = _month_end(candidate) + timedelta(days=1)
    raise ValueError(f"unknown term type {term_type!r}")
