import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from salesdesk.accounts.models import ApiToken
from salesdesk.accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def _token(client: Client, username: str, password: str):
    return client.post(
        "/api/auth/token", {"username": username, "password": password}, content_type="application/json"
    )


def test_good_credentials_give_a_token(client, salesperson):
    response = _token(client, "sales_a", PASSWORD)

    assert response.status_code == 200
    token = response.json()["token"]
    assert len(token) >= 40
    assert ApiToken.objects.filter(user=salesperson, prefix=token[:8]).count() == 1


def test_bad_credentials_are_401(client, salesperson):
    response = _token(client, "sales_a", "nope-Passw0rd")

    assert response.status_code == 401
    assert response.json() == {"code": "bad_credentials", "message": "用户名或密码错误。", "fields": {}}
    assert not ApiToken.objects.exists()


def test_missing_field_is_422(client):
    response = client.post("/api/auth/token", {"username": "x"}, content_type="application/json")

    assert response.status_code == 422
    with translation.override("zh-hans"):
        required = gettext("This field is required.")
    assert required != "This field is required."
    assert response.json()["fields"] == {"password": [required]}


def test_locked_account_is_403(client, salesperson):
    for _ in range(5):
        _token(client, "sales_a", "nope-Passw0rd")

    response = _token(client, "sales_a", PASSWORD)

    assert response.status_code == 403
    assert response.json() == {
        "code": "account_locked",
        "message": "登录失败次数过多，账号已锁定 30 分钟。",
        "fields": {},
    }
    assert not ApiToken.objects.exists()


def test_bearer_token_opens_a_protected_endpoint(api_client_for, admin_user):
    response = api_client_for(admin_user).get("/api/parameters")

    assert response.status_code == 200
    assert {row["key"] for row in response.json()} >= {"orders.confirmation_link_hours"}


def test_no_token_is_401(client, db):
    response = client.get("/api/parameters")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_unknown_token_is_401(client, db):
    response = client.get("/api/parameters", headers={"Authorization": "Bearer not-a-token"})

    assert response.status_code == 401


def test_expired_token_is_401(api_client_for, admin_user):
    api = api_client_for(admin_user)
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))

    response = api.get("/api/parameters")

    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
