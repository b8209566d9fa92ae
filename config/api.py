"""The NinjaAPI: one router per domain and the error handlers that give every refusal one shape.

Errors are ``{"code", "message", "fields"}``: 422 for bad input, 409 for a conflict with the
current state, 404 for what the caller may not see, 401/403 for authentication and permission.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from salesdesk.api import auth, catalog, customers, fulfillment, inventory, orders, pricing, shipping, system
from salesdesk.api.common import AUTH
from salesdesk.core.errors import DomainError

api = NinjaAPI(
    title="SalesDesk API",
    version="1",
    description="销售订单管理系统 REST API. Authenticate with POST /api/auth/token, then "
    "`Authorization: Bearer <token>`. Money and quantities are decimal strings.",
    auth=AUTH,
    urls_namespace="api",
    docs_url="/docs",
)

api.add_router("/auth", auth.router)
api.add_router("/", system.router)
api.add_router("/customers", customers.router)
api.add_router("/", catalog.router)
api.add_router("/", inventory.router)
api.add_router("/pricing", pricing.router)
# Fulfillment and shipping add paths under /api/orders/{id}/… : register them before the orders router,
# whose /orders/{id}/{action} pattern would otherwise take those paths.
api.add_router("/", fulfillment.router)
api.add_router("/", shipping.router)
api.add_router("/orders", orders.router)


def _body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "fields": fields or {}}


def _field_path(loc: list[Any] | tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    # ninja locations look like ("body", "payload", "contacts", 0, "mobile") or ("query", "limit")
    if parts and parts[0] in {"body", "query", "path", "form", "header", "cookie", "file"}:
        parts = parts[1:]
        if parts and parts[0] == "payload":
            parts = parts[1:]
    return ".".join(parts) or "__all__"


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        message = err.get("msg", "")
        if err.get("type") == "missing":
            message = _("This field is required.")
        elif message.startswith("Value error, "):
            message = message[len("Value error, ") :]
        fields.setdefault(_field_path(err.get("loc", ())), []).append(str(message))
    return api.create_response(
        request, _body("validation_error", _("Please correct the errors below."), fields), status=422
    )


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, _body("not_found", _("Not found.")), status=404)


@api.exception_handler(ObjectDoesNotExist)
def on_does_not_exist(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, _body("not_found", _("Not found.")), status=404)


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(
        request, _body("unauthenticated", _("Log in or send a valid bearer token.")), status=401
    )


@api.exception_handler(PermissionDenied)
def on_forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(
        request, _body("forbidden", _("You do not have permission to do this.")), status=403
    )


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, _body("http_error", str(exc)), status=exc.status_code)
