"""API for alerts and notifications (issue 4, C8): the alert centre and the inbox.

``GET /api/alerts`` lists the caller's alerts (``?scope=team`` for a team manager, ``?all=1`` for an
administrator); ``POST /api/alerts/{id}/acknowledge``; ``GET /api/notifications``,
``POST /api/notifications/{id}/read``, ``POST /api/notifications/read-all``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from salesdesk.fulfillment import alerts, notifications
from salesdesk.fulfillment.models import Alert, Notification

from .common import clamp_page, error_responses, require_perm

router = Router(tags=["alerts"])


class AlertOut(Schema):
    id: int
    rule: str
    rule_label: str
    severity: str
    order_id: int
    order_number: str
    step_id: int | None
    step_name: str
    owner_id: int | None
    owner_name: str
    message: str
    due_on: dt.date | None
    raised_at: dt.datetime
    acknowledged_at: dt.datetime | None
    escalated_at: dt.datetime | None
    cleared_at: dt.datetime | None


class AlertListOut(Schema):
    items: list[AlertOut]
    count: int


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    order_id: int | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationListOut(Schema):
    items: list[NotificationOut]
    count: int
    unread: int


class ReadAllOut(Schema):
    updated: int
    unread: int


def _alert_out(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "rule": alert.rule,
        "rule_label": str(alert.get_rule_display()),  # type: ignore[attr-defined]
        "severity": alert.severity,
        "order_id": alert.order_id,
        "order_number": alert.order.number,
        "step_id": alert.step_id,
        "step_name": alert.step.name if alert.step else "",
        "owner_id": alert.owner_id,
        "owner_name": alert.owner.display_name if alert.owner else "",
        "message": alert.message,
        "due_on": alert.due_on,
        "raised_at": alert.raised_at,
        "acknowledged_at": alert.acknowledged_at,
        "escalated_at": alert.escalated_at,
        "cleared_at": alert.cleared_at,
    }


def _notification_out(n: Notification) -> dict[str, Any]:
    return {
        "id": n.pk,
        "kind": n.kind,
        "title": n.title,
        "body": n.body,
        "url": n.url,
        "order_id": n.order_id,
        "created_at": n.created_at,
        "read_at": n.read_at,
    }


@router.get("/alerts", response={200: AlertListOut, **error_responses(403)})
def list_alerts(
    request: HttpRequest,
    scope: str = "mine",
    all: bool = False,
    rule: str = "",
    state: str = "open",
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """Alerts sorted by the date at risk; ``state`` is open (default), cleared or all."""
    require_perm(request, "fulfillment.view_alert")
    limit, offset = clamp_page(limit, offset)
    qs = alerts.list_alerts(
        user=request.user,  # type: ignore[arg-type]
        scope="all" if all else ("team" if scope == "team" else "mine"),
        rule=rule,
        state=state if state in ("open", "cleared", "all") else "open",
    )
    return {"items": [_alert_out(a) for a in qs[offset : offset + limit]], "count": qs.count()}


@router.post("/alerts/{alert_id}/acknowledge", response={200: AlertOut, **error_responses(403, 404)})
def acknowledge_alert(request: HttpRequest, alert_id: int) -> dict[str, Any]:
    require_perm(request, "fulfillment.view_alert")
    alert = alerts.get_alert(user=request.user, pk=alert_id)  # type: ignore[arg-type]
    return _alert_out(alerts.acknowledge_alert(alert=alert, by=request.user))  # type: ignore[arg-type]


@router.get("/notifications", response={200: NotificationListOut})
def list_notifications(
    request: HttpRequest, unread: bool = False, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    """The caller's inbox, unread first."""
    limit, offset = clamp_page(limit, offset)
    user: Any = request.user
    qs = notifications.list_notifications(user=user, unread_only=unread)
    return {
        "items": [_notification_out(n) for n in qs[offset : offset + limit]],
        "count": qs.count(),
        "unread": notifications.unread_count(user),
    }


@router.post("/notifications/read-all", response={200: ReadAllOut})
def read_all_notifications(request: HttpRequest) -> dict[str, Any]:
    user: Any = request.user
    updated = notifications.mark_all_read(by=user)
    return {"updated": updated, "unread": notifications.unread_count(user)}


@router.post("/notifications/{notification_id}/read", response={200: NotificationOut, **error_responses(404)})
def read_notification(request: HttpRequest, notification_id: int) -> dict[str, Any]:
    user: Any = request.user
    notification = notifications.get_notification(user=user, pk=notification_id)
    return _notification_out(notifications.mark_read(notification=notification, by=user))
