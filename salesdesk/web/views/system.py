"""Parameters and the audit log, for administrators."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

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


urlpatterns = [
    path("settings/parameters/", parameter_list, name="parameter_list"),
    path("settings/audit/", audit_list, name="audit_list"),
]
