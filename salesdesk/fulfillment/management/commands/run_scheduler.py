"""Enqueue the periodic fulfillment tasks: alert scan every 5 minutes, escalation hourly, digest at 08:00.

The scheduler only enqueues; the django-tasks worker runs the tasks. Interval jobs remember their last
enqueue in memory (a restart runs them once more, which is harmless: the scan and the escalation are
idempotent). The daily digest must not repeat after a restart, so its marker is in the data: it is due
from 08:00 Asia/Shanghai when no digest notification has been written since then today.

``--once`` enqueues every job that is due now and exits (used by tests and cron-style setups).
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.core.management.base import BaseCommand
from django.utils import timezone

from salesdesk.fulfillment import tasks
from salesdesk.fulfillment.models import Notification
from salesdesk.fulfillment.models.collab import NotificationKind

SHANGHAI = ZoneInfo("Asia/Shanghai")
SCAN_EVERY = dt.timedelta(minutes=5)
ESCALATE_EVERY = dt.timedelta(hours=1)
DIGEST_AT = dt.time(8, 0)
TICK_SECONDS = 30.0


def digest_sent_since(moment: dt.datetime) -> bool:
    return Notification.objects.filter(kind=NotificationKind.DIGEST, created_at__gte=moment).exists()


@dataclass
class Scheduler:
    """Which jobs are due at a given time; ``run_due`` enqueues them and remembers when."""

    last_run: dict[str, dt.datetime] = field(default_factory=dict)
    enqueue: dict[str, Callable[[], Any]] = field(
        default_factory=lambda: {
            "scan_alerts": tasks.scan_alerts_task.enqueue,
            "escalate_alerts": tasks.escalate_alerts_task.enqueue,
            "daily_digest": tasks.daily_digest_task.enqueue,
        }
    )

    def _interval_due(self, name: str, every: dt.timedelta, now: dt.datetime) -> bool:
        last = self.last_run.get(name)
        return last is None or now - last >= every

    def _digest_due(self, now: dt.datetime) -> bool:
        local = now.astimezone(SHANGHAI)
        if local.time() < DIGEST_AT:
            return False
        today_at = dt.datetime.combine(local.date(), DIGEST_AT, tzinfo=SHANGHAI)
        last = self.last_run.get("daily_digest")
        if last is not None and last >= today_at:
            return False
        return not digest_sent_since(today_at)

    def due_jobs(self, now: dt.datetime) -> list[str]:
        due = []
        if self._interval_due("scan_alerts", SCAN_EVERY, now):
            due.append("scan_alerts")
        if self._interval_due("escalate_alerts", ESCALATE_EVERY, now):
            due.append("escalate_alerts")
        if self._digest_due(now):
            due.append("daily_digest")
        return due

    def run_due(self, now: dt.datetime) -> list[str]:
        due = self.due_jobs(now)
        for name in due:
            self.enqueue[name]()
            self.last_run[name] = now
        return due


class Command(BaseCommand):
    help = "Enqueue the alert scan (5 min), escalation (hourly) and the daily digest (08:00 Asia/Shanghai)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="Enqueue the jobs due now, then exit.")
        parser.add_argument(
            "--tick", type=float, default=TICK_SECONDS, help="Seconds between checks (default 30)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scheduler = Scheduler()
        stop = threading.Event()
        if not options["once"] and threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                signal.signal(sig, lambda *_: stop.set())
        while True:
            now = timezone.now()
            for name in scheduler.run_due(now):
                self.stdout.write(f"{timezone.localtime(now):%Y-%m-%d %H:%M:%S} enqueued {name}")
            if options["once"] or stop.wait(options["tick"]):
                break
