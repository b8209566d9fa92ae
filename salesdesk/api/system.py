"""Users, parameters, administrative divisions, the audit log and the health check."""

from __future__ import annotations

from typing import Any, cast

from django.db import connection
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from salesdesk.accounts.models import Department, Team, User
from salesdesk.accounts.services import create_user
from salesdesk.core import parameters as params
from salesdesk.core.errors import InvalidInput
from salesdesk.core.models import AuditLog
from salesdesk.core.regions import children_of

from .common import clamp_page, error_responses, require_perm

router = Router(tags=["system"])


class UserIn(Schema):
    username: str
    password: str
    name: str = ""
    roles: list[str]
    team: str | None = None
    department: str | None = None
    mobile: str = ""
    email: str = ""


class UserOut(Schema):
    id: int
    username: str
    name: str
    roles: list[str]
    team: str | None
    department: str | None
    is_active: bool


def _user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        username=user.username,
        name=user.name,
        roles=user.role_codes,
        team=user.team.name if user.team else None,
        department=user.department.code if user.department else None,
        is_active=user.is_active,
    )


@router.post("/users", response={201: UserOut, **error_responses(403, 422)})
def post_user(request: HttpRequest, payload: UserIn) -> tuple[int, UserOut]:
    require_perm(request, "accounts.add_user")
    team = department = None
    if payload.team:
        team = Team.objects.filter(name=payload.team).first() or (
            Team.objects.filter(pk=payload.team).first() if payload.team.isdecimal() else None
        )
        if team is None:
            raise InvalidInput.single("team", _("Unknown team."))
    if payload.department:
        department = (
            Department.objects.filter(code=payload.department).first()
            or Department.objects.filter(name=payload.department).first()
        )
        if department is None:
            raise InvalidInput.single("department", _("Unknown department."))
    user = create_user(
        username=payload.username,
        password=payload.password,
        name=payload.name,
        roles=payload.roles,
        team=team,
        department=department,
        mobile=payload.mobile,
        email=payload.email,
        by=cast(User, request.user),
    )
    return 201, _user_out(user)


class ParameterOut(Schema):
    key: str
    label: str
    group: str
    kind: str
    value: Any
    default: Any
    choices: list[list[str]] = []


class ParameterIn(Schema):
    value: Any


def _param_out(row: dict[str, Any]) -> ParameterOut:
    d = row["definition"]
    return ParameterOut(
        key=d.key,
        label=str(d.label),
        group=str(d.group),
        kind=d.kind,
        value=row["value"],
        default=d.default,
        choices=[[c, str(label)] for c, label in d.choices],
    )


@router.get("/parameters", response={200: list[ParameterOut], **error_responses(403)})
def get_parameters(request: HttpRequest) -> list[ParameterOut]:
    require_perm(request, "core.view_parameter")
    return [_param_out(row) for row in params.list_parameters()]


@router.patch("/parameters/{key}", response={200: ParameterOut, **error_responses(403, 404, 422)})
def patch_parameter(request: HttpRequest, key: str, payload: ParameterIn) -> ParameterOut:
    require_perm(request, "core.change_parameter")
    params.set_parameter(key=key, value=payload.value, by=request.user)
    row = next(r for r in params.list_parameters() if r["key"] == key)
    return _param_out(row)


class RegionOut(Schema):
    code: str
    name: str


@router.get("/regions", response=list[RegionOut], auth=None)
def get_regions(request: HttpRequest, parent: str = "") -> list[RegionOut]:
    """Provinces, or the divisions under ``parent`` (GB/T 2260), for the address cascader."""
    return [RegionOut(code=c, name=n) for c, n in children_of(parent or None)]


class AuditOut(Schema):
    id: int
    created_at: str
    actor: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    is_success: bool
    ip: str | None
    data: dict[str, Any]


class AuditPage(Schema):
    items: list[AuditOut]
    count: int


@router.get("/audit-log", response={200: AuditPage, **error_responses(403)})
def get_audit_log(request: HttpRequest, action: str = "", limit: int = 50, offset: int = 0) -> AuditPage:
    require_perm(request, "core.view_auditlog")
    limit, offset = clamp_page(limit, offset)
    qs = AuditLog.objects.all()
    if action:
        qs = qs.filter(action__startswith=action)
    items = [
        AuditOut(
            id=e.id,
            created_at=e.created_at.isoformat(),
            actor=e.actor_name,
            action=e.action,
            object_type=e.object_type,
            object_id=e.object_id,
            object_repr=e.object_repr,
            is_success=e.is_success,
            ip=e.ip,
            data=e.data,
        )
        for e in qs[offset : offset + limit]
    ]
    return AuditPage(items=items, count=qs.count())


class HealthOut(Schema):
    status: str
    database: str


@router.get("/health", response=HealthOut, auth=None)
def health(request: HttpRequest) -> HealthOut:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HealthOut(status="ok", database=connection.vendor)
