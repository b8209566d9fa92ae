import pytest

from salesdesk.core.errors import InvalidInput
from salesdesk.shipping.carriers import (
    is_valid_s10,
    normalize_tracking_number,
    s10_check_digit,
    suggest_carrier,
)


def test_s10_check_digit_matches_the_domain_vector():
    assert s10_check_digit("12345678") == 5


@pytest.mark.parametrize(
    ("serial", "expected"),
    [("00000000", 5), ("00004000", 0)],  # Σ=0 → 11 → 5 ; Σ=12, 12 mod 11 = 1 → 10 → 0
)
def test_s10_check_digit_maps_10_and_11(serial, expected):
    assert s10_check_digit(serial) == expected


def test_s10_number_with_a_wrong_check_digit_is_not_suggested_as_ems():
    assert is_valid_s10("EE123456785CN") is True
    assert is_valid_s10("EE123456784CN") is False
    assert suggest_carrier("EE123456784CN") == []


@pytest.mark.parametrize(
    ("number", "codes"),
    [
        ("SF1234567890123", ["SF"]),
        ("SF123456789012", ["SF"]),
        ("sf 1234-5678-90123", ["SF"]),
        ("73123456789012", ["ZTO"]),
        ("78123456789012", ["ZTO"]),
        ("YT1234567890123", ["YTO"]),
        ("312345678901234", ["YD"]),
        ("7712345678901", ["STO", "YD"]),
        ("771234567890123", ["STO"]),
        ("JDVA12345678901", ["JD"]),
        ("1123456789012", ["EMS", "YD"]),
        ("EE123456785CN", ["EMS"]),
        ("JT1234567890123", ["JTSD"]),
        ("DPK123456789012", ["DBL"]),
        ("123456789012", ["ZTO", "SF"]),
    ],
)
def test_carrier_suggested_from_each_pattern(number, codes):
    assert [code for code, _name in suggest_carrier(number)] == codes


def test_suggestion_carries_the_chinese_name():
    assert suggest_carrier("SF1234567890123") == [("SF", "顺丰速运")]


def test_unknown_pattern_is_accepted_without_suggestion():
    assert suggest_carrier("ABC12345678") == []
    assert normalize_tracking_number("abc-12345678") == "ABC12345678"


def test_tracking_number_storage_format():
    assert normalize_tracking_number("") == ""
    assert normalize_tracking_number("ｓｆ１２３４５６７８９０１２３") == "SF1234567890123"
    with pytest.raises(InvalidInput) as exc:
        normalize_tracking_number("SF12#45678")
    assert list(exc.value.fields) == ["tracking_number"]
