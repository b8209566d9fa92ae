from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from salesdesk.core.errors import Forbidden, InvalidInput, NotFound
from salesdesk.core.models import AuditLog
from salesdesk.customers.errors import DuplicateCustomer
from salesdesk.customers.models import Address, Contact, Customer
from salesdesk.customers.services import (
    create_customer,
    reassign_customers,
    reveal_contact,
    update_customer,
)
from salesdesk.customers.tests.factories import ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

USCC = "91350100M000100Y43"
NAME = "福州示例电子科技有限公司（鼓楼分公司）"


def _create(by: Any, **kw: Any) -> Customer:
    data: dict[str, Any] = {
        "name": NAME,
        "kind": "company",
        "uscc": USCC,
        "contacts": [{"name": "张伟", "mobile": "＋86 １３８ 0013 8000", "phone": "0591-87654321"}],
        "addresses": [{"region_code": "350102", "detail": "五四路100号", "receiver": "李娜"}],
    }
    data.update(kw)
    return create_customer(by=by, **data)


def test_create_customer_saves_normalized_values_and_audits(salesperson: Any) -> None:
    customer = _create(
        salesperson,
        uscc=" ９１３５０１００ｍ０００１００ｙ４３",
        grade="b",
        credit_limit="50,000.5",
        payment_term_days="30",
        short_name="福州示例",
    )

    customer.refresh_from_db()
    assert customer.code == "KH000001"
    assert customer.name == NAME
    assert customer.uscc == USCC
    assert customer.grade == "B"
    assert customer.credit_limit == Decimal("50000.50")
    assert customer.payment_term_days == 30
    assert customer.owner == salesperson
    assert customer.created_by == salesperson
    assert customer.pinyin_initials.startswith("FZSLDZKJYXGS")
    assert customer.name_key == "福州示例电子科技有限公司(鼓楼分公司)"
    contact = customer.contacts.get()
    assert (contact.name, contact.mobile, contact.phone, contact.is_primary) == (
        "张伟",
        "13800138000",
        "0591-87654321",
        True,
    )
    address = customer.addresses.get()
    assert (address.region_id, address.is_default, address.full_text) == (
        "350102",
        True,
        "福建省福州市鼓楼区五四路100号",
    )
    entry = AuditLog.objects.get(action="customer.create")
    assert entry.object_id == str(customer.pk)
    assert entry.actor == salesperson
    assert customer.history.count() == 1
    assert customer.history.first().history_user == salesperson


def test_codes_are_sequential(salesperson: Any) -> None:
    first = _create(salesperson)
    second = _create(salesperson, name="另一家公司", uscc="91110000600037341L", contacts=[])
    assert (first.code, second.code) == ("KH000001", "KH000002")


def test_customer_without_uscc_and_zhitongzi_city_address(salesperson: Any) -> None:
    customer = _create(
        salesperson,
        uscc="",
        kind="person",
        addresses=[{"region_code": "441900", "detail": "南城街道1号"}],
    )
    assert customer.uscc is None
    assert customer.kind == "person"
    assert customer.addresses.get().full_text == "广东省东莞市南城街道1号"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"uscc": "91350100M000100Y4Z"},
            "uscc",
            "统一社会信用代码校验位错误，请核对。",
        ),
        ({"name": "  "}, "name", "请输入客户全称。"),
        ({"kind": "alien"}, "kind", "请选择客户类型：企业、个体工商户、自然人或政府事业单位。"),
        ({"grade": "E"}, "grade", "请选择等级：A、B、C 或 D。"),
        ({"credit_limit": "abc"}, "credit_limit", "请输入数字。"),
        ({"credit_limit": "-1"}, "credit_limit", "不能小于 0。"),
        ({"credit_limit": "1.234"}, "credit_limit", "最多保留 2 位小数。"),
        ({"payment_term_days": "3.5"}, "payment_term_days", "请输入 0 到 3650 之间的整数天数。"),
        (
            {"contacts": [{"name": "张伟", "mobile": "12345"}]},
            "contacts.0.mobile",
            "请输入以 13–19 开头的 11 位手机号码，例如 138 0013 8000。",
        ),
        ({"contacts": [{"name": "", "mobile": "13800138000"}]}, "contacts.0.name", "请输入联系人姓名。"),
        (
            {"contacts": [{"name": "张伟", "email": "not-mail"}]},
            "contacts.0.email",
            "请输入有效的电子邮箱地址。",
        ),
        (
            {"addresses": [{"region_code": "999999", "detail": "x"}]},
            "addresses.0.region_code",
            "该行政区划代码不存在。",
        ),
        (
            {"addresses": [{"region_code": "440300", "detail": "x"}]},
            "addresses.0.region_code",
            "请选择到区县一级。",
        ),
        (
            {"addresses": [{"region_code": "440305", "detail": ""}]},
            "addresses.0.detail",
            "请输入详细地址。",
        ),
    ],
)
def test_create_refuses_invalid_input_with_field_path(
    salesperson: Any, changes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        _create(salesperson, **changes)
    assert info.value.fields == {field: [message]}
    assert info.value.status == 422
    assert Customer.objects.count() == 0
    assert AuditLog.objects.filter(action="customer.create").count() == 0


def test_create_collects_all_errors(salesperson: Any) -> None:
    with pytest.raises(InvalidInput) as info:
        _create(
            salesperson,
            uscc="91350100M000100Y4Z",
            contacts=[{"name": "甲", "mobile": "1"}, {"name": "乙", "phone": "123", "is_primary": True}],
            addresses=[{"region_code": "", "detail": "x"}],
        )
    assert sorted(info.value.fields) == [
        "addresses.0.region_code",
        "contacts.0.mobile",
        "contacts.1.phone",
        "uscc",
    ]


def test_only_one_primary_contact(salesperson: Any) -> None:
    with pytest.raises(InvalidInput) as info:
        _create(
            salesperson,
            contacts=[{"name": "甲", "is_primary": True}, {"name": "乙", "is_primary": True}],
        )
    assert info.value.fields == {"contacts.1.is_primary": ["只能有一个主联系人。"]}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "另一个名字", "contacts": []}, "uscc"),
        (
            {"uscc": "91110000600037341L", "name": " 福州示例电子科技有限公司(鼓楼分公司) ", "contacts": []},
            "name",
        ),
        (
            {
                "uscc": "91110000600037341L",
                "name": "别家",
                "contacts": [{"name": "王", "mobile": "13800138000"}],
            },
            "contacts.0.mobile",
        ),
    ],
)
def test_duplicates_are_refused_and_nothing_is_created(
    salesperson: Any, changes: dict[str, Any], field: str
) -> None:
    existing = _create(salesperson)
    with pytest.raises(DuplicateCustomer) as info:
        _create(salesperson, **changes)
    assert info.value.code == "duplicate_customer"
    assert info.value.status == 409
    assert list(info.value.fields) == [field]
    assert existing.code in info.value.message
    assert existing.name in info.value.message
    assert Customer.objects.count() == 1
    assert Contact.objects.count() == 1
    assert Address.objects.count() == 1


def test_duplicate_outside_scope_reveals_only_owner(salesperson: Any, other_salesperson: Any) -> None:
    existing = _create(other_salesperson)
    with pytest.raises(DuplicateCustomer) as info:
        _create(salesperson, contacts=[])
    assert existing.code not in info.value.message
    assert existing.name not in info.value.message
    assert info.value.message == f"已存在统一社会信用代码相同的客户，归属业务员：{other_salesperson.name}。"


def test_salesperson_cannot_assign_another_owner(salesperson: Any, other_salesperson: Any) -> None:
    with pytest.raises(InvalidInput) as info:
        _create(salesperson, owner=other_salesperson.username)
    assert info.value.fields == {"owner": ["业务员只能创建归属自己的客户。"]}
    assert Customer.objects.count() == 0


def test_manager_assigns_within_team_only(manager: Any, salesperson: Any, other_salesperson: Any) -> None:
    customer = _create(manager, owner=salesperson.username)
    assert customer.owner == salesperson
    with pytest.raises(InvalidInput) as info:
        _create(manager, name="别家", uscc="", contacts=[], owner=other_salesperson)
    assert info.value.fields == {"owner": ["只能把客户分配给本团队的成员。"]}


def test_admin_assigns_anyone(admin_user: Any, other_salesperson: Any) -> None:
    customer = _create(admin_user, owner=str(other_salesperson.pk))
    assert customer.owner == other_salesperson


def test_update_changes_fields_replaces_contacts_and_audits(salesperson: Any) -> None:
    customer = _create(salesperson)
    update_customer(
        customer=customer,
        by=salesperson,
        grade="A",
        credit_limit="0",
        contacts=[{"name": "王芳", "mobile": "13900139000", "email": "W@Example.com"}],
    )
    customer.refresh_from_db()
    assert customer.grade == "A"
    assert customer.credit_limit == Decimal("0.00")
    assert list(customer.contacts.values_list("name", "mobile", "email", "is_primary")) == [
        ("王芳", "13900139000", "w@example.com", True)
    ]
    entry = AuditLog.objects.get(action="customer.update")
    assert entry.data == {"changed": ["credit_limit", "grade", "contacts"]}
    assert customer.history.count() == 2


def test_update_refused_leaves_customer_unchanged(salesperson: Any) -> None:
    customer = _create(salesperson)
    with pytest.raises(InvalidInput) as info:
        update_customer(customer=customer, by=salesperson, grade="A", uscc="123")
    assert list(info.value.fields) == ["uscc"]
    customer.refresh_from_db()
    assert customer.grade == "C"
    assert customer.uscc == USCC
    assert AuditLog.objects.filter(action="customer.update").count() == 0


def test_update_of_invisible_customer_is_not_found(salesperson: Any, other_salesperson: Any) -> None:
    customer = _create(other_salesperson)
    with pytest.raises(NotFound):
        update_customer(customer=customer, by=salesperson, grade="A")
    customer.refresh_from_db()
    assert customer.grade == "C"


def test_salesperson_cannot_change_owner(salesperson: Any, manager: Any) -> None:
    customer = _create(salesperson)
    with pytest.raises(InvalidInput) as info:
        update_customer(customer=customer, by=salesperson, owner=manager.username)
    assert info.value.fields == {"owner": ["您无权转移客户。"]}


def test_reassign_customers_by_manager(manager: Any, salesperson: Any, user_factory: Any) -> None:
    colleague = user_factory("salesperson", team=salesperson.team, username="sales_b")
    customer = _create(salesperson)
    assert reassign_customers(customers=[customer], new_owner=colleague, by=manager) == 1
    customer.refresh_from_db()
    assert customer.owner == colleague
    entry = AuditLog.objects.get(action="customer.reassign")
    assert entry.data == {"from": "sales_a", "to": "sales_b"}


def test_reassign_refused_for_salesperson(salesperson: Any, user_factory: Any) -> None:
    colleague = user_factory("salesperson", team=salesperson.team)
    customer = _create(salesperson)
    with pytest.raises(Forbidden):
        reassign_customers(customers=[customer], new_owner=colleague, by=salesperson)
    customer.refresh_from_db()
    assert customer.owner == salesperson


def test_reveal_contact_writes_audit(manager: Any, salesperson: Any) -> None:
    contact = ContactFactory.create(customer=CustomerFactory.create(owner=salesperson))
    assert reveal_contact(contact=contact, by=manager) == contact
    entry = AuditLog.objects.get(action="customer.contact_revealed")
    assert entry.data == {"contact_id": contact.pk}


def test_reveal_contact_refused_without_permission(salesperson: Any, other_salesperson: Any) -> None:
    contact = ContactFactory.create(customer=CustomerFactory.create(owner=salesperson))
    with pytest.raises(Forbidden):
        reveal_contact(contact=contact, by=other_salesperson)
    assert AuditLog.objects.filter(action="customer.contact_revealed").count() == 0


def test_update_to_an_existing_name_is_refused(salesperson: Any) -> None:
    first = _create(salesperson)
    second = _create(salesperson, name="别家公司", uscc="", contacts=[])
    with pytest.raises(DuplicateCustomer) as info:
        update_customer(customer=second, by=salesperson, name=f" {first.name} ")
    assert list(info.value.fields) == ["name"]
    second.refresh_from_db()
    assert second.name == "别家公司"


def test_unrelated_edit_is_not_blocked_by_an_old_shared_mobile(salesperson: Any) -> None:
    first = CustomerFactory.create(owner=salesperson)
    second = CustomerFactory.create(owner=salesperson)
    ContactFactory.create(customer=first, mobile="13600136000")
    ContactFactory.create(customer=second, mobile="13600136000")
    update_customer(customer=second, by=salesperson, grade="B")
    second.refresh_from_db()
    assert second.grade == "B"
