from __future__ import annotations

from typing import Any

import pytest

from salesdesk.customers.models import Customer
from salesdesk.customers.tests.factories import AddressFactory, ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

BODY: dict[str, Any] = {
    "name": "福州示例电子科技有限公司",
    "kind": "company",
    "uscc": "91350100M000100Y43",
    "grade": "B",
    "credit_limit": "50000",
    "payment_term_days": 30,
    "contacts": [{"name": "张伟", "mobile": "+86 138-0013-8000", "is_primary": True}],
    "addresses": [
        {"region_code": "440305", "detail": "科技园路1号", "receiver": "李娜", "mobile": "13900139000"}
    ],
}


def test_create_customer_201_with_region_names(api_client_for: Any, salesperson: Any) -> None:
    response = api_client_for(salesperson).post("/api/customers", BODY)

    assert response.status_code == 201, response.content
    body = response.json()
    customer = Customer.objects.get()
    contact = customer.contacts.get()
    address = customer.addresses.get()
    assert body == {
        "id": customer.pk,
        "code": "KH000001",
        "name": "福州示例电子科技有限公司",
        "short_name": "",
        "kind": "company",
        "uscc": "91350100M000100Y43",
        "grade": "B",
        "credit_limit": "50000.00",
        "payment_term_days": 30,
        "status": "active",
        "owner": {"id": salesperson.pk, "username": "sales_a", "name": salesperson.name},
        "industry": "",
        "source": "",
        "notes": "",
        "tax_number": "",
        "invoice_address": "",
        "invoice_phone": "",
        "bank_name": "",
        "bank_account": "",
        "default_invoice_type": "normal",
        "contacts": [
            {
                "id": contact.pk,
                "name": "张伟",
                "title": "",
                "mobile": "13800138000",
                "phone": "",
                "email": "",
                "is_primary": True,
                "is_masked": False,
            }
        ],
        "addresses": [
            {
                "id": address.pk,
                "region_code": "440305",
                "province": "广东省",
                "city": "深圳市",
                "district": "南山区",
                "detail": "科技园路1号",
                "receiver": "李娜",
                "mobile": "13900139000",
                "postcode": "",
                "is_default": True,
            }
        ],
        "created_at": body["created_at"],
    }


def test_create_person_minimal(api_client_for: Any, salesperson: Any) -> None:
    response = api_client_for(salesperson).post("/api/customers", {"name": "王小明", "kind": "person"})
    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["uscc"], response.json()["contacts"]) == (
        "person",
        None,
        [],
    )


def test_invalid_input_422_with_field_paths(api_client_for: Any, salesperson: Any) -> None:
    body = {
        **BODY,
        "uscc": "91350100M000100Y4Z",
        "credit_limit": "abc",
        "contacts": [{"name": "张伟", "mobile": "12345"}],
        "addresses": [{"region_code": "000000", "detail": "x"}],
    }
    response = api_client_for(salesperson).post("/api/customers", body)
    assert response.status_code == 422
    assert response.json() == {
        "code": "validation_error",
        "message": "请更正以下错误。",
        "fields": {
            "uscc": ["统一社会信用代码校验位错误，请核对。"],
            "credit_limit": ["请输入数字。"],
            "contacts.0.mobile": ["请输入以 13–19 开头的 11 位手机号码，例如 138 0013 8000。"],
            "addresses.0.region_code": ["该行政区划代码不存在。"],
        },
    }
    assert Customer.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        {"name": 123, "kind": "company"},
        {"name": "x", "contacts": "abc"},
        {"name": "x", "contacts": [{"name": "a", "is_primary": "maybe"}]},
        {"name": "x", "payment_term_days": [1]},
        {"name": "x", "credit_limit": {"a": 1}},
        {"name": "x", "payment_term_days": -5},
        {"name": "x", "addresses": [{"detail": "x"}]},
    ],
)
def test_garbage_types_give_422_never_500(api_client_for: Any, salesperson: Any, body: Any) -> None:
    response = api_client_for(salesperson).post("/api/customers", body)
    assert response.status_code == 422, response.content
    assert set(response.json()) == {"code", "message", "fields"}
    assert response.json()["fields"]
    assert Customer.objects.count() == 0


def test_duplicate_is_409(api_client_for: Any, salesperson: Any) -> None:
    client = api_client_for(salesperson)
    assert client.post("/api/customers", BODY).status_code == 201
    response = client.post("/api/customers", {**BODY, "contacts": [], "name": "别家"})
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_customer"
    assert (
        response.json()["message"] == "已存在统一社会信用代码相同的客户：KH000001 福州示例电子科技有限公司。"
    )
    assert Customer.objects.count() == 1


def test_other_salespersons_customer_is_404(
    api_client_for: Any, salesperson: Any, other_salesperson: Any
) -> None:
    customer = CustomerFactory.create(owner=other_salesperson, grade="C")
    client = api_client_for(salesperson)
    assert client.get(f"/api/customers/{customer.pk}").status_code == 404
    response = client.patch(f"/api/customers/{customer.pk}", {"grade": "A"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    customer.refresh_from_db()
    assert customer.grade == "C"


def test_patch_changes_fields(api_client_for: Any, salesperson: Any) -> None:
    customer = CustomerFactory.create(owner=salesperson)
    ContactFactory.create(customer=customer, mobile="13700137000")
    response = api_client_for(salesperson).patch(
        f"/api/customers/{customer.pk}",
        {"grade": "A", "credit_limit": "0.5", "contacts": [{"name": "王芳", "mobile": "13900139000"}]},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["grade"], body["credit_limit"]) == ("A", "0.50")
    assert [(c["name"], c["mobile"], c["is_primary"]) for c in body["contacts"]] == [
        ("王芳", "13900139000", True)
    ]


def test_patch_invalid_422(api_client_for: Any, salesperson: Any) -> None:
    customer = CustomerFactory.create(owner=salesperson, grade="C")
    response = api_client_for(salesperson).patch(
        f"/api/customers/{customer.pk}", {"grade": "A", "contacts": [{"name": "甲", "mobile": "1"}]}
    )
    assert response.status_code == 422
    assert list(response.json()["fields"]) == ["contacts.0.mobile"]
    customer.refresh_from_db()
    assert customer.grade == "C"


def test_list_is_scoped_and_filtered_by_pinyin(
    api_client_for: Any, salesperson: Any, other_salesperson: Any
) -> None:
    mine = CustomerFactory.create(owner=salesperson, name="深圳华为技术有限公司")
    CustomerFactory.create(owner=salesperson, name="杭州阿里巴巴网络有限公司")
    CustomerFactory.create(owner=other_salesperson, name="深圳华强电子有限公司")
    client = api_client_for(salesperson)
    response = client.get("/api/customers", {"q": "SZH"})
    assert response.status_code == 200
    assert response.json()["count"] == 1
    assert [c["id"] for c in response.json()["items"]] == [mine.pk]
    everything = client.get("/api/customers", {"limit": 1, "offset": 1}).json()
    assert everything["count"] == 2
    assert len(everything["items"]) == 1


def test_masked_contacts_for_manager(api_client_for: Any, manager: Any, salesperson: Any) -> None:
    customer = CustomerFactory.create(owner=salesperson)
    ContactFactory.create(customer=customer, name="张伟", mobile="13800138000")
    body = api_client_for(manager).get(f"/api/customers/{customer.pk}").json()
    assert (body["contacts"][0]["name"], body["contacts"][0]["mobile"], body["contacts"][0]["is_masked"]) == (
        "张*",
        "138****8000",
        True,
    )


def test_requires_permission(api_client_for: Any, user_factory: Any) -> None:
    planner = user_factory("planner")
    assert api_client_for(planner).post("/api/customers", BODY).status_code == 403
    assert Customer.objects.count() == 0


@pytest.mark.parametrize("rows", [3, 30])
def test_list_query_count(
    api_client_for: Any, admin_user: Any, django_assert_max_num_queries: Any, rows: int
) -> None:
    for _ in range(rows):
        customer = CustomerFactory.create(owner=admin_user)
        ContactFactory.create(customer=customer)
        AddressFactory.create(customer=customer)
    client = api_client_for(admin_user)
    with django_assert_max_num_queries(12):
        response = client.get("/api/customers", {"limit": 50})
    assert response.json()["count"] == rows
