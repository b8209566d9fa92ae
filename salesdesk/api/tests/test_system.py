from typing import cast

import pytest

from salesdesk.accounts.models import Team, User
from salesdesk.accounts.tests.factories import TeamFactory
from salesdesk.core.models import AuditLog, Parameter

pytestmark = pytest.mark.django_db

NEW_USER = {
    "username": "wangfang",
    "password": "Xy7!kLm9q",
    "name": "王芳",
    "roles": ["salesperson"],
    "team": "华南销售一组",
}


def test_administrator_creates_a_user(api_client_for, admin_user):
    team = cast(Team, TeamFactory(name="华南销售一组"))

    response = api_client_for(admin_user).post("/api/users", NEW_USER)

    assert response.status_code == 201
    body = response.json()
    user = User.objects.get(username="wangfang")
    assert body == {
        "id": user.pk,
        "username": "wangfang",
        "name": "王芳",
        "roles": ["salesperson"],
        "team": "华南销售一组",
        "department": team.department.code,
        "is_active": True,
    }
    assert user.check_password("Xy7!kLm9q")


def test_weak_password_is_422(api_client_for, admin_user):
    TeamFactory(name="华南销售一组")

    response = api_client_for(admin_user).post("/api/users", {**NEW_USER, "password": "abcdefgh"})

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert "密码必须至少包含以下 3 类字符：小写字母、大写字母、数字、符号。" in body["fields"]["password"]
    assert not User.objects.filter(username="wangfang").exists()


def test_unknown_role_is_422(api_client_for, admin_user):
    TeamFactory(name="华南销售一组")

    response = api_client_for(admin_user).post("/api/users", {**NEW_USER, "roles": ["cashier"]})

    assert response.status_code == 422
    assert response.json()["fields"] == {"roles": ["未知角色：cashier。"]}
    assert not User.objects.filter(username="wangfang").exists()


def test_unknown_team_is_422(api_client_for, admin_user):
    response = api_client_for(admin_user).post("/api/users", NEW_USER)

    assert response.status_code == 422
    assert response.json()["fields"] == {"team": ["未知的团队。"]}


def test_salesperson_may_not_create_users(api_client_for, salesperson):
    TeamFactory(name="华南销售一组")
    count = User.objects.count()

    response = api_client_for(salesperson).post("/api/users", NEW_USER)

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert User.objects.count() == count
    assert not AuditLog.objects.filter(action="user.create").exists()


def test_patch_parameter(api_client_for, admin_user):
    response = api_client_for(admin_user).patch(
        "/api/parameters/approval.max_discount_rate", {"value": "0.15"}
    )

    assert response.status_code == 200
    assert response.json()["value"] == "0.15"
    assert response.json()["default"] == "0.10"
    assert Parameter.objects.get(pk="approval.max_discount_rate").value == "0.15"


def test_patch_parameter_bad_value_is_422(api_client_for, admin_user):
    response = api_client_for(admin_user).patch("/api/parameters/approval.max_discount_rate", {"value": "2"})

    assert response.status_code == 422
    assert response.json()["fields"] == {"value": ["不能大于 1。"]}
    assert not Parameter.objects.exists()


def test_patch_unknown_parameter_is_404(api_client_for, admin_user):
    response = api_client_for(admin_user).patch("/api/parameters/no.such", {"value": "1"})

    assert response.status_code == 404


def test_salesperson_may_not_read_or_patch_parameters(api_client_for, salesperson):
    api = api_client_for(salesperson)

    assert api.get("/api/parameters").status_code == 403
    assert api.patch("/api/parameters/approval.max_discount_rate", {"value": "0.5"}).status_code == 403
    assert not Parameter.objects.exists()


def test_regions_need_no_login(client, db):
    provinces = client.get("/api/regions").json()
    assert len(provinces) == 34
    assert {"code": "110000", "name": "北京市"} in provinces

    districts = client.get("/api/regions", {"parent": "110100"}).json()
    assert {"code": "110105", "name": "朝阳区"} in districts


def test_audit_log_for_administrators(api_client_for, admin_user, salesperson):
    api = api_client_for(admin_user)

    response = api.get("/api/audit-log", {"action": "api_token"})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["items"][0]["action"] == "api_token.issue"
    assert body["items"][0]["actor"] == "admin1"
    assert api_client_for(salesperson).get("/api/audit-log").status_code == 403


@pytest.mark.parametrize("rows", [3, 30])
def test_audit_log_query_count(api_client_for, admin_user, django_assert_max_num_queries, rows):
    from salesdesk.core.audit import record_audit

    for i in range(rows):
        record_audit(action="test.row", by=admin_user, data={"i": i})
    api = api_client_for(admin_user)

    with django_assert_max_num_queries(10):
        assert api.get("/api/audit-log").status_code == 200


def test_health(client, db):
    assert client.get("/api/health").json()["status"] == "ok"
