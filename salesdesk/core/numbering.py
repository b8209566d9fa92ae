"""Gapless document numbers per (prefix, business date), e.g. XSDD20261122-0001 (DOMAIN.md §4.2)."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone

from .models import Sequence


def business_date(moment: dt.datetime | None = None) -> dt.date:
    """The business date in Asia/Shanghai (the configured TIME_ZONE)."""
    return timezone.localdate(moment or timezone.now())


def next_number(prefix: str, *, on: dt.date | None = None) -> str:
    """Take the next number inside the caller's transaction; the row lock orders concurrent callers.

    One statement — an upsert that creates the day's counter at 1 or adds 1 to it and returns the value
    (PostgreSQL, and SQLite ≥ 3.35). The updated row stays locked until the caller's transaction ends, so
    a rolled-back order gives its number back and numbers stay gapless: take the number as late in the
    transaction as possible, the lock is what concurrent creations wait for.
    """
    day = on or business_date()
    table = connection.ops.quote_name(Sequence._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (prefix, day, last_value) VALUES (%s, %s, 1) "
            f"ON CONFLICT (prefix, day) DO UPDATE SET last_value = {table}.last_value + 1 "
            "RETURNING last_value",
            [prefix, day],
        )
        value = int(cursor.fetchone()[0])
    width = 4 if value <= 9999 else len(str(value))
    return f"{prefix}{day:%Y%m%d}-{value:0{width}d}"
