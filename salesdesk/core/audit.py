"""Write and verify the append-only audit log (C17, DOMAIN.md §9.4 安全审计)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .context import current_ip
from .models import AuditLog, Sequence

_LOCK_DAY = dt.date(1970, 1, 1)


def _digest(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


def _hashed_fields(entry: AuditLog) -> dict[str, Any]:
    return {
        "created_at": entry.created_at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_repr": entry.object_repr,
        "is_success": entry.is_success,
        "ip": entry.ip,
        "data": entry.data,
    }


@transaction.atomic
def record_audit(
    *,
    action: str,
    by: Any = None,
    obj: models.Model | None = None,
    data: dict[str, Any] | None = None,
    is_success: bool = True,
    ip: str | None = None,
    actor_name: str = "",
) -> AuditLog:
    """Append one entry, chained to the previous one; concurrent writers are serialised."""
    lock, _ = Sequence.objects.get_or_create(prefix="__audit__", day=_LOCK_DAY)
    Sequence.objects.select_for_update().filter(pk=lock.pk).first()
    last = AuditLog.objects.order_by("-id").values_list("hash", flat=True).first() or ""
    user = by if getattr(by, "pk", None) else None
    entry = AuditLog(
        created_at=timezone.now().replace(microsecond=0),
        actor=user,
        actor_name=actor_name or (getattr(user, "username", "") if user else ""),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        is_success=is_success,
        ip=ip or current_ip.get(),
        data=json.loads(json.dumps(data or {}, ensure_ascii=False, default=str)),
        prev_hash=last,
    )
    entry.hash = _digest(last, _hashed_fields(entry))
    entry.save(force_insert=True)
    return entry


def verify_audit_chain() -> int | None:
    """Return the id of the first entry whose hash does not match, or None when the chain holds."""
    prev = ""
    for entry in AuditLog.objects.order_by("id").iterator(chunk_size=2000):
        if entry.prev_hash != prev or entry.hash != _digest(prev, _hashed_fields(entry)):
            return entry.id
        prev = entry.hash
    return None
