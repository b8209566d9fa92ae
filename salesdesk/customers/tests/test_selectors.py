from __future__ import annotations

from typing import Any

import pytest

from salesdesk.core.errors import NotFound
from salesdesk.customers.selectors import (
    addresses_for,
    contacts_for,
    count_customers,
    customer_history,
    get_customer,
    list_customers,
)
from salesdesk.customers.services import update_customer
from salesdesk.customers.tests.factories import AddressFactory, ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(salesperson: Any, other_salesperson: Any, user_factory: Any) -> dict[str, Any]:
    colleague = user_factory("salesperson", team=salesperson.team, username="sales_b")
    return {
        "mine": CustomerFactory.create(owner=salesperson, name="深圳华为技术有限公司"),
        "colleague": CustomerFactory.create(owner=colleague, name="杭州阿里巴巴网络有限公司"),
        "other": CustomerFactory.create(owner=other_salesperson, name="北京字节跳动科技有限公司"),
        "pool": CustomerFactory.create(owner=None, name="公海客户有限公司"),
    }


def _codes(qs: Any) -> set[str]:
    return {c.name for c in qs}


def test_salesperson_sees_only_own_customers(salesperson: Any, book: dict[str, Any]) -> None:
    assert _codes(list_customers(user=salesperson)) == {"深圳华为技术有限公司"}
    assert count_customers(user=salesperson) == 1
    assert get_customer(user=salesperson, pk=book["mine"].pk) == book["mine"]
    for key in ("colleague", "other", "pool"):
        with pytest.raises(NotFound):
            get_customer(user=salesperson, pk=book[key].pk)


def test_manager_sees_team(manager: Any, book: dict[str, Any]) -> None:
    assert _codes(list_customers(user=manager)) == {"深圳华为技术有限公司", "杭州阿里巴巴网络有限公司"}
    assert count_customers(user=manager) == 2
    with pytest.raises(NotFound):
        get_customer(user=manager, pk=book["other"].pk)


def test_admin_sees_all(admin_user: Any, book: dict[str, Any]) -> None:
    assert count_customers(user=admin_user) == 4
    assert get_customer(user=admin_user, pk=book["pool"].pk) == book["pool"]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("华为", {"深圳华为技术有限公司"}),
        ("SZHW", {"深圳华为技术有限公司"}),
        ("szhw", {"深圳华为技术有限公司"}),
        ("huawei", {"深圳华为技术有限公司"}),
        ("ＳＺＨＷ", {"深圳华为技术有限公司"}),
        ("alibaba", {"杭州阿里巴巴网络有限公司"}),
        ("无此客户", set()),
    ],
)
def test_search(admin_user: Any, book: dict[str, Any], q: str, expected: set[str]) -> None:
    assert _codes(list_customers(user=admin_user, q=q)) == expected


def test_search_by_code_uscc_and_mobile(admin_user: Any, book: dict[str, Any]) -> None:
    mine = book["mine"]
    ContactFactory.create(customer=mine, mobile="13812345678", is_primary=True)
    ContactFactory.create(customer=mine, mobile="13812345679", is_primary=False)
    assert list(list_customers(user=admin_user, q=mine.code)) == [mine]
    assert list(list_customers(user=admin_user, q=mine.uscc)) == [mine]
    assert list(list_customers(user=admin_user, q="138 1234")) == [mine]


def test_search_respects_scope(salesperson: Any, book: dict[str, Any]) -> None:
    assert list(list_customers(user=salesperson, q="alibaba")) == []


def test_grade_filter(admin_user: Any, book: dict[str, Any]) -> None:
    book["pool"].grade = "A"
    book["pool"].save()
    assert _codes(list_customers(user=admin_user, grade="A")) == {"公海客户有限公司"}


def test_contacts_full_for_owner_masked_for_others(
    salesperson: Any, manager: Any, book: dict[str, Any]
) -> None:
    ContactFactory.create(
        customer=book["mine"], name="欧阳娜娜", mobile="13800138000", email="nana@example.com"
    )
    AddressFactory.create(customer=book["mine"])
    own = contacts_for(user=salesperson, customer=get_customer(user=salesperson, pk=book["mine"].pk))
    assert (own[0].name, own[0].mobile, own[0].email, own[0].is_masked) == (
        "欧阳娜娜",
        "13800138000",
        "nana@example.com",
        False,
    )
    seen = contacts_for(user=manager, customer=get_customer(user=manager, pk=book["mine"].pk))
    assert (seen[0].name, seen[0].mobile, seen[0].email, seen[0].is_masked) == (
        "欧阳**",
        "138****8000",
        "n***@example.com",
        True,
    )
    address = addresses_for(user=manager, customer=book["mine"])[0]
    assert (address.province, address.city, address.district, address.receiver, address.mobile) == (
        "广东省",
        "深圳市",
        "南山区",
        "李*",
        "138****8000",
    )


def test_history_lists_changed_fields(salesperson: Any) -> None:
    customer = CustomerFactory.create(owner=salesperson)
    update_customer(customer=customer, by=salesperson, grade="A", credit_limit="100")
    entries = customer_history(customer=customer)
    assert [e.kind for e in entries] == ["~", "+"]
    assert sorted(entries[0].fields) == ["信用额度", "等级"]
    assert entries[0].who == salesperson.name
