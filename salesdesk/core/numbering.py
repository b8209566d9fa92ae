"""Gapless document numbers per (prefix, business date), e.g. XSDD20261122-0001 (DOMAIN.md §4.2)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import Sequence


def business_date(moment: dt.datetime | None = None) -> dt.date:
    """The business date in Asia/Shanghai (the configured TIME_ZONE)."""
    return timezone.localdate(moment or timezone.now())


def next_number(prefix: str, *, on: dt.date | None = None) -> str:
    """Take the next number inside the caller's transaction; the row lock orders concurrent callers."""
    day = on or business_date()
    with transaction.atomic():
        seq, _ = Sequence.objects.get_or_create(prefix=prefix, day=day)
        Sequence.objects.filter(pk=seq.pk).update(last_value=F("last_value") + 1)
        value = Sequence.objects.select_for_update().values_list("last_value", flat=True).get(pk=seq.pk)
    width = 4 if value <= 9999 else len(str(value))
    return f"{prefix}{day:%Y%m%d}-{value:0{width}d}"
