"""Write and verify the append-only audit log (C17, DOMAIN.md §9.4 安全审计).

Writers never wait for each other: ``record_audit`` is one INSERT of an *unsealed* row (its ``hash`` is
a unique placeholder starting with ``pending:``). ``seal_audit_chain`` then links the unsealed rows, in
id order, onto the end of the chain under one row lock (``core.Sequence`` "__audit__", whose
``last_value`` holds the id of the chain's last sealed row): ``prev_hash`` = the previous sealed row's
hash, ``hash`` = SHA-256(prev_hash + content). Sealing runs after the writer's commit (at most once a
second per process, skipped when another process is sealing), from ``seal_audit_task`` and before
``verify_audit_chain``. Because a row with a lower id can commit after a higher one was sealed, the
chain is the *sealing* order, not the id order: ``verify_audit_chain`` checks every sealed row's own
hash and that the links form one unbroken chain.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
import uuid
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone
from django_tasks import task

from .compiled import PkText, insert
from .context import after_response, current_ip
from .models import AUDIT_PENDING, AuditLog, Sequence

_LOCK_DAY = dt.date(1970, 1, 1)
_LOCK_PREFIX = "__audit__"
PENDING = AUDIT_PENDING
_SEAL_INTERVAL = 1.0  # seconds between opportunistic seals per process
_seal_state = threading.local()
_last_seal = [0.0]


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


def is_sealed(entry: AuditLog) -> bool:
    return not entry.hash.startswith(PENDING)


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
    """Append one unsealed entry (one INSERT, no lock); it is chained by ``seal_audit_chain``."""
    entry = audit_entry(
        action=action, by=by, obj=obj, data=data, is_success=is_success, ip=ip, actor_name=actor_name
    )
    entry.save(force_insert=True)
    transaction.on_commit(_seal_soon)
    return entry


def record_audits(entries: list[AuditLog]) -> list[AuditLog]:
    """Append several unsealed entries made with ``audit_entry`` in one INSERT (the actions of one
    request); they are sealed in id order, which is the order given."""
    if not entries:
        return []
    insert(entries)
    transaction.on_commit(_seal_soon)
    return entries


def audit_entry(
    *,
    action: str,
    by: Any = None,
    obj: models.Model | None = None,
    data: dict[str, Any] | None = None,
    is_success: bool = True,
    ip: str | None = None,
    actor_name: str = "",
    object_repr: Any = None,
) -> AuditLog:
    """An unsaved, unsealed entry (for ``record_audits``); ``object_repr``: what names the object, when
    not ``str(obj)`` (a ``compiled.Late`` number)."""
    user = by if getattr(by, "pk", None) else None
    object_id: Any = ""
    if obj is not None:  # an object still queued in an insert_together block: its id when written
        object_id = str(obj.pk) if obj.pk is not None else PkText(obj)
    return AuditLog(
        created_at=timezone.now().replace(microsecond=0),
        actor=user,
        actor_name=actor_name or (getattr(user, "username", "") if user else ""),
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=object_id,
        object_repr=object_repr if object_repr is not None else str(obj)[:200] if obj is not None else "",
        is_success=is_success,
        ip=ip or current_ip.get(),
        data=json.loads(json.dumps(data or {}, ensure_ascii=False, default=str)),
        prev_hash="",
        hash=PENDING + uuid.uuid4().hex,
    )


def _seal_soon() -> None:
    """After a commit: seal what is pending, at most once per ``_SEAL_INTERVAL`` in this process — in a
    request once its response has gone (the client does not wait for the chain)."""
    after_response(_seal_if_due)


def _seal_if_due() -> None:
    now = time.monotonic()
    if now - _last_seal[0] < _SEAL_INTERVAL or getattr(_seal_state, "busy", False):
        return
    _last_seal[0] = now
    _seal_state.busy = True
    try:
        seal_audit_chain(wait=False)
    finally:
        _seal_state.busy = False


def seal_audit_chain(*, wait: bool = True, batch: int = 2000) -> int:
    """Chain every committed unsealed entry, in id order, after the chain's last sealed row.

    Runs under the "__audit__" row lock; with ``wait=False`` it returns 0 at once when another
    process holds it (that one seals). Returns how many entries were sealed.
    """
    sealed = 0
    with transaction.atomic():
        lock = _seal_lock(wait)
        if lock is None:
            return 0
        prev = (
            AuditLog.objects.filter(pk=lock.last_value)
            .exclude(hash__startswith=PENDING)
            .values_list("hash", flat=True)
            .first()
            if lock.last_value
            else None
        )
        if prev is None:  # no mark yet, or its row is gone: the newest sealed row
            sealed_rows = AuditLog.objects.exclude(hash__startswith=PENDING).order_by("-id")
            prev = sealed_rows.values_list("hash", flat=True).first() or ""
        while True:
            rows = list(AuditLog.objects.filter(hash__startswith=PENDING).order_by("id")[:batch])
            links: list[tuple[int, str, str]] = []
            for entry in rows:
                entry.prev_hash, entry.hash = prev, _digest(prev, _hashed_fields(entry))
                links.append((entry.pk, entry.prev_hash, entry.hash))
                prev = entry.hash
            _write_links(links)
            sealed += len(rows)
            if rows:
                lock.last_value = rows[-1].pk
            if len(rows) < batch:
                break
        if sealed:
            Sequence.objects.filter(pk=lock.pk).update(last_value=lock.last_value)
    return sealed


def _seal_lock(wait: bool) -> Sequence | None:
    """The "__audit__" row, locked (created the first time); None when ``wait`` is False and another
    process holds it."""
    rows = Sequence.objects.select_for_update(skip_locked=not wait).filter(prefix=_LOCK_PREFIX, day=_LOCK_DAY)
    lock = rows.first()
    if lock is None and not Sequence.objects.filter(prefix=_LOCK_PREFIX, day=_LOCK_DAY).exists():
        Sequence.objects.get_or_create(prefix=_LOCK_PREFIX, day=_LOCK_DAY)
        lock = rows.first()
    return lock


def _write_links(links: list[tuple[int, str, str]]) -> None:
    """Set (id, prev_hash, hash) on many rows in one UPDATE joined to a VALUES list (PostgreSQL and
    SQLite ≥ 3.33 both name its columns column1, column2 …)."""
    if not links:
        return
    table = AuditLog._meta.db_table
    values = ", ".join(["(%s, %s, %s)"] * len(links))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET prev_hash = v.column2, hash = v.column3 "
            f"FROM (VALUES {values}) AS v WHERE {table}.id = v.column1",
            [value for link in links for value in link],
        )


@task()
def seal_audit_task() -> int:
    """Seal pending audit entries (for the scheduler; writers also seal after their commit)."""
    return seal_audit_chain()


def verify_audit_chain() -> int | None:
    """Seal what is pending, then return the id of the first entry that breaks the chain, or None.

    An entry breaks it when its hash does not match its content and ``prev_hash`` (changed row), when
    its ``prev_hash`` names no existing entry (the entry before it was deleted or rewritten), or when
    a second entry starts the chain or continues the same entry (a forged branch).
    """
    seal_audit_chain()
    broken: list[int] = []
    hashes: set[str] = set()
    links: list[tuple[int, str]] = []
    continued: set[str] = set()
    for entry in AuditLog.objects.order_by("id").iterator(chunk_size=2000):
        if not is_sealed(entry):  # committed during this check, after the seal above
            continue
        if entry.hash != _digest(entry.prev_hash, _hashed_fields(entry)):
            broken.append(entry.id)
        hashes.add(entry.hash)
        if entry.prev_hash in continued:
            broken.append(entry.id)
        continued.add(entry.prev_hash)
        links.append((entry.id, entry.prev_hash))
    for entry_id, prev_hash in links:
        if prev_hash and prev_hash not in hashes:
            broken.append(entry_id)
    return min(broken) if broken else None
