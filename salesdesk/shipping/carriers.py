"""Carriers and tracking numbers (DOMAIN.md §6.2).

Tracking-number formats are carrier-internal and change over time, so a pattern only *suggests* a
carrier; a number that matches nothing is still accepted. Numbers are stored upper-cased, A–Z and 0–9.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from salesdesk.core.errors import InvalidInput
from salesdesk.core.text import to_halfwidth

# 快递鸟 codes → Chinese names (proper names, not translated).
CARRIERS: dict[str, str] = {
    "SF": "顺丰速运",
    "ZTO": "中通快递",
    "YTO": "圆通速递",
    "YD": "韵达速递",
    "STO": "申通快递",
    "JD": "京东物流",
    "EMS": "EMS / 中国邮政",
    "JTSD": "极兔速递",
    "DBL": "德邦快递",
}

# (code, pattern) in order of how specific the pattern is: letter prefixes first, bare digits last.
PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("SF", re.compile(r"^SF\d{12,13}$")),
    ("YTO", re.compile(r"^YT\d{13}$")),
    ("JTSD", re.compile(r"^JT\d{13}$")),
    ("JD", re.compile(r"^JD[0-9A-Z]{2}\d{11}$")),
    ("DBL", re.compile(r"^DPK\d{12}$")),
    ("ZTO", re.compile(r"^7[3-68]\d{12}$")),
    ("STO", re.compile(r"^77\d{11,13}$")),
    ("YD", re.compile(r"^[34]\d{14}$")),
    ("EMS", re.compile(r"^[19]\d{12}$")),
    ("YD", re.compile(r"^\d{13}$")),  # 韵达 legacy
    ("ZTO", re.compile(r"^\d{12}$")),  # 中通 legacy
    ("SF", re.compile(r"^\d{12}$")),  # 顺丰 legacy
]
S10 = re.compile(r"^[A-Z]{2}(\d{8})(\d)[A-Z]{2}$")
S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
STORED = re.compile(r"^[A-Z0-9]{8,32}$")


def s10_check_digit(serial8: str) -> int:
    """The UPU S10 check digit of an 8-digit serial: weights 8,6,4,2,3,5,9,7; 11 − Σ mod 11 (10→0, 11→5)."""
    if len(serial8) != 8 or not serial8.isdecimal():
        raise ValueError("serial8 must be 8 digits")
    check = 11 - sum(int(d) * w for d, w in zip(serial8, S10_WEIGHTS, strict=True)) % 11
    return {10: 0, 11: 5}.get(check, check)


def is_valid_s10(number: str) -> bool:
    """True for an international postal number such as EE123456785CN with a correct check digit."""
    match = S10.match(number)
    return bool(match) and s10_check_digit(match.group(1)) == int(match.group(2))  # type: ignore[union-attr]


def normalize_tracking_number(raw: object, *, field: str = "tracking_number") -> str:
    """Upper-case, half-width, without spaces or dashes; blank is allowed (own delivery, pick-up)."""
    text = re.sub(r"[\s\-]", "", to_halfwidth(str(raw or ""))).upper()
    if text and not STORED.match(text):
        raise InvalidInput.single(
            field, _("A tracking number has 8 to 32 letters and digits (spaces and dashes are ignored).")
        )
    return text


def suggest_carrier(tracking_number: str) -> list[tuple[str, str]]:
    """Carriers whose current pattern the number fits, most likely first; empty when none fits."""
    number = re.sub(r"[\s\-]", "", to_halfwidth(tracking_number or "")).upper()
    codes: list[str] = []
    if is_valid_s10(number):
        codes.append("EMS")
    for code, pattern in PATTERNS:
        if pattern.match(number) and code not in codes:
            codes.append(code)
    return [(code, CARRIERS[code]) for code in codes]


def carrier_name(code: str) -> str:
    """The carrier's Chinese name for a code, or the text as entered for a carrier we don't list."""
    return CARRIERS.get(code, code)


def normalize_carrier(raw: object) -> str:
    """A known code from a code or a Chinese name ("顺丰" → "SF"); anything else kept as typed."""
    text = str(raw or "").strip()
    if not text:
        return ""
    if text.upper() in CARRIERS:
        return text.upper()
    for code, name in CARRIERS.items():
        if text in name or name.startswith(text[:2]):
            return code
    return text[:40]
