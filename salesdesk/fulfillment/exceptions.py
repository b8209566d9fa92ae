"""Order exceptions (异常): short stock, delay, quality, logistics, rejection, price dispute (C9).

Each has a severity, an owner, then a root cause, a resolution and the lesson learnt; a resolved
exception turns into a knowledge-base article in one click (``knowledge.article_from_exception``).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from salesdesk.accounts.models import User
from salesdesk.accounts.scope import owner_scope_q
from salesdesk.core.audit import record_audit
from salesdesk.core.errors import Forbidden, InvalidInput, NotFound
from salesdesk.orders.models import SalesOrder
from salesdesk.orders.timeline import record_order_event

from .models import OrderException
from .models.changes import ExceptionKind, ExceptionStatus
from .models.collab import NotificationKind
from .notifications import notify

SEVERITIES = ("info", "warning", "critical")
TEXT_FIELDS = ("root_cause", "resolution", "lessons", "description")


def _clean(
    *, kind: Any = None, severity: Any = None, title: Any = None, owner: Any = None, status: Any = None
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    if kind is not None:
        if kind not in ExceptionKind.values:
            errors["kind"] = [_("Choose a kind of exception.")]
        out["kind"] = kind
    if severity is not None:
        if severity not in SEVERITIES:
            errors["severity"] = [_("Choose a severity.")]
        out["severity"] = severity
    if title is not None:
        text = str(title).strip()
        if not text:
            errors["title"] = [_("This field is required.")]
        elif len(text) > 200:
            errors["title"] = [_("At most %(n)d characters.") % {"n": 200}]
        out["title"] = text
    if owner is not None:
        if isinstance(owner, User):
            found: User | None = owner if owner.is_active else None
        else:
            try:
                found = User.objects.filter(pk=int(owner), is_active=True).first() if str(owner) else None
            except (TypeError, ValueError):
                found = None
        if found is None and str(owner) != "":
            errors["owner"] = [_("Choose an active user.")]
        out["owner"] = found
    if status is not None:
        if status not in ExceptionStatus.values:
            errors["status"] = [_("Choose a status.")]
        out["status"] = status
    return out, errors


def _exception_url(exc: OrderException) -> str:
    return reverse("web:exception_edit", args=[exc.pk])


@transaction.atomic
def report_exception(
    *,
    order: SalesOrder,
    kind: str,
    severity: str,
    title: str,
    description: str = "",
    owner: Any = None,
    by: Any,
) -> OrderException:
    """Record something that went wrong with an order; the owner (if not the reporter) is notified."""
    if not by.has_perm("fulfillment.add_orderexception"):
        raise Forbidden()
    values, errors = _clean(kind=kind, severity=severity, title=title, owner="" if owner is None else owner)
    if errors:
        raise InvalidInput(fields=errors)
    exc = OrderException.objects.create(
        order=order,
        description=str(description or "").strip(),
        reported_by=by,
        **values,
    )
    record_order_event(
        order=order,
        type="exception",
        by=by,
        data={"exception": exc.pk, "kind": exc.kind, "severity": exc.severity, "title": exc.title},
    )
    record_audit(action="exception.report", by=by, obj=exc, data={"kind": exc.kind, "title": exc.title})
    if exc.owner is not None and exc.owner.pk != by.pk:
        notify(
            recipient=exc.owner,
            kind=NotificationKind.ASSIGNMENT,
            title=_("Exception on order %(order)s: %(title)s") % {"order": order.number, "title": exc.title},
            body=exc.description,
            url=_exception_url(exc),
            order=order,
        )
    return exc


@transaction.atomic
def update_exception(*, exception: OrderException, by: Any, **fields: Any) -> OrderException:
    """Change an exception: kind, severity, title, owner, status, root cause, resolution, lessons."""
    if not (by.has_perm("fulfillment.change_orderexception") or exception.reported_by_id == by.pk):
        raise Forbidden()
    unknown = set(fields) - {"kind", "severity", "title", "owner", "status", *TEXT_FIELDS}
    if unknown:
        raise InvalidInput(fields={name: [_("Unknown field.")] for name in sorted(unknown)})
    values, errors = _clean(
        kind=fields.get("kind"),
        severity=fields.get("severity"),
        title=fields.get("title"),
        owner=fields.get("owner"),
        status=fields.get("status"),
    )
    for name in TEXT_FIELDS:
        if fields.get(name) is not None:
            values[name] = str(fields[name]).strip()
    target = values.get("status")
    if target in (ExceptionStatus.RESOLVED, ExceptionStatus.CLOSED):
        resolution = values.get("resolution", exception.resolution)
        if not resolution:
            errors["resolution"] = [_("Describe how the exception was resolved.")]
    if errors:
        raise InvalidInput(fields=errors)
    locked = OrderException.objects.select_for_update().get(pk=exception.pk)
    changed: dict[str, Any] = {}
    for name, value in values.items():
        if getattr(locked, name) != value:
            changed[name] = str(getattr(value, "pk", value) or "")
            setattr(locked, name, value)
    if not changed:
        return locked
    update = list(changed)
    if target in (ExceptionStatus.RESOLVED, ExceptionStatus.CLOSED) and locked.resolved_at is None:
        locked.resolved_at = timezone.now()
        update.append("resolved_at")
    elif target in (ExceptionStatus.OPEN, ExceptionStatus.IN_PROGRESS):
        locked.resolved_at = None
        update.append("resolved_at")
    locked.save(update_fields=update)
    if "status" in changed:
        record_order_event(
            order=locked.order,
            type="exception",
            by=by,
            data={"exception": locked.pk, "title": locked.title, "status": locked.status},
        )
    record_audit(action="exception.update", by=by, obj=locked, data=changed)
    return locked


def resolve_exception(
    *, exception: OrderException, by: Any, resolution: str, root_cause: str = "", lessons: str = ""
) -> OrderException:
    """Mark the exception resolved with how it was solved (and why it happened, and the lesson)."""
    return update_exception(
        exception=exception,
        by=by,
        status=ExceptionStatus.RESOLVED,
        resolution=resolution,
        root_cause=root_cause or None,
        lessons=lessons or None,
    )


# --- reads ---------------------------------------------------------------------------------------


def list_exceptions(*, user: Any, status: str = "", kind: str = "", q: str = "") -> QuerySet[OrderException]:
    """Exceptions on orders in the user's scope, newest first."""
    qs = OrderException.objects.filter(owner_scope_q(user, "order__owner"))
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(title__icontains=q.strip()) | qs.filter(order__number__startswith=q.strip().upper())
    return qs.select_related("order", "owner", "reported_by").order_by("-id")


def list_order_exceptions(*, order: SalesOrder) -> QuerySet[OrderException]:
    return (
        OrderException.objects.filter(order=order)
        .select_related("order", "owner", "reported_by")
        .order_by("-id")
    )


def get_exception(*, user: Any, pk: Any) -> OrderException:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound() from None
    found = (
        OrderException.objects.filter(owner_scope_q(user, "order__owner"), pk=pk)
        .select_related("order", "owner", "reported_by")
        .first()
    )
    if found is None:
        raise NotFound()
    return found
