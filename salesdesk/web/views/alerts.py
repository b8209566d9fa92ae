"""Pages for alerts and notifications (issue 4, C8): the alert centre, the inbox, the order fragment."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from salesdesk.core.errors import Forbidden, NotFound
from salesdesk.fulfillment import alerts, notifications
from salesdesk.fulfillment.models.alerts import AlertRule
from salesdesk.orders.models import SalesOrder

PAGE_SIZE = 50
WORKBENCH_ALERTS = 8


def notification_badge(request: HttpRequest) -> dict[str, Any]:
    """Context processor for the navbar bell: ``unread_notifications``.

    A callable, so the template runs the one COUNT query only where ``{{ unread_notifications }}`` is used.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count() -> int:
        return notifications.unread_count(user)  # type: ignore[arg-type]

    return {"unread_notifications": count}


def order_alerts_context(order: SalesOrder, user: Any) -> dict[str, Any]:
    """Context for "alerts/_order_alerts.html": the open alerts of the order."""
    return {"order": order, "order_alerts": alerts.order_alerts(order=order), "alerts_user": user}


def workbench_alerts_context(user: Any) -> dict[str, Any]:
    """The "My alerts" card of the workbench: my open alerts (most urgent first) and my unread count."""
    context: dict[str, Any] = {"unread_notifications": notifications.unread_count(user)}
    if user.has_perm("fulfillment.view_alert"):
        mine = alerts.list_alerts(user=user, scope="mine", state="open")
        context["my_alerts"] = list(mine[:WORKBENCH_ALERTS])
        context["my_alert_count"] = mine.count()
    return context


def _is_manager(user: Any) -> bool:
    return bool(user.managed_teams.exists())


def _is_admin(user: Any) -> bool:
    return bool(user.is_superuser or user.has_role("administrator"))


def _default_scope(user: Any, *, is_manager: bool, is_admin: bool) -> str:
    """全部 for administrators, 团队预警 for managers of a team, else 我的预警."""
    if is_admin:
        return "all"
    if is_manager and user.has_role("manager"):
        return "team"
    return "mine"


@login_required
@permission_required("fulfillment.view_alert", raise_exception=True)
def alert_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    is_manager = _is_manager(user)
    is_admin = _is_admin(user)
    allowed = {"mine"} | ({"team"} if is_manager else set()) | ({"all"} if is_admin else set())
    scope = request.GET.get("scope", "")
    if scope not in allowed:
        scope = _default_scope(user, is_manager=is_manager, is_admin=is_admin)
    rule = request.GET.get("rule", "")
    if rule not in AlertRule.values:
        rule = ""
    state = request.GET.get("state", "open")
    if state not in ("open", "cleared", "all"):
        state = "open"
    qs = alerts.list_alerts(user=user, scope=scope, rule=rule, state=state)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = {k: v for k, v in {"scope": scope, "rule": rule, "state": state}.items() if v}
    return render(
        request,
        "alerts/alert_list.html",
        {
            "page": page,
            "scope": scope,
            "rule": rule,
            "state": state,
            "is_manager": is_manager,
            "is_admin": is_admin,
            "rules": AlertRule.choices,
            "query": urlencode(filters),
        },
    )


@login_required
@permission_required("fulfillment.view_alert", raise_exception=True)
@require_POST
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    try:
        alert = alerts.get_alert(user=user, pk=pk)
        alert = alerts.acknowledge_alert(alert=alert, by=user)
    except (NotFound, Forbidden):
        raise Http404 from None
    if request.headers.get("HX-Request"):
        alert = alerts.get_alert(user=user, pk=pk)
        response = render(request, "alerts/_alert_row.html", {"alert": alert})
        response["HX-Trigger"] = "alert-acknowledged"
        return response
    return HttpResponseRedirect(reverse("web:alert_list"))


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    unread_only = request.GET.get("unread") == "1"
    qs = notifications.list_notifications(user=user, unread_only=unread_only)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "alerts/notification_list.html",
        {
            "page": page,
            "unread_only": unread_only,
            "unread_count": notifications.unread_count(user),
            "query": "unread=1" if unread_only else "",
        },
    )


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    try:
        notification = notifications.get_notification(user=user, pk=pk)
    except NotFound:
        raise Http404 from None
    notification = notifications.mark_read(notification=notification, by=user)
    if request.headers.get("HX-Request"):
        response = render(request, "alerts/_notification_row.html", {"n": notification})
        response["HX-Trigger"] = "notification-read"
        return response
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(target)
    return HttpResponseRedirect(reverse("web:notification_list"))


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    notifications.mark_all_read(by=request.user)  # type: ignore[arg-type]
    return HttpResponseRedirect(reverse("web:notification_list"))


urlpatterns: list[URLPattern] = [
    path("alerts/", alert_list, name="alert_list"),
    path("alerts/<int:pk>/acknowledge/", alert_acknowledge, name="alert_acknowledge"),
    path("notifications/", notification_list, name="notification_list"),
    path("notifications/<int:pk>/read/", notification_read, name="notification_read"),
    path("notifications/read-all/", notification_read_all, name="notification_read_all"),
]
