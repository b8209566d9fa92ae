from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from salesdesk.core.models import AuditLog
from salesdesk.customers.models import Customer
from salesdesk.customers.tests.factories import AddressFactory, ContactFactory, CustomerFactory

pytestmark = pytest.mark.django_db

FORM = {
    "name": "福州示例电子科技有限公司",
    "kind": "company",
    "uscc": "91350100M000100Y43",
    "grade": "B",
    "status": "active",
    "credit_limit": "1000",
    "payment_term_days": "30",
    "default_invoice_type": "normal",
    "contacts-0-name": "张伟",
    "contacts-0-mobile": "138 0013 8000",
    "contacts_primary": "0",
    "contacts-1-name": "",
    "contacts-1-mobile": "",
    "addresses-0-region_code": "350102",
    "addresses-0-detail": "五四路100号",
    "addresses-0-receiver": "李娜",
    "addresses_default": "0",
}


def test_create_via_post_redirects_to_detail(logged_in_client: Any, salesperson: Any) -> None:
    client = logged_in_client(salesperson)
    response = client.post(reverse("web:customer_create"), FORM)
    customer = Customer.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:customer_detail", args=[customer.pk])
    assert customer.owner == salesperson
    assert customer.contacts.get().mobile == "13800138000"
    assert customer.addresses.get().full_text == "福建省福州市鼓楼区五四路100号"
    page = client.get(response["Location"]).content.decode()
    assert "KH000001" in page
    assert "13800138000" in page
    assert "福建省福州市鼓楼区" in page
    assert "创建" in page


def test_invalid_post_is_422_with_errors_next_to_fields(logged_in_client: Any, salesperson: Any) -> None:
    client = logged_in_client(salesperson)
    response = client.post(
        reverse("web:customer_create"),
        {**FORM, "uscc": "91350100M000100Y4Z", "contacts-0-mobile": "12345"},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "统一社会信用代码校验位错误，请核对。" in page
    assert "请输入以 13–19 开头的 11 位手机号码" in page
    assert 'value="91350100M000100Y4Z"' in page
    assert 'value="12345"' in page
    assert 'value="福州示例电子科技有限公司"' in page
    assert Customer.objects.count() == 0


def test_duplicate_post_is_409_with_message(logged_in_client: Any, salesperson: Any) -> None:
    client = logged_in_client(salesperson)
    client.post(reverse("web:customer_create"), FORM)
    response = client.post(reverse("web:customer_create"), {**FORM, "uscc": "", "contacts-0-mobile": ""})
    assert response.status_code == 409
    assert "已存在名称相同的客户：KH000001 福州示例电子科技有限公司。" in response.content.decode()
    assert Customer.objects.count() == 1


def test_edit_updates_customer(logged_in_client: Any, salesperson: Any) -> None:
    customer = CustomerFactory.create(owner=salesperson)
    ContactFactory.create(customer=customer, mobile="13700137000")
    AddressFactory.create(customer=customer)
    client = logged_in_client(salesperson)
    page = client.get(reverse("web:customer_edit", args=[customer.pk]))
    assert page.status_code == 200
    assert 'value="13700137000"' in page.content.decode()
    response = client.post(
        reverse("web:customer_edit", args=[customer.pk]),
        {
            **FORM,
            "uscc": customer.uscc,
            "name": customer.name,
            "grade": "A",
            "contacts-0-mobile": "13700137000",
            "addresses-0-region_code": "440305",
        },
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.grade == "A"
    assert customer.addresses.get().region_id == "440305"


def test_other_salespersons_customer_is_404(
    logged_in_client: Any, salesperson: Any, other_salesperson: Any
) -> None:
    customer = CustomerFactory.create(owner=other_salesperson)
    client = logged_in_client(salesperson)
    assert client.get(reverse("web:customer_detail", args=[customer.pk])).status_code == 404
    assert client.get(reverse("web:customer_edit", args=[customer.pk])).status_code == 404
    assert client.post(reverse("web:customer_edit", args=[customer.pk]), FORM).status_code == 404
    customer.refresh_from_db()
    assert customer.name != FORM["name"]


def test_list_shows_only_own_and_searches(
    logged_in_client: Any, salesperson: Any, other_salesperson: Any
) -> None:
    CustomerFactory.create(owner=salesperson, name="深圳华为技术有限公司")
    CustomerFactory.create(owner=other_salesperson, name="深圳华强电子有限公司")
    client = logged_in_client(salesperson)
    page = client.get(reverse("web:customer_list")).content.decode()
    assert "深圳华为技术有限公司" in page
    assert "深圳华强电子有限公司" not in page
    partial = client.get(
        reverse("web:customer_list"), {"q": "SZHW"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="customer-results"
    )
    assert partial.status_code == 200
    assert "<html" not in partial.content.decode()
    assert "深圳华为技术有限公司" in partial.content.decode()


def test_manager_sees_masked_contact_and_reveals_one(
    logged_in_client: Any, manager: Any, salesperson: Any
) -> None:
    customer = CustomerFactory.create(owner=salesperson)
    contact = ContactFactory.create(customer=customer, name="张伟", mobile="13800138000")
    client = logged_in_client(manager)
    page = client.get(reverse("web:customer_detail", args=[customer.pk])).content.decode()
    assert "138****8000" in page
    assert "13800138000" not in page
    assert "显示完整联系方式" in page
    response = client.post(reverse("web:customer_contact_reveal", args=[customer.pk, contact.pk]))
    assert response.status_code == 200
    assert "13800138000" in response.content.decode()
    assert AuditLog.objects.filter(action="customer.contact_revealed").count() == 1


def test_salesperson_cannot_reveal(logged_in_client: Any, salesperson: Any, other_salesperson: Any) -> None:
    contact = ContactFactory.create(customer=CustomerFactory.create(owner=other_salesperson))
    response = logged_in_client(salesperson).post(
        reverse("web:customer_contact_reveal", args=[contact.customer_id, contact.pk])
    )
    assert response.status_code == 403
    assert AuditLog.objects.filter(action="customer.contact_revealed").count() == 0


@pytest.mark.parametrize("rows", [3, 30])
def test_list_page_query_count(
    logged_in_client: Any, admin_user: Any, django_assert_max_num_queries: Any, rows: int
) -> None:
    for _ in range(rows):
        ContactFactory.create(customer=CustomerFactory.create(owner=admin_user))
    client = logged_in_client(admin_user)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("web:customer_list"))
    assert response.status_code == 200
