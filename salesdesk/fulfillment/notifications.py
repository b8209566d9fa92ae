"""In-app notifications and the delivery channels behind them (issue 4, C7 collaboration).

``notify`` writes the in-app row (that *is* the in-app channel) and, once the transaction commits,
enqueues the django-tasks task ``deliver_notification``. That task calls every registered channel
(``register_channel("email", fn)``); none is registered by default. See docs/operations.md.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django_tasks import task

from salesdesk.accounts.models import User
from salesdesk.core.errors import Forbidden, NotFound
from salesdesk.orders.models import SalesOrder

from .models import Notification

logger = logging.getLogger(__name__)

Channel = Callable[[Notification], None]

_CHANNELS: dict[str, Channel] = {}


def register_channel(name: str, fn: Channel) -> None:
    """Register (or replace) a delivery channel: ``fn(notification)`` is called by the background task."""
    _CHANNELS[name] = fn


def unregister_channel(name: str) -> None:
    _CHANNELS.pop(name, None)


def registered_channels() -> dict[str, Channel]:
    return dict(_CHANNELS)


@task()
def deliver_notification(notification_id: int) -> list[str]:
    """Hand one notification to every registered channel; a failing channel does not stop the others.

    Returns the names of the channels that delivered it.
    """
    notification = (
        Notification.objects.select_related("recipient", "order").filter(pk=notification_id).first()
    )
    if notification is None:
        return []
    delivered: list[str] = []
    for name, fn in list(_CHANNELS.items()):
        try:
            fn(notification)
        except Exception:
            logger.exception("notification channel %s failed for notification %s", name, notification_id)
        else:
            delivered.append(name)
    return delivered


def _enqueue_delivery(notification_id: int) -> None:
    if not _CHANNELS:
        return
    deliver_notification.enqueue(notification_id)


@transaction.atomic
def notify(
    *,
    recipient: User,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    order: SalesOrder | None = None,
) -> Notification:
    """Create the in-app notification and queue its delivery to the registered channels after commit."""
    notification = Notification.objects.create(
        recipient=recipient,
        kind=kind,
        title=str(title)[:200],
        body=str(body),
        url=str(url)[:200],
        order=order,
    )
    notification_id = notification.pk
    transaction.on_commit(lambda: _enqueue_delivery(notification_id))
    return notification


def notify_many(*, notifications: list[Notification]) -> list[Notification]:
    """Bulk variant used by the alert scan: one INSERT, then one delivery task per row after commit."""
    if not notifications:
        return []
    with transaction.atomic():
        created = Notification.objects.bulk_create(notifications, batch_size=2000)
        ids = [n.pk for n in created if n.pk is not None]

        def _deliver_all() -> None:
            for pk in ids:
                _enqueue_delivery(pk)

        transaction.on_commit(_deliver_all)
    return created


@transaction.atomic
def mark_read(*, notification: Notification, by: User) -> Notification:
    """Mark one of the user's own notifications read (idempotent)."""
    if notification.recipient_id != by.pk:
        raise Forbidden()
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def mark_all_read(*, by: User) -> int:
    """Mark every unread notification of the user read; returns how many changed."""
    return Notification.objects.filter(recipient=by, read_at__isnull=True).update(read_at=timezone.now())


def unread_count(user: User) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def list_notifications(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    """The user's inbox: unread first, newest first."""
    qs = Notification.objects.filter(recipient=user).select_related("order")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by(F("read_at").asc(nulls_first=True), "-id")


def get_notification(*, user: User, pk: int) -> Notification:
    """One of the user's notifications (404 for anyone else's)."""
    notification = Notification.objects.filter(recipient=user, pk=pk).first()
    if notification is None:
        raise NotFound()
    return notification
