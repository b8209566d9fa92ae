import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from salesdesk.accounts.models import User
from salesdesk.core.audit import record_audit
from salesdesk.core.models import AuditLog, Parameter
from salesdesk.core.parameters import get_parameter

pytestmark = pytest.mark.django_db

URL = "/settings/parameters/"


def test_parameter_page_lists_values_in_chinese(logged_in_client, admin_user):
    response = logged_in_client(admin_user).get(reverse("web:parameter_list"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="value-ordersconfirmation_link_hours">客户确认链接有效期（小时）</label>' in html
    assert 'value="72"' in html


def test_admin_changes_a_parameter(logged_in_client, admin_user):
    response = logged_in_client(admin_user).post(
        URL, {"key": "orders.confirmation_link_hours", "value": "48"}
    )

    assert response.status_code == 200
    assert "已保存" in response.content.decode()
    assert get_parameter("orders.confirmation_link_hours") == 48
    entry = AuditLog.objects.get(action="parameter.change")
    assert entry.data == {"key": "orders.confirmation_link_hours", "old": 72, "new": 48}


def test_bool_parameter_from_the_select(logged_in_client, admin_user):
    logged_in_client(admin_user).post(URL, {"key": "stock.allow_negative", "value": "1"})

    assert get_parameter("stock.allow_negative") is True


def test_bad_value_is_422_with_the_error_next_to_the_field(logged_in_client, admin_user):
    response = logged_in_client(admin_user).post(
        URL, {"key": "orders.confirmation_link_hours", "value": "abc"}
    )

    assert response.status_code == 422
    html = response.content.decode()
    start = html.index('id="param-ordersconfirmation_link_hours"')
    row = html[start : html.index("</tr>", start)]
    assert "is-invalid" in row
    assert 'value="abc"' in row
    assert '<div class="invalid-feedback">请输入数字。</div>' in row
    assert html.count("is-invalid") == 1
    assert not Parameter.objects.exists()
    assert not AuditLog.objects.filter(action="parameter.change").exists()


def test_salesperson_may_not_see_or_change_parameters(logged_in_client, salesperson):
    client = logged_in_client(salesperson)

    assert client.get(URL).status_code == 403
    assert client.post(URL, {"key": "orders.confirmation_link_hours", "value": "1"}).status_code == 403
    assert not Parameter.objects.exists()


def test_audit_page_for_administrators_only(logged_in_client, admin_user, salesperson):
    record_audit(action="test.visible", by=admin_user, data={"n": 1})

    response = logged_in_client(admin_user).get(reverse("web:audit_list"))
    assert response.status_code == 200
    assert "<code>test.visible</code>" in response.content.decode()

    assert logged_in_client(salesperson).get(reverse("web:audit_list")).status_code == 403


def test_audit_page_filters_by_action(logged_in_client, admin_user):
    record_audit(action="login.failure", actor_name="x", is_success=False)
    record_audit(action="parameter.change", by=admin_user)

    html = logged_in_client(admin_user).get(reverse("web:audit_list"), {"action": "login"}).content.decode()

    assert "<code>login.failure</code>" in html
    assert "<code>parameter.change</code>" not in html


@pytest.mark.parametrize("rows", [3, 30])
def test_audit_page_query_count(logged_in_client, admin_user, django_assert_max_num_queries, rows):
    for i in range(rows):
        record_audit(action="test.row", by=admin_user, data={"i": i})
    client = logged_in_client(admin_user)

    with django_assert_max_num_queries(12):
        assert client.get(reverse("web:audit_list")).status_code == 200


def test_users_page_shows_roles_team_and_lock(logged_in_client, admin_user, salesperson):
    User.objects.filter(pk=salesperson.pk).update(locked_until=timezone.now() + dt.timedelta(minutes=20))

    response = logged_in_client(admin_user).get(reverse("web:user_list"))

    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('data-testid="user-sales_a"')
    row = html[start : html.index("</tr>", start)]
    assert "<td>业务员</td>" in row
    assert f"<td>{salesperson.team.name}</td>" in row
    assert "锁定至" in row
    assert "解锁" in row
    admin_row = html[html.index('data-testid="user-admin1"') :]
    assert "<td>管理员</td>" in admin_row[: admin_row.index("</tr>")]


def test_unlock_button_unlocks(logged_in_client, admin_user, salesperson):
    User.objects.filter(pk=salesperson.pk).update(locked_until=timezone.now() + dt.timedelta(minutes=20))
    client = logged_in_client(admin_user)

    response = client.post(reverse("web:user_unlock", args=[salesperson.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("web:user_list")
    assert User.objects.get(pk=salesperson.pk).locked_until is None
    assert AuditLog.objects.filter(action="account.unlocked", actor=admin_user).count() == 1
    assert f"已解锁 {salesperson.display_name}。" in client.get(response["Location"]).content.decode()


def test_salesperson_may_not_see_users_or_unlock(logged_in_client, salesperson, other_salesperson):
    until = timezone.now() + dt.timedelta(minutes=20)
    User.objects.filter(pk=other_salesperson.pk).update(locked_until=until)
    client = logged_in_client(salesperson)

    assert client.get(reverse("web:user_list")).status_code == 403
    assert client.post(reverse("web:user_unlock", args=[other_salesperson.pk])).status_code == 403
    assert User.objects.get(pk=other_salesperson.pk).locked_until == until


def test_unlock_unknown_user_is_404(logged_in_client, admin_user):
    assert logged_in_client(admin_user).post(reverse("web:user_unlock", args=[999999])).status_code == 404


@pytest.mark.parametrize("rows", [3, 30])
def test_users_page_query_count(
    logged_in_client, admin_user, user_factory, django_assert_max_num_queries, rows
):
    for _ in range(rows):
        user_factory("salesperson")
    client = logged_in_client(admin_user)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("web:user_list"))
    assert response.status_code == 200
