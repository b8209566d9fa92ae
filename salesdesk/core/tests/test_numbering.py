from datetime import date

import pytest

from salesdesk.core.models import Sequence
from salesdesk.core.numbering import next_number

pytestmark = pytest.mark.django_db


def test_numbers_count_up_per_prefix_and_day():
    assert next_number("XSDD", on=date(2026, 11, 22)) == "XSDD20261122-0001"
    assert next_number("XSDD", on=date(2026, 11, 22)) == "XSDD20261122-0002"


def test_a_new_day_restarts_at_one():
    next_number("XSDD", on=date(2026, 11, 22))
    next_number("XSDD", on=date(2026, 11, 22))

    assert next_number("XSDD", on=date(2026, 11, 23)) == "XSDD20261123-0001"


def test_prefixes_count_separately():
    next_number("XSDD", on=date(2026, 11, 22))

    assert next_number("FHD", on=date(2026, 11, 22)) == "FHD20261122-0001"


def test_width_grows_past_9999():
    Sequence.objects.create(prefix="XSDD", day=date(2026, 11, 22), last_value=9998)

    assert next_number("XSDD", on=date(2026, 11, 22)) == "XSDD20261122-9999"
    assert next_number("XSDD", on=date(2026, 11, 22)) == "XSDD20261122-10000"


def test_a_late_number_in_an_insert_block_is_the_next_one_and_taken_with_the_rows():
    """``late_number`` inside ``insert_together``: on PostgreSQL the block's one statement takes it (the
    same form as ``next_number``, widening past 9999); the counter goes on from it."""
    import datetime as dt

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from salesdesk.core.compiled import insert, insert_together
    from salesdesk.core.models import AuditLog
    from salesdesk.core.numbering import late_number

    Sequence.objects.create(prefix="XSDD", day=date(2026, 11, 22), last_value=9999)
    number = late_number("XSDD", on=date(2026, 11, 22))
    entry = AuditLog(
        created_at=dt.datetime(2026, 11, 22, 9, tzinfo=dt.UTC),
        hash="n1",
        object_repr=number,  # type: ignore[misc]
        object_id="",
    )
    with CaptureQueriesContext(connection) as statements, insert_together():
        insert([entry])
    assert len(statements) == (1 if connection.vendor == "postgresql" else 2)  # elsewhere: number, insert
    assert entry.object_repr == number.value == "XSDD20261122-10000"
    assert AuditLog.objects.get(pk=entry.pk).object_repr == "XSDD20261122-10000"
    assert next_number("XSDD", on=date(2026, 11, 22)) == "XSDD20261122-10001"
