import datetime as dt

import pytest

from salesdesk.core.models import Parameter
from salesdesk.fulfillment.calendar import (
    CalendarNotCovered,
    WorkCalendar,
    add_workdays,
    is_workday,
    next_workday,
    roll_forward,
    workdays_between,
)

pytestmark = pytest.mark.django_db
D = dt.date


def test_spring_festival_2026_is_off_and_makeup_saturday_is_a_workday() -> None:
    # State Council 2026 notice as chinese_calendar has it: 2026-02-15..23 off, Sat 2026-02-14 worked.
    assert [is_workday(D(2026, 2, day)) for day in range(15, 24)] == [False] * 9
    assert is_workday(D(2026, 2, 14)) is True  # 调休 make-up Saturday
    assert is_workday(D(2026, 2, 24)) is True
    assert is_workday(D(2026, 2, 28)) is True  # the second make-up Saturday of the notice
    assert is_workday(D(2026, 3, 7)) is False  # an ordinary Saturday


def test_add_workdays_across_the_spring_festival() -> None:
    assert add_workdays(D(2026, 2, 13), 1) == D(2026, 2, 14)  # Friday + 1 = the make-up Saturday
    assert add_workdays(D(2026, 2, 13), 2) == D(2026, 2, 24)  # then nine days off
    assert add_workdays(D(2026, 2, 12), 5) == D(2026, 2, 26)
    assert add_workdays(D(2026, 2, 24), -1) == D(2026, 2, 14)
    assert workdays_between(D(2026, 2, 13), D(2026, 2, 27)) == 5
    assert next_workday(D(2026, 2, 14)) == D(2026, 2, 24)
    assert roll_forward(D(2026, 2, 16)) == D(2026, 2, 24)
    assert add_workdays(D(2026, 2, 16), 0) == D(2026, 2, 24)


def test_national_day_2026() -> None:
    assert [is_workday(D(2026, 10, day)) for day in range(1, 8)] == [False] * 7
    assert is_workday(D(2026, 10, 10)) is True  # make-up Saturday
    assert add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert add_workdays(D(2026, 10, 9), 1) == D(2026, 10, 10)
    assert workdays_between(D(2026, 9, 30), D(2026, 10, 12)) == 4  # 8, 9, 10 (Sat), 12


def test_parameter_off_gives_monday_to_friday() -> None:
    Parameter.objects.update_or_create(key="calendar.use_chinese_holidays", defaults={"value": False})
    assert is_workday(D(2026, 2, 16)) is True  # a Monday in the holidays
    assert is_workday(D(2026, 2, 14)) is False  # a Saturday, make-up or not
    assert add_workdays(D(2026, 2, 13), 1) == D(2026, 2, 16)
    assert workdays_between(D(2026, 9, 30), D(2026, 10, 12)) == 8


def test_uncovered_year_raises_in_chinese() -> None:
    with pytest.raises(CalendarNotCovered) as exc:
        add_workdays(D(2099, 3, 2), 1)
    assert exc.value.code == "calendar_not_covered"
    assert "2099" in exc.value.message
    assert "工作日历" in exc.value.message


def test_holidays_between_names_the_spring_festival() -> None:
    cal = WorkCalendar(use_holidays=True)
    assert cal.holidays_between(D(2026, 2, 10), D(2026, 2, 27)) == [("春节", D(2026, 2, 15), D(2026, 2, 23))]


def test_fallback_weekdays_counts_monday_to_friday_in_an_uncovered_year() -> None:
    from salesdesk.fulfillment.calendar import CalendarNotCovered, WorkCalendar, workdays_between_lenient

    lenient = WorkCalendar(use_holidays=True, fallback_weekdays=True)
    assert lenient.is_workday(dt.date(2027, 1, 1)) is True  # a Friday: the 2027 holidays are not known
    assert lenient.is_workday(dt.date(2027, 1, 2)) is False
    assert lenient.workdays_between(dt.date(2026, 12, 31), dt.date(2027, 1, 8)) == 6
    assert lenient.is_workday(dt.date(2026, 10, 1)) is False  # a covered year keeps its holidays
    with pytest.raises(CalendarNotCovered):
        WorkCalendar(use_holidays=True).is_workday(dt.date(2027, 1, 1))
    assert workdays_between_lenient(dt.date(2027, 3, 5), dt.date(2027, 3, 12)) == 5
