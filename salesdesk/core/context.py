"""The current request's client address, for audit entries written deep inside services; work to do
once the response has gone (``after_response``)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.core.signals import request_finished, request_started
from django.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)

current_ip: ContextVar[str | None] = ContextVar("current_ip", default=None)
_after_response: ContextVar[list[Callable[[], object]] | None] = ContextVar("after_response", default=None)


def after_response(work: Callable[[], object]) -> None:
    """Run ``work`` when the request is finished — after the server has sent the response, so the
    client does not wait for it (housekeeping: sealing the audit chain) — once however often it is
    asked for in the request; outside a request (commands, tasks, tests calling services), now."""
    queue = _after_response.get()
    if queue is None:
        work()
    elif work not in queue:
        queue.append(work)


def _request_begins(**kwargs: Any) -> None:
    _after_response.set([])


def _request_ends(**kwargs: Any) -> None:
    queue = _after_response.get()
    _after_response.set(None)
    if not queue:
        return
    for work in queue:
        try:
            work()
        except Exception:  # the response is gone: log, go on with the rest
            log.exception("work after the response failed: %r", work)


request_started.connect(_request_begins, dispatch_uid="core.context.request_started")
request_finished.connect(_request_ends, dispatch_uid="core.context.request_finished")


def client_ip(request: HttpRequest) -> str | None:
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = current_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            current_ip.reset(token)
