"""What every router shares: authentication, permission checks, pagination and error bodies."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.security import HttpBearer, SessionAuth

from salesdesk.accounts.services import user_for_token
from salesdesk.core.errors import Forbidden


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` from ``POST /api/auth/token``."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


AUTH = [TokenAuth(), SessionAuth()]


class ErrorOut(Schema):
    code: str
    message: str
    fields: dict[str, list[str]] = {}


class PageParams(Schema):
    q: str = ""
    limit: int = 50
    offset: int = 0


def require_perm(request: HttpRequest, *perms: str) -> None:
    """Refuse with 403 unless the caller holds every permission named."""
    user = request.user
    if not all(user.has_perm(p) for p in perms):
        raise Forbidden(_("You do not have permission to do this."))


def clamp_page(limit: int, offset: int) -> tuple[int, int]:
    return max(1, min(limit, 200)), max(0, offset)


def error_responses(*codes: int) -> dict[int, type[ErrorOut]]:
    return {code: ErrorOut for code in codes}
