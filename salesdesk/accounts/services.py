"""Account services: authentication with lockout, users, API tokens."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import TextField
from django.db.models.expressions import RawSQL
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from salesdesk.core.audit import record_audit
from salesdesk.core.compiled import CompiledQuery
from salesdesk.core.context import client_ip
from salesdesk.core.errors import InvalidInput
from salesdesk.core.validators import normalize_mobile

from .errors import AccountLocked
from .models import ApiToken, Department, LoginFailure, Team, User
from .roles import ROLE_BY_CODE


def is_locked(user: User, now: dt.datetime | None = None) -> bool:
    return bool(user.locked_until and user.locked_until > (now or timezone.now()))


def authenticate_user(*, username: str, password: str, request: HttpRequest | None = None) -> User | None:
    """Check a password; count failures; refuse a locked account even with the right password.

    Raises ``AccountLocked`` while the lock holds so the login page and the API can say why.
    """
    ip = client_ip(request) if request is not None else None
    now = timezone.now()
    user = User.objects.filter(username=username).first()
    if user is not None and is_locked(user, now):
        record_audit(action="login.refused_locked", actor_name=username, is_success=False, ip=ip)
        raise AccountLocked()
    if user is not None and user.is_active and user.check_password(password):
        LoginFailure.objects.filter(username=username).delete()
        if user.locked_until:
            User.objects.filter(pk=user.pk).update(locked_until=None)
        record_audit(action="login.success", by=user, ip=ip)
        return user
    _register_failure(username=username, user=user, ip=ip, now=now)
    return None


@transaction.atomic
def _register_failure(*, username: str, user: User | None, ip: str | None, now: dt.datetime) -> None:
    LoginFailure.objects.create(username=username, ip=ip)
    record_audit(action="login.failure", actor_name=username, is_success=False, ip=ip)
    window = now - dt.timedelta(minutes=settings.LOGIN_FAILURE_WINDOW_MINUTES)
    recent = LoginFailure.objects.filter(username=username, created_at__gte=window).count()
    if user is not None and recent >= settings.LOGIN_FAILURE_LIMIT:
        until = now + dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        User.objects.filter(pk=user.pk).update(locked_until=until)
        LoginFailure.objects.filter(username=username).delete()
        record_audit(action="account.locked", by=user, ip=ip, data={"until": until.isoformat()})


@transaction.atomic
def unlock_user(*, user: User, by: User) -> None:
    User.objects.filter(pk=user.pk).update(locked_until=None)
    LoginFailure.objects.filter(username=user.username).delete()
    record_audit(action="account.unlocked", by=by, obj=user)


@transaction.atomic
def create_user(
    *,
    username: str,
    password: str,
    name: str,
    roles: list[str],
    by: User | None,
    team: Team | None = None,
    department: Department | None = None,
    mobile: str = "",
    email: str = "",
) -> User:
    """Create a user with roles; the password must meet the policy. Administrators get the admin site."""
    errors: dict[str, list[str]] = {}
    username = (username or "").strip()
    if not username:
        errors["username"] = [_("Enter a user name.")]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("This user name is already taken.")]
    unknown = [r for r in roles if r not in ROLE_BY_CODE]
    if unknown:
        errors["roles"] = [_("Unknown role: %(roles)s.") % {"roles": ", ".join(unknown)}]
    if not roles:
        errors["roles"] = [_("Choose at least one role.")]
    if mobile:
        try:
            mobile = normalize_mobile(mobile)
        except ValidationError as exc:
            errors["mobile"] = exc.messages
    user = User(
        username=username,
        name=(name or "").strip(),
        email=email,
        team=team,
        department=department or (team.department if team else None),
        mobile=mobile,
    )
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise InvalidInput(fields=errors)
    user.set_password(password)
    user.password_changed_at = timezone.now()
    user.is_staff = "administrator" in roles
    user.save()
    user.groups.set(Group.objects.filter(name__in=roles))
    record_audit(action="user.create", by=by, obj=user, data={"roles": sorted(roles)})
    return user


@transaction.atomic
def set_user_roles(*, user: User, roles: list[str], by: User) -> User:
    unknown = [r for r in roles if r not in ROLE_BY_CODE]
    if unknown or not roles:
        raise InvalidInput.single("roles", _("Choose at least one known role."))
    old = user.role_codes
    user.groups.set(Group.objects.filter(name__in=roles))
    User.objects.filter(pk=user.pk).update(is_staff="administrator" in roles)
    user._role_codes = None
    record_audit(action="user.roles", by=by, obj=user, data={"old": old, "new": sorted(roles)})
    return user


def _hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def issue_api_token(*, user: User) -> str:
    """Make a new bearer token and return it; only its hash is kept."""
    key = secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user,
        key_hash=_hash_token(key),
        prefix=key[:8],
        expires_at=timezone.now() + dt.timedelta(days=settings.API_TOKEN_TTL_DAYS),
    )
    record_audit(action="api_token.issue", by=user)
    return key


def _access_of_token_user() -> RawSQL:
    """The token user's role names and permissions as one JSON text column of the token read: a list
    of ``[kind, label]`` (see ``_access_sql``), so the token and its user's access come in one query."""
    user_id = f"{connection.ops.quote_name(ApiToken._meta.db_table)}.{connection.ops.quote_name('user_id')}"
    rows = _access_sql(user_id)
    if connection.vendor == "postgresql":
        aggregate = "json_agg(json_build_array(a.k, a.label))::text"
    else:  # SQLite's JSON1 functions, built in since 3.38 and in every Python 3.11 build before that
        aggregate = "json_group_array(json_array(a.k, a.label))"
    return RawSQL(f"SELECT {aggregate} FROM ({rows}) a", [], output_field=TextField())


_TOKEN = CompiledQuery(
    lambda p: (
        ApiToken.objects.select_related("user", "user__team")
        .filter(
            key_hash=p.key_hash,
            expires_at__gt=p.typed("now", ApiToken._meta.get_field("expires_at")),
            user__is_active=True,
        )
        .annotate(access=_access_of_token_user())[:1]
    )
)


def user_for_token(key: str) -> Any:
    """The active user a token belongs to, or None when unknown, expired or the user is disabled; its
    roles and permissions read with it (as ``load_access`` reads them)."""
    token = _TOKEN.first(key_hash=_hash_token(key), now=timezone.now())
    if token is None:
        return None
    now = timezone.now()
    if not token.last_used_at or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    _prime_access(token.user, json.loads(token.access or "[]"))
    return token.user


@functools.cache
def _access_sql(user_id: str = "%s") -> str:
    """Role names, direct permissions and group permissions of one user ("app_label.codename"): rows of
    ``k`` ("r" role, "u" user permission, "g" group permission) and ``label``. ``user_id``: the SQL
    that gives the user's id (a placeholder, or a column of an outer query)."""
    user_groups = User.groups.through._meta.db_table
    user_perms = User.user_permissions.through._meta.db_table
    group_perms = Group.permissions.through._meta.db_table
    perm = Permission._meta.db_table
    ctype = ContentType._meta.db_table
    label = "ct.app_label || '.' || p.codename"
    return (
        f"SELECT 'r' AS k, g.name AS label FROM {Group._meta.db_table} g "
        f"JOIN {user_groups} ug ON ug.group_id = g.id WHERE ug.user_id = {user_id} "
        f"UNION ALL SELECT 'u', {label} FROM {user_perms} up "
        f"JOIN {perm} p ON p.id = up.permission_id JOIN {ctype} ct ON ct.id = p.content_type_id "
        f"WHERE up.user_id = {user_id} "
        f"UNION ALL SELECT 'g', {label} FROM {group_perms} gp "
        f"JOIN {perm} p ON p.id = gp.permission_id JOIN {ctype} ct ON ct.id = p.content_type_id "
        f"WHERE gp.group_id IN (SELECT group_id FROM {user_groups} WHERE user_id = {user_id})"
    )


def load_access(user: User) -> None:
    """Read the user's role codes and permissions in ONE query and prime the caches that
    ``User.role_codes`` and ``ModelBackend`` (``has_perm``) would otherwise fill with three queries.

    Always read fresh (once per request), so a role change applies from the user's next request.
    """
    if not user.is_active:
        return
    with connection.cursor() as cursor:
        cursor.execute(_access_sql(), [user.pk, user.pk, user.pk])
        _prime_access(user, cursor.fetchall())


def _prime_access(user: User, rows: Any) -> None:
    """Set the caches ``load_access`` describes from ``(kind, label)`` rows of ``_access_sql``."""
    found: dict[str, set[str]] = {"r": set(), "u": set(), "g": set()}
    for kind, label in rows:
        found[kind].add(label)
    roles = set(ROLE_BY_CODE)
    user._role_codes = sorted(found["r"] & roles)
    if user.is_superuser:  # ModelBackend gives superusers every permission; leave that to it
        return
    # the attribute names django.contrib.auth.backends.ModelBackend caches under
    user._user_perm_cache = found["u"]  # type: ignore[attr-defined]
    user._group_perm_cache = found["g"]  # type: ignore[attr-defined]
    user._perm_cache = found["u"] | found["g"]  # type: ignore[attr-defined]


@transaction.atomic
def create_department(*, code: str, name: str, by: User | None) -> Department:
    """Create a department; code and name are both unique."""
    code, name = (code or "").strip().upper(), (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not code:
        errors["code"] = [_("Enter a code.")]
    elif Department.objects.filter(code=code).exists():
        errors["code"] = [_("A department with this code already exists.")]
    if not name:
        errors["name"] = [_("Enter a name.")]
    elif Department.objects.filter(name=name).exists():
        errors["name"] = [_("A department with this name already exists.")]
    if errors:
        raise InvalidInput(fields=errors)
    department = Department.objects.create(code=code, name=name)
    record_audit(action="department.create", by=by, obj=department, data={"code": code, "name": name})
    return department


@transaction.atomic
def create_team(*, name: str, department: Department, by: User | None, manager: User | None = None) -> Team:
    """Create a sales team; its manager sees the records of its members (data scope "team")."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput.single("name", _("Enter a name."))
    if Team.objects.filter(name=name).exists():
        raise InvalidInput.single("name", _("A team with this name already exists."))
    team = Team.objects.create(name=name, department=department, manager=manager)
    record_audit(
        action="team.create",
        by=by,
        obj=team,
        data={"name": name, "manager": manager.username if manager else None},
    )
    return team


@transaction.atomic
def set_team_manager(*, team: Team, manager: User | None, by: User | None) -> Team:
    """Put a manager in charge of a team (or none)."""
    old = team.manager.username if team.manager else None
    team.manager = manager
    team.save(update_fields=["manager"])
    record_audit(
        action="team.manager",
        by=by,
        obj=team,
        data={"old": old, "new": manager.username if manager else None},
    )
    return team
