"""Parameters, the audit log and users, for administrators."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from salesdesk.accounts.models import User
from salesdesk.accounts.selectors import get_user, list_users
from salesdesk.accounts.services import unlock_user
from salesdesk.core import parameters as params
from salesdesk.core.errors import InvalidInput
from salesdesk.core.models import AuditLog


@login_required
@permission_required("core.view_parameter", raise_exception=True)
@require_http_methods(["GET", "POST"])
def parameter_list(request: HttpRequest) -> HttpResponse:
    errors: dict[str, str] = {}
    saved = ""
    submitted: dict[str, str] = {}
    if request.method == "POST":
        if not request.user.has_perm("core.change_parameter"):
            return render(
                request,
                "web/error.html",
                {
                    "status": 403,
                    "title": _("No access"),
                    "message": _("You do not have permission to do this."),
                },
                status=403,
            )
        key = request.POST.get("key", "")
        definition = params.BY_KEY.get(key)
        if definition is not None:
            raw = (
                request.POST.get("value", "") if definition.kind != "bool" else request.POST.get("value", "0")
            )
            submitted[key] = raw
            try:
                params.set_parameter(key=key, value=raw, by=request.user)
                saved = key
            except InvalidInput as exc:
                errors[key] = exc.fields.get("value", [exc.message])[0]
    rows = params.list_parameters()
    for row in rows:
        row["error"] = errors.get(row["key"], "")
        row["submitted"] = submitted.get(row["key"])
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(str(row["definition"].group), []).append(row)
    status = 422 if errors else 200
    return render(
        request,
        "web/parameters.html",
        {"groups": groups, "saved": saved, "can_change": request.user.has_perm("core.change_parameter")},
        status=status,
    )


@login_required
@permission_required("core.view_auditlog", raise_exception=True)
def audit_list(request: HttpRequest) -> HttpResponse:
    qs = AuditLog.objects.all()
    action = request.GET.get("action", "").strip()
    if action:
        qs = qs.filter(action__startswith=action)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "web/audit.html", {"page": page, "action": action})


@login_required
@permission_required("accounts.view_user", raise_exception=True)
def user_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    users = list_users(q=q)
    return render(
        request,
        "web/users.html",
        {"users": users, "q": q, "can_unlock": request.user.has_perm("accounts.change_user")},
    )


@login_required
@permission_required("accounts.change_user", raise_exception=True)
@require_POST
def user_unlock(request: HttpRequest, user_id: int) -> HttpResponse:
    try:
        target = get_user(user_id=user_id)
    except User.DoesNotExist:
        raise Http404 from None
    unlock_user(user=target, by=request.user)  # type: ignore[arg-type]
    messages.success(request, _("%(user)s is unlocked.") % {"user": target.display_name})
    return HttpResponseRedirect(reverse("web:user_list"))


urlpatterns = [
    path("settings/parameters/", parameter_list, name="parameter_list"),
    path("settings/audit/", audit_list, name="audit_list"),
    path("settings/users/", user_list, name="user_list"),
    path("settings/users/<int:user_id>/unlock/", user_unlock, name="user_unlock"),
]
