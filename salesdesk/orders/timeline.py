"""Writing the order timeline from other areas (plans, queues): one public function, no status change."""

from __future__ import annotations

import datetime as dt
from typing import Any

from salesdesk.core.context import current_ip

from .models import OrderEvent, SalesOrder


def record_order_event(
    *, order: SalesOrder, type: str, by: Any, data: dict[str, Any] | None = None
) -> OrderEvent:
    """Append one event to the order's timeline (call inside the caller's transaction)."""
    user = by if getattr(by, "pk", None) else None
    return OrderEvent.objects.create(
        order=order,
        type=type,
        actor=user,
        actor_name=user.display_name if user else "",
        ip=current_ip.get(),
        data=data or {},
    )


def record_promised_date(*, order: SalesOrder, promised_date: dt.date | None) -> None:
    """Keep the promise date computed by the plan on the order (no version bump: not a document edit)."""
    SalesOrder.objects.filter(pk=order.pk).update(promised_date=promised_date)
    order.promised_date = promised_date
