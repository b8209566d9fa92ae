"""DOMAIN.md §12 vectors and the rules of §1–§2."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from salesdesk.core import masking, validators


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L", "91440300MA5H0HLK5U"])
def test_valid_uscc(code):
    assert validators.normalize_uscc(code) == code


def test_uscc_check_char_of_standard_example():
    assert validators.uscc_check_char("91350100M000100Y4") == "3"


def test_uscc_invalid_check_char_is_refused_with_reason():
    with pytest.raises(ValidationError) as exc:
        validators.normalize_uscc("91350100M000100Y4Z")
    assert exc.value.code == "uscc_check"


def test_uscc_fullwidth_input_is_normalized():
    assert validators.normalize_uscc(" ９１３５０１００ｍ０００１００ｙ４３") == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("code", "reason"), [("9135010", "uscc_length"), ("91350100M000100I43", "uscc_charset")]
)
def test_uscc_wrong_shape(code, reason):
    with pytest.raises(ValidationError) as exc:
        validators.normalize_uscc(code)
    assert exc.value.code == reason


def test_org_code_warning_only_when_inner_check_fails():
    assert validators.uscc_org_code_warning("91350100M000100Y43") is None
    assert validators.org_code_check_char("M000100Y") == "4"


def test_id_card_check_char():
    assert validators.id_card_check_char("11010519491231002") == "X"
    assert validators.normalize_id_card("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize(
    "raw", ["+86 138-0013-8000", "＋86 １３８ 0013 8000", "008613800138000", "13800138000"]
)
def test_mobile_normalization(raw):
    assert validators.normalize_mobile(raw) == "13800138000"


@pytest.mark.parametrize("raw", ["12800138000", "1380013800", "abc"])
def test_mobile_rejected(raw):
    with pytest.raises(ValidationError):
        validators.normalize_mobile(raw)


def test_mobile_masking():
    assert masking.mask_mobile("13800138000") == "138****8000"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("0755-86013388", "0755-86013388"),
        ("010-62265678", "010-62265678"),
        ("（0755）86013388转123", "0755-86013388-123"),
        ("400-810-8888", "400-810-8888"),
    ],
)
def test_landline(raw, stored):
    assert validators.normalize_landline(raw) == stored


def test_landline_without_area_code_is_rejected():
    with pytest.raises(ValidationError):
        validators.normalize_landline("86013388")


def test_gtin_check_digit():
    assert validators.gtin_check_digit("690123456789") == "2"
    assert validators.normalize_barcode("6901234567892") == "6901234567892"
    with pytest.raises(ValidationError):
        validators.normalize_barcode("6901234567891")


def test_tax_code_has_19_digits():
    assert validators.normalize_tax_code("1090511000000000000") == "1090511000000000000"
    with pytest.raises(ValidationError):
        validators.normalize_tax_code("109051100")


@pytest.mark.parametrize(
    ("raw", "rate"), [("13%", "0.1300"), ("9", "0.0900"), ("0.06", "0.0600"), ("0", "0.0000")]
)
def test_vat_rates(raw, rate):
    assert validators.normalize_vat_rate(raw) == Decimal(rate)


def test_historic_vat_rate_only_when_allowed():
    with pytest.raises(ValidationError):
        validators.normalize_vat_rate("17%")
    assert validators.normalize_vat_rate("17%", allow_historic=True) == Decimal("0.17")


def test_parse_decimal_refuses_too_many_places_and_negatives():
    assert validators.parse_decimal("1,234.50") == Decimal("1234.50")
    with pytest.raises(ValidationError):
        validators.parse_decimal("1.234")
    with pytest.raises(ValidationError):
        validators.parse_decimal("-1")


@pytest.mark.parametrize(("name", "masked"), [("张三", "张*"), ("张小明", "张**"), ("欧阳修文", "欧阳**")])
def test_name_masking(name, masked):
    assert masking.mask_name(name) == masked


def test_other_masks():
    assert masking.mask_landline("0755-86013388") == "0755****3388"
    assert masking.mask_email("zhang@example.com") == "z***@example.com"
    assert masking.mask_id_card("11010519491231002X") == "110105********002X"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (7, 7),
        ("7", 7),
        (" 42 ", 42),
        (2**63 - 1, 2**63 - 1),
        (str(2**63 - 1), 2**63 - 1),
        (2**63, None),
        ("9" * 20, None),
        (0, None),
        ("0", None),
        (-3, None),
        ("-3", None),
        ("+3", None),
        ("3.0", None),
        (3.0, None),
        (True, None),
        ("SKU-1", None),
        ("", None),
        (None, None),
    ],
)
def test_row_id_is_a_positive_bigint_or_none(value, expected):
    assert validators.row_id(value) == expected
