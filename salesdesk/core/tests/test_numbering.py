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
