"""Notifications: the in-app row, the channel registry behind the delivery task, read state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.management import call_command

from salesdesk.core.errors import Forbidden
from salesdesk.fulfillment import notifications
from salesdesk.fulfillment.management.commands.run_scheduler import Scheduler
from salesdesk.fulfillment.models import Alert, Notification
from salesdesk.fulfillment.tests.test_alerts_factories import NOW, SHANGHAI, TODAY, add_step, confirmed_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def channels() -> Iterator[list[tuple[str, int]]]:
    seen: list[tuple[str, int]] = []
    notifications.register_channel("test-mail", lambda n: seen.append(("mail", n.pk)))
    yield seen
    notifications.unregister_channel("test-mail")
    notifications.unregister_channel("broken")


def test_notify_creates_the_in_app_row_and_delivers_after_commit(
    salesperson, channels, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        n = notifications.notify(
            recipient=salesperson, kind="mention", title="王经理提到了你", body="请确认交期"
        )
        assert channels == []  # nothing leaves before the transaction commits

    assert (n.recipient_id, n.kind, n.title, n.body, n.read_at) == (
        salesperson.pk,
        "mention",
        "王经理提到了你",
        "请确认交期",
        None,
    )
    assert channels == [("mail", n.pk)]
    assert notifications.unread_count(salesperson) == 1


def test_a_failing_channel_does_not_stop_the_others(
    salesperson, channels, django_capture_on_commit_callbacks
) -> None:
    def broken(_n: Any) -> None:
        raise RuntimeError("smtp down")

    notifications.register_channel("broken", broken)
    n = Notification.objects.create(recipient=salesperson, kind="info", title="x")

    assert notifications.deliver_notification.call(n.pk) == ["test-mail"]
    assert channels == [("mail", n.pk)]


def test_without_channels_only_the_in_app_row_exists(salesperson, django_capture_on_commit_callbacks) -> None:
    assert notifications.registered_channels() == {}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notifications.notify(recipient=salesperson, kind="info", title="提示")
    assert len(callbacks) == 1
    assert Notification.objects.count() == 1


def test_mark_read_own_only_and_mark_all(salesperson, other_salesperson) -> None:
    a = notifications.notify(recipient=salesperson, kind="info", title="a")
    notifications.notify(recipient=salesperson, kind="info", title="b")
    other = notifications.notify(recipient=other_salesperson, kind="info", title="c")

    with pytest.raises(Forbidden):
        notifications.mark_read(notification=other, by=salesperson)
    other.refresh_from_db()
    assert other.read_at is None

    notifications.mark_read(notification=a, by=salesperson)
    assert notifications.unread_count(salesperson) == 1
    assert [n.title for n in notifications.list_notifications(user=salesperson)] == ["b", "a"]  # unread first
    assert notifications.mark_all_read(by=salesperson) == 1
    assert notifications.unread_count(salesperson) == 0
    assert notifications.unread_count(other_salesperson) == 1


# --- the scheduler -------------------------------------------------------------------------------


def test_scheduler_once_enqueues_scan_and_escalation(salesperson) -> None:
    order = confirmed_order(salesperson)
    today = dt.date.today()
    add_step(
        order, start=today - dt.timedelta(days=10), due=today + dt.timedelta(days=30), status="in_progress"
    )

    call_command("run_scheduler", "--once", stdout=open("/dev/null", "w"))  # noqa: SIM115

    assert Alert.objects.filter(order=order, rule="step_at_risk", cleared_at__isnull=True).count() == 1


def _fake(names: list[str]) -> Scheduler:
    def recorder(name: str) -> Callable[[], None]:
        def record() -> None:
            names.append(name)

        return record

    return Scheduler(enqueue={n: recorder(n) for n in ("scan_alerts", "escalate_alerts", "daily_digest")})


def test_scheduler_intervals_and_the_daily_digest_at_eight() -> None:
    ran: list[str] = []
    s = _fake(ran)
    day = dt.datetime.combine(TODAY, dt.time(7, 50), tzinfo=SHANGHAI)
    m = dt.timedelta(minutes=1)
    assert s.run_due(day) == ["scan_alerts", "escalate_alerts"]
    assert s.run_due(day + 4 * m) == []
    assert s.run_due(day + 5 * m) == ["scan_alerts"]
    assert s.run_due(day + 11 * m) == ["scan_alerts", "daily_digest"]  # 08:01
    assert s.run_due(day + 61 * m) == ["scan_alerts", "escalate_alerts"]
    assert s.run_due(day + 70 * m) == ["scan_alerts"]
    tomorrow = day + dt.timedelta(days=1)
    assert s.run_due(tomorrow + m) == ["scan_alerts", "escalate_alerts"]  # 07:51: no digest yet
    assert s.run_due(tomorrow + 10 * m) == ["scan_alerts", "daily_digest"]
    assert ran.count("daily_digest") == 2


def test_digest_not_repeated_after_a_restart(salesperson) -> None:
    digest = Notification.objects.create(recipient=salesperson, kind="digest", title="每日摘要")
    Notification.objects.filter(pk=digest.pk).update(created_at=NOW - dt.timedelta(hours=1))  # 09:00 today

    assert _fake([]).due_jobs(NOW) == ["scan_alerts", "escalate_alerts"]

    Notification.objects.filter(pk=digest.pk).update(created_at=NOW - dt.timedelta(hours=3))  # 07:00
    assert _fake([]).due_jobs(NOW) == ["scan_alerts", "escalate_alerts", "daily_digest"]
