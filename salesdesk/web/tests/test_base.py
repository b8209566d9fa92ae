import time

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from salesdesk.accounts.models import User
from salesdesk.accounts.tests.factories import PASSWORD
from salesdesk.core.models import AuditLog
from salesdesk.web.views.base import error_500

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese(client):
    response = client.get("/login/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<label class="form-label" for="id_username">用户名</label>' in html
    assert '<label class="form-label" for="id_password">密码</label>' in html
    assert "登录" in html


def test_login_with_the_right_password_goes_home(client, salesperson):
    response = client.post("/login/", {"username": "sales_a", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_login_follows_a_safe_next(client, salesperson):
    response = client.post(
        "/login/", {"username": "sales_a", "password": PASSWORD, "next": "/settings/audit/"}
    )
    assert response["Location"] == "/settings/audit/"

    other = Client()
    response = other.post(
        "/login/", {"username": "sales_a", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_wrong_password_is_422_with_chinese_error_and_keeps_the_user_name(client, salesperson):
    response = client.post("/login/", {"username": "sales_a", "password": "nope-Passw0rd"})

    assert response.status_code == 422
    html = response.content.decode()
    assert "用户名或密码错误。" in html
    assert 'value="sales_a"' in html
    assert "_auth_user_id" not in client.session


def test_empty_login_is_422(client):
    response = client.post("/login/", {"username": "", "password": ""})

    assert response.status_code == 422
    assert "请输入用户名和密码。" in response.content.decode()


def test_lockout_message_on_the_login_page(client, salesperson):
    for _ in range(5):
        client.post("/login/", {"username": "sales_a", "password": "nope-Passw0rd"})

    response = client.post("/login/", {"username": "sales_a", "password": PASSWORD})

    assert response.status_code == 422
    assert "登录失败次数过多，账号已锁定 30 分钟。" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_needs_post(logged_in_client, salesperson):
    client = logged_in_client(salesperson)

    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.get("/").status_code == 302


def test_pages_need_login(client):
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"


def _age_session(client: Client, seconds: int) -> None:
    session = client.session
    session["last_seen"] = int(time.time()) - seconds
    session.save()


def test_idle_session_is_logged_out_after_30_minutes(logged_in_client, salesperson):
    client = logged_in_client(salesperson)
    assert client.get("/").status_code == 200
    _age_session(client, 29 * 60)
    assert client.get("/").status_code == 200

    _age_session(client, 31 * 60)
    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/"
    page = client.get("/login/")
    assert "您因 30 分钟无操作已退出登录。" in page.content.decode()
    assert "您因" not in client.get("/login/").content.decode()


def test_admin_is_logged_out_after_15_minutes(logged_in_client, admin_user):
    client = logged_in_client(admin_user)
    client.get("/")
    _age_session(client, 16 * 60)

    response = client.get("/")

    assert response.status_code == 302
    assert "您因 15 分钟无操作已退出登录。" in client.get("/login/").content.decode()


def test_missing_page_is_the_chinese_404(logged_in_client, salesperson):
    response = logged_in_client(salesperson).get("/no/such/page/")

    assert response.status_code == 404
    html = response.content.decode()
    assert "页面不存在" in html
    assert "返回工作台" in html


def test_forbidden_page_is_the_chinese_403(logged_in_client, salesperson):
    response = logged_in_client(salesperson).get(reverse("web:audit_list"))

    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


def test_server_error_page_is_chinese(salesperson):
    request = RequestFactory().get("/")
    request.user = salesperson

    response = error_500(request)

    assert response.status_code == 500
    assert "系统出错了" in response.content.decode()


def test_admin_site_only_for_administrators(logged_in_client, salesperson, admin_user):
    response = logged_in_client(salesperson).get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")

    assert logged_in_client(admin_user).get("/admin/").status_code == 200
    assert logged_in_client(admin_user).get("/admin/accounts/user/").status_code == 200


def test_admin_login_applies_the_lockout(client, salesperson):
    for _ in range(5):
        client.post("/admin/login/", {"username": "sales_a", "password": "nope-Passw0rd"})

    assert User.objects.get(pk=salesperson.pk).locked_until is not None
    assert AuditLog.objects.filter(action="account.locked").count() == 1
