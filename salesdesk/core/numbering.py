"""Gapless document numbers per (prefix, business date), e.g. XSDD20261122-0001 (DOMAIN.md §4.2)."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone

from .compiled import Late
from .models import Sequence


def business_date(moment: dt.datetime | None = None) -> dt.date:
    """The business date in Asia/Shanghai (the configured TIME_ZONE)."""
    return timezone.localdate(moment or timezone.now())


def _take_sql(returning: str) -> str:
    """One statement: an upsert that creates the day's counter at 1 or adds 1 to it (PostgreSQL, and
    SQLite ≥ 3.35); the updated row stays locked until the transaction ends."""
    table = connection.ops.quote_name(Sequence._meta.db_table)
    return (
        f"INSERT INTO {table} (prefix, day, last_value) VALUES (%s, %s, 1) "
        f"ON CONFLICT (prefix, day) DO UPDATE SET last_value = {table}.last_value + 1 "
        f"RETURNING {returning}"
    )


# The number's form in SQL (PostgreSQL): prefix, YYYYMMDD, "-", the value zero-padded to 4 digits and
# wider past 9999 — the same as _format below; the tests run the same vectors through both.
_FORMATTED = (
    "prefix || to_char(day, 'YYYYMMDD') || '-' "
    "|| lpad(CAST(last_value AS text), greatest(4, length(CAST(last_value AS text))), '0') AS value"
)


def _format(prefix: str, day: dt.date, value: int) -> str:
    width = 4 if value <= 9999 else len(str(value))
    return f"{prefix}{day:%Y%m%d}-{value:0{width}d}"


def next_number(prefix: str, *, on: dt.date | None = None) -> str:
    """Take the next number inside the caller's transaction; the row lock orders concurrent callers.

    The updated counter row stays locked until the caller's transaction ends, so a rolled-back
    document gives its number back and numbers stay gapless: take the number as late in the
    transaction as possible (``late_number``), the lock is what concurrent creations wait for.
    """
    day = on or business_date()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_take_sql(_FORMATTED), [prefix, day])
            return str(cursor.fetchone()[0])
        cursor.execute(_take_sql("last_value"), [prefix, day])
        return _format(prefix, day, int(cursor.fetchone()[0]))


def late_number(prefix: str, *, on: dt.date | None = None) -> Late:
    """The next number as a ``compiled.Late``: taken when the rows that carry it are written — inside
    ``insert_together`` on PostgreSQL by the block's own statement (the upsert is part of it), so the
    counter row is locked for that statement and the commit only."""
    day = on or business_date()
    sql = (_take_sql(_FORMATTED), [prefix, day]) if connection.vendor == "postgresql" else None
    return Late(lambda: next_number(prefix, on=day), sql=sql)
