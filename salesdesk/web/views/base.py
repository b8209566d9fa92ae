"""Login, logout, the workbench (工作台) and the error pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from salesdesk.accounts.errors import AccountLocked
from salesdesk.accounts.middleware import IDLE_LOGOUT_KEY
from salesdesk.accounts.services import authenticate_user

from .home import workbench_context


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    context: dict[str, Any] = {"next": next_url, "username": "", "error": ""}
    idle_minutes = request.session.pop(IDLE_LOGOUT_KEY, None)
    if idle_minutes:
        context["notice"] = _("You were logged out after %(minutes)d minutes without activity.") % {
            "minutes": int(idle_minutes)
        }
    if request.method == "POST":
        username = request.POST.get("username", "").strip()
        password = request.POST.get("password", "")
        context["username"] = username
        if not username or not password:
            context["error"] = _("Enter your user name and password.")
        else:
            try:
                user = authenticate_user(username=username, password=password, request=request)
            except AccountLocked as exc:
                user, context["error"] = None, exc.message
            else:
                if user is None:
                    context["error"] = _("Wrong user name or password.")
            if user is not None:
                login(request, user, backend="salesdesk.accounts.backends.LockoutModelBackend")
                return HttpResponseRedirect(next_url or reverse("web:home"))
        return render(request, "web/login.html", context, status=422)
    return render(request, "web/login.html", context)


@require_http_methods(["POST"])
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return HttpResponseRedirect(reverse("web:login"))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html", workbench_context(request.user))


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "web/error.html",
        {
            "status": 403,
            "title": _("No access"),
            "message": _("You do not have permission to see this page."),
        },
        status=403,
    )


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "web/error.html",
        {
            "status": 404,
            "title": _("Page not found"),
            "message": _("The page does not exist or you may not see it."),
        },
        status=404,
    )


def error_500(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "web/error.html",
        {
            "status": 500,
            "title": _("Something went wrong"),
            "message": _("The error has been logged. Please try again in a moment."),
        },
        status=500,
    )
