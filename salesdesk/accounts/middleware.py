"""Idle timeout: a session unused for 30 minutes (15 for administrators) ends (DOMAIN.md §9.4)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

_KEY = "last_seen"
# Set on the fresh session after an idle logout: the minutes of the limit, for the login page.
IDLE_LOGOUT_KEY = "idle_logged_out"


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            limit = settings.ADMIN_IDLE_TIMEOUT_SECONDS if user.is_staff else settings.IDLE_TIMEOUT_SECONDS
            now = int(time.time())
            last = request.session.get(_KEY)
            if last is not None and now - int(last) > limit:
                logout(request)
                request.session[IDLE_LOGOUT_KEY] = limit // 60
            else:
                request.session[_KEY] = now
                request.session.set_expiry(limit)
        return self.get_response(request)
