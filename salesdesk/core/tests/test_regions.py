import pytest

from salesdesk.core.regions import children_of, resolve_region

pytestmark = pytest.mark.django_db


def test_municipality_district_resolves():
    path = resolve_region("110105")

    assert path is not None
    assert (path.province, path.city, path.district) == ("北京市", "北京市", "朝阳区")
    assert path.text == "北京市朝阳区"
    assert (path.province_code, path.city_code) == ("110000", "110100")


def test_ordinary_county_resolves():
    path = resolve_region("440305")

    assert path is not None
    assert (path.province, path.city, path.district) == ("广东省", "深圳市", "南山区")
    assert path.text == "广东省深圳市南山区"


def test_city_without_districts_has_no_district():
    path = resolve_region("441900")

    assert path is not None
    assert (path.province, path.city, path.district) == ("广东省", "东莞市", "")
    assert path.text == "广东省东莞市"


@pytest.mark.parametrize("code", ["999999", "110000", "", "abc"])
def test_unknown_or_province_code_is_none(code):
    assert resolve_region(code) is None


def test_provinces_and_children():
    provinces = children_of(None)

    assert len(provinces) == 34
    assert provinces[0] == ("110000", "北京市")
    assert ("440000", "广东省") in provinces
    assert ("441900", "东莞市") in children_of("440000")
    assert ("110105", "朝阳区") in children_of("110100")
