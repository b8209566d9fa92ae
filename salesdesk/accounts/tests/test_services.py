import datetime as dt
from typing import cast
from unittest import mock

import pytest
from django.utils import timezone

from salesdesk.accounts.errors import AccountLocked
from salesdesk.accounts.models import ApiToken, LoginFailure, Team, User
from salesdesk.accounts.services import (
    authenticate_user,
    create_user,
    issue_api_token,
    set_user_roles,
    unlock_user,
    user_for_token,
)
from salesdesk.accounts.tests.factories import PASSWORD, TeamFactory
from salesdesk.core.errors import InvalidInput
from salesdesk.core.models import AuditLog

pytestmark = pytest.mark.django_db

LOCKED_MESSAGE = "登录失败次数过多，账号已锁定 30 分钟。"


def _fail(username: str, times: int) -> None:
    for _ in range(times):
        assert authenticate_user(username=username, password="wrong-Passw0rd") is None


def test_right_password_logs_in_and_clears_failures(salesperson):
    _fail("sales_a", 2)

    user = authenticate_user(username="sales_a", password=PASSWORD)

    assert user == salesperson
    assert not LoginFailure.objects.filter(username="sales_a").exists()
    assert AuditLog.objects.filter(action="login.success", actor=salesperson).count() == 1
    failures = AuditLog.objects.filter(action="login.failure", actor_name="sales_a", is_success=False)
    assert failures.count() == 2


def test_four_failures_do_not_lock(salesperson):
    _fail("sales_a", 4)

    salesperson.refresh_from_db()
    assert salesperson.locked_until is None
    assert authenticate_user(username="sales_a", password=PASSWORD) == salesperson


def test_five_failures_lock_for_30_minutes_even_with_the_right_password(salesperson):
    start = timezone.now()
    with mock.patch("django.utils.timezone.now", return_value=start):
        _fail("sales_a", 5)

    salesperson.refresh_from_db()
    assert salesperson.locked_until == start + dt.timedelta(minutes=30)
    assert AuditLog.objects.filter(action="account.locked", actor=salesperson).count() == 1

    with (
        mock.patch("django.utils.timezone.now", return_value=start + dt.timedelta(minutes=29)),
        pytest.raises(AccountLocked) as exc_info,
    ):
        authenticate_user(username="sales_a", password=PASSWORD)
    assert exc_info.value.message == LOCKED_MESSAGE
    assert exc_info.value.code == "account_locked"
    assert AuditLog.objects.filter(action="login.refused_locked", is_success=False).count() == 1

    with mock.patch("django.utils.timezone.now", return_value=start + dt.timedelta(minutes=31)):
        assert authenticate_user(username="sales_a", password=PASSWORD) == salesperson
    salesperson.refresh_from_db()
    assert salesperson.locked_until is None


def test_failures_older_than_15_minutes_do_not_count(salesperson):
    _fail("sales_a", 4)
    LoginFailure.objects.filter(username="sales_a").update(
        created_at=timezone.now() - dt.timedelta(minutes=16)
    )

    _fail("sales_a", 1)

    salesperson.refresh_from_db()
    assert salesperson.locked_until is None
    _fail("sales_a", 3)
    salesperson.refresh_from_db()
    assert salesperson.locked_until is None
    _fail("sales_a", 1)
    salesperson.refresh_from_db()
    assert salesperson.locked_until is not None


def test_unknown_user_is_refused_without_error(db):
    assert authenticate_user(username="nobody", password=PASSWORD) is None
    assert LoginFailure.objects.filter(username="nobody").count() == 1


def test_inactive_user_is_refused(salesperson):
    User.objects.filter(pk=salesperson.pk).update(is_active=False)

    assert authenticate_user(username="sales_a", password=PASSWORD) is None


def test_unlock_user_lifts_the_lock(salesperson, admin_user):
    _fail("sales_a", 5)

    unlock_user(user=salesperson, by=admin_user)

    salesperson.refresh_from_db()
    assert salesperson.locked_until is None
    assert authenticate_user(username="sales_a", password=PASSWORD) == salesperson
    assert AuditLog.objects.filter(action="account.unlocked", actor=admin_user).count() == 1


def test_create_user_with_roles_and_team(admin_user):
    team = cast(Team, TeamFactory(name="华南销售一组"))

    user = create_user(
        username="wangfang",
        password="Xy7!kLm9q",
        name="王芳",
        roles=["salesperson"],
        team=team,
        mobile="138 0013 8000",
        by=admin_user,
    )

    assert user.role_codes == ["salesperson"]
    assert user.team == team
    assert user.department == team.department
    assert user.mobile == "13800138000"
    assert user.is_staff is False
    assert user.check_password("Xy7!kLm9q")
    assert user.password_changed_at is not None
    entry = AuditLog.objects.get(action="user.create")
    assert entry.data == {"roles": ["salesperson"]}
    assert entry.object_id == str(user.pk)


def test_administrator_gets_the_admin_site(admin_user):
    user = create_user(username="boss", password="Xy7!kLm9q", name="", roles=["administrator"], by=admin_user)

    assert user.is_staff is True


@pytest.mark.parametrize(
    ("password", "messages"),
    [
        ("Ab1!x", ["密码至少需要 8 个字符。"]),
        ("mkqzrtwp7", ["密码必须至少包含以下 3 类字符：小写字母、大写字母、数字、符号。"]),
        ("lisiWork1", ["密码不能包含用户名。"]),
        ("LISI-work1", ["密码不能包含用户名。"]),
    ],
)
def test_password_policy(admin_user, password, messages):
    with pytest.raises(InvalidInput) as exc_info:
        create_user(username="lisi", password=password, name="李四", roles=["salesperson"], by=admin_user)

    assert exc_info.value.fields == {"password": messages}
    assert not User.objects.filter(username="lisi").exists()
    assert not AuditLog.objects.filter(action="user.create").exists()


@pytest.mark.parametrize("password", ["Mkqzrtw7", "mkqz!rtw7", "MKQZ-7391", "Xy7!kLm9q"])
def test_passwords_meeting_the_policy(admin_user, password):
    user = create_user(username="lisi", password=password, name="李四", roles=["salesperson"], by=admin_user)

    assert user.check_password(password)


def test_create_user_reports_every_bad_field(admin_user):
    with pytest.raises(InvalidInput) as exc_info:
        create_user(
            username="ADMIN1", password="Xy7!kLm9q", name="", roles=["cashier"], mobile="123", by=admin_user
        )

    assert exc_info.value.fields == {
        "username": ["该用户名已被使用。"],
        "roles": ["未知角色：cashier。"],
        "mobile": ["请输入以 13–19 开头的 11 位手机号码，例如 138 0013 8000。"],
    }


def test_create_user_needs_a_role(admin_user):
    with pytest.raises(InvalidInput) as exc_info:
        create_user(username="lisi", password="Xy7!kLm9q", name="", roles=[], by=admin_user)

    assert exc_info.value.fields == {"roles": ["请至少选择一个角色。"]}


def test_set_user_roles(admin_user, salesperson):
    set_user_roles(user=salesperson, roles=["salesperson", "administrator"], by=admin_user)

    fresh = User.objects.get(pk=salesperson.pk)
    assert fresh.role_codes == ["administrator", "salesperson"]
    assert fresh.is_staff is True
    entry = AuditLog.objects.get(action="user.roles")
    assert entry.data == {"old": ["salesperson"], "new": ["administrator", "salesperson"]}


def test_set_user_roles_refuses_unknown(admin_user, salesperson):
    with pytest.raises(InvalidInput):
        set_user_roles(user=salesperson, roles=["cashier"], by=admin_user)

    assert User.objects.get(pk=salesperson.pk).role_codes == ["salesperson"]


def test_token_is_stored_hashed_and_resolves_to_its_user(salesperson):
    key = issue_api_token(user=salesperson)

    token = ApiToken.objects.get(user=salesperson)
    assert token.key_hash != key
    assert token.prefix == key[:8]
    assert user_for_token(key) == salesperson
    assert user_for_token(key + "x") is None


def test_expired_token_or_disabled_user_resolves_to_nothing(salesperson):
    key = issue_api_token(user=salesperson)
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert user_for_token(key) is None

    other = issue_api_token(user=salesperson)
    User.objects.filter(pk=salesperson.pk).update(is_active=False)
    assert user_for_token(other) is None
