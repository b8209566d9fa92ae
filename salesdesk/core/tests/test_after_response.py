"""Work done once the response has gone (``core.context.after_response``), e.g. sealing the audit chain."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from salesdesk.core import audit
from salesdesk.core.audit import is_sealed, record_audit
from salesdesk.core.context import after_response
from salesdesk.core.models import AuditLog


@pytest.fixture(autouse=True)
def _requests_as_the_test_client_makes_them() -> Iterator[None]:
    """Start and finish "requests" by their signals, without Django closing the test's connection at
    the end (the test client does the same); no request left open for the next test."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_finished.send(sender=None)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_outside_a_request_the_work_runs_now() -> None:
    done: list[str] = []
    after_response(lambda: done.append("now"))
    assert done == ["now"]


def test_in_a_request_the_work_runs_once_when_it_has_finished() -> None:
    done: list[str] = []

    def work() -> None:
        done.append("after")

    request_started.send(sender=None)
    after_response(work)
    after_response(work)  # asked twice: done once
    assert done == []
    request_finished.send(sender=None)
    assert done == ["after"]
    after_response(work)  # the request is over: at once again
    assert done == ["after", "after"]


def test_a_failing_work_is_logged_and_the_others_still_run(caplog: pytest.LogCaptureFixture) -> None:
    done: list[str] = []

    def broken() -> None:
        raise RuntimeError("boom")

    request_started.send(sender=None)
    after_response(broken)
    after_response(lambda: done.append("second"))
    with caplog.at_level(logging.ERROR, logger="salesdesk.core.context"):
        request_finished.send(sender=None)
    assert done == ["second"]
    assert "work after the response failed" in caplog.text


@pytest.mark.django_db
def test_an_audit_entry_committed_in_a_request_is_sealed_after_it(
    admin_user: object, django_capture_on_commit_callbacks: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit, "_last_seal", [0.0])  # due: no seal in this process yet
    request_started.send(sender=None)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        record_audit(action="test.after", by=admin_user)
    entry = AuditLog.objects.get(action="test.after")
    assert not is_sealed(entry)  # committed, the response not sent yet
    request_finished.send(sender=None)
    entry.refresh_from_db()
    assert is_sealed(entry)
