"""Validation and normalisation of Chinese identifiers, exactly as DOMAIN.md §1–§2 says.

Each ``normalize_*`` returns the stored form or raises ``django.core.exceptions.ValidationError``
with a translated message; ``*_check_char`` helpers are exposed for tests and for hints.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .text import to_halfwidth

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^(0(?:10|2\d|[3-9]\d{2}))-?([2-9]\d{6,7})(?:-(\d{1,6}))?$")
SERVICE_NUMBER_RE = re.compile(r"^(400|800)-?(\d{3})-?(\d{4})$")
TAX_CODE_RE = re.compile(r"^\d{19}$")
_SEPARATORS = re.compile(r"[\s\-()（）]")


def _clean_code(value: str) -> str:
    return _SEPARATORS.sub("", to_halfwidth(value or "")).upper()


def uscc_check_char(first17: str) -> str:
    """The 18th character of a USCC from its first 17 (GB 32100-2015, mod 31)."""
    total = sum(USCC_CHARSET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARSET[(31 - total % 31) % 31]


def org_code_check_char(body8: str) -> str:
    """GB 11714 check character of the 8-character organisation code body (USCC pos 9–16)."""
    total = 0
    for c, w in zip(body8, ORG_CODE_WEIGHTS, strict=True):
        total += (int(c) if c.isdecimal() else ord(c) - 55) * w
    c9 = 11 - total % 11
    return "X" if c9 == 10 else "0" if c9 == 11 else str(c9)


def normalize_uscc(value: str) -> str:
    """Return the 18-character USCC in upper case, or raise with the reason in Chinese."""
    code = _clean_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; %(count)d were entered.")
            % {"count": len(code)},
            code="uscc_length",
        )
    if not USCC_RE.match(code[:17] + "0"):
        raise ValidationError(
            _("The unified social credit code contains characters that are not allowed (I, O, S, V, Z)."),
            code="uscc_charset",
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _("The check character of this unified social credit code is wrong; please check the code."),
            code="uscc_check",
        )
    return code


def uscc_org_code_warning(code: str) -> str | None:
    """A warning (not an error) when the embedded organisation code fails its own check (§1.1)."""
    body = code[8:16]
    if not re.fullmatch(r"[0-9A-Z]{8}", body):
        return None
    if org_code_check_char(body) != code[16]:
        return _("The organisation code inside this credit code does not pass its check; please verify it.")
    return None


def id_card_check_char(first17: str) -> str:
    """Check character of a resident ID number (GB 11643-1999, ISO 7064 MOD 11-2)."""
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def normalize_id_card(value: str) -> str:
    code = _clean_code(value)
    if not re.fullmatch(r"\d{17}[\dX]", code) or id_card_check_char(code[:17]) != code[17]:
        raise ValidationError(_("This resident ID number is not valid."), code="id_card")
    return code


def normalize_mobile(value: str) -> str:
    """Return an 11-digit mainland mobile number, dropping +86 / 0086 / 86 and separators (§1.4)."""
    raw = to_halfwidth(value or "").strip()
    digits = re.sub(r"[\s\-().]", "", raw)
    if digits.startswith("+"):
        digits = digits[1:]
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not MOBILE_RE.match(digits):
        raise ValidationError(
            _("Enter an 11-digit mobile number starting with 13–19, e.g. 138 0013 8000."), code="mobile"
        )
    return digits


def normalize_landline(value: str) -> str:
    """Return a landline as ``0755-86013388[-123]`` or a 400/800 number as ``400-123-4567``."""
    raw = to_halfwidth(value or "").strip().replace("转", "-")
    raw = re.sub(r"[\s()]", "", raw)
    service = SERVICE_NUMBER_RE.match(raw)
    if service:
        return "-".join(service.groups())
    match = LANDLINE_RE.match(raw)
    if not match:
        # accept "075586013388" without a hyphen only when the area code is unambiguous
        raise ValidationError(
            _("Enter a landline with its area code, e.g. 0755-86013388 or 010-62265678."), code="landline"
        )
    area, local, ext = match.groups()
    return f"{area}-{local}" + (f"-{ext}" if ext else "")


def normalize_phone(value: str) -> str:
    """A mobile or a landline, whichever the input is."""
    try:
        return normalize_mobile(value)
    except ValidationError:
        pass
    try:
        return normalize_landline(value)
    except ValidationError:
        raise ValidationError(
            _("Enter a mobile number (138 0013 8000) or a landline with area code (0755-86013388)."),
            code="phone",
        ) from None


def normalize_tax_code(value: str) -> str:
    """The 19-digit 商品和服务税收分类编码, kept as a string (§2.1)."""
    code = _clean_code(value)
    if not TAX_CODE_RE.match(code):
        raise ValidationError(_("A tax classification code has exactly 19 digits."), code="tax_code")
    return code


def gtin_check_digit(first12: str) -> str:
    total = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(first12))
    return str((10 - total % 10) % 10)


def normalize_barcode(value: str) -> str:
    """EAN-13 / GTIN-13 with its check digit; 8-digit EAN-8 is accepted as is."""
    code = _clean_code(value)
    if re.fullmatch(r"\d{13}", code):
        if gtin_check_digit(code[:12]) != code[12]:
            raise ValidationError(_("The check digit of this barcode is wrong."), code="barcode_check")
        return code
    if re.fullmatch(r"\d{8}", code):
        return code
    raise ValidationError(_("A barcode has 13 digits (EAN-13) or 8 digits (EAN-8)."), code="barcode")


VAT_RATES = (
    Decimal("0.13"),
    Decimal("0.09"),
    Decimal("0.06"),
    Decimal("0.05"),
    Decimal("0.03"),
    Decimal("0.01"),
    Decimal("0"),
)
HISTORIC_VAT_RATES = (Decimal("0.17"), Decimal("0.16"), Decimal("0.11"), Decimal("0.10"))


def normalize_vat_rate(value: object, *, allow_historic: bool = False) -> Decimal:
    """A VAT rate as a fraction (0.13). Accepts "13%", "13", "0.13"; only rates in force (§3.5)."""
    text = to_halfwidth(str(value)).strip().replace("％", "%")
    try:
        if text.endswith("%"):
            rate = Decimal(text[:-1]) / 100
        else:
            rate = Decimal(text)
            if rate >= 1:
                rate = rate / 100
    except InvalidOperation:
        raise ValidationError(_("Enter a VAT rate such as 13%."), code="vat_rate") from None
    rate = rate.quantize(Decimal("0.0001"))
    allowed = VAT_RATES + (HISTORIC_VAT_RATES if allow_historic else ())
    if rate not in allowed:
        raise ValidationError(
            _("%(rate)s is not a VAT rate in force; use 13%%, 9%%, 6%%, 5%%, 3%%, 1%% or 0%%.")
            % {"rate": f"{rate * 100:.0f}%"},
            code="vat_rate",
        )
    return rate


def parse_decimal(value: object, *, places: int = 2, minimum: Decimal | None = Decimal("0")) -> Decimal:
    """A money or quantity value from a string; never from a float."""
    if isinstance(value, float):
        value = repr(value)
    text = to_halfwidth(str(value)).strip().replace(",", "").replace("¥", "").replace("￥", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValidationError(_("Enter a number."), code="decimal") from None
    if not number.is_finite():
        raise ValidationError(_("Enter a number."), code="decimal")
    if number.as_tuple().exponent < -places:  # type: ignore[operator]
        raise ValidationError(
            _("Use at most %(places)d decimal places.") % {"places": places}, code="decimal_places"
        )
    if minimum is not None and number < minimum:
        raise ValidationError(_("Must not be less than %(min)s.") % {"min": minimum}, code="min_value")
    return number


def row_id(value: object) -> int | None:
    """The row id a reference gives (an int, or text of decimal digits), or None: not a number, or
    not one an id column (a positive bigint) can hold — such a value names no row and is never sent
    to be compared with one (SQLite refuses integers past 64 bits)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdecimal():
        number = int(value.strip())
    else:
        return None
    return number if 0 < number < 2**63 else None
