"""Background tasks (django-tasks): the alert scan, escalation, the daily digest, notification delivery.

``manage.py run_scheduler`` enqueues the first three on their schedule; the worker
(``manage.py db_worker``) runs them. ``deliver_notification`` lives in ``notifications`` and is
re-exported here so every task of the app is found in one place.
"""

from __future__ import annotations

from typing import Any

from django_tasks import task

from . import alerts
from .notifications import deliver_notification

__all__ = ["daily_digest_task", "deliver_notification", "escalate_alerts_task", "scan_alerts_task"]


@task()
def scan_alerts_task() -> dict[str, Any]:
    """Evaluate every alert rule (every five minutes)."""
    result = alerts.scan_alerts()
    return {
        "raised": result.raised,
        "cleared": result.cleared,
        "open": result.open,
        "by_rule": result.by_rule,
    }


@task()
def escalate_alerts_task() -> int:
    """Tell managers about alerts left unacknowledged too long (hourly)."""
    return alerts.escalate_alerts()


@task()
def daily_digest_task() -> int:
    """One digest notification per user with open alerts (daily, 08:00 Asia/Shanghai)."""
    return alerts.daily_digest()
