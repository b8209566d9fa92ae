"""The working calendar: Chinese public holidays and make-up workdays (``chinese_calendar``), or Mon–Fri.

Parameter ``calendar.use_chinese_holidays`` switches between the two. A year the installed
``chinesecalendar`` release does not know raises ``CalendarNotCovered`` instead of guessing
(DOMAIN.md §0): the State Council announces each year's holidays around November.

Conventions: ``add_workdays(d, n)`` is the n-th working day after ``d`` (``d`` itself not counted;
n=0 gives ``d`` rolled forward to a working day); ``workdays_between(a, b)`` counts working days
``a < day <= b``, so ``workdays_between(d, add_workdays(d, n)) == n`` when ``d`` is a working day;
``next_workday(d)`` is the first working day strictly after ``d``; ``roll_forward(d)`` is ``d`` if it is a
working day, else the next one.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import chinese_calendar
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesdesk.core.errors import DomainError
from salesdesk.core.parameters import get_parameter

ONE_DAY = dt.timedelta(days=1)
# Holiday names as chinese_calendar spells them → translatable labels.
HOLIDAY_LABELS = {
    "New Year's Day": gettext_lazy("New Year's Day"),
    "Spring Festival": gettext_lazy("Spring Festival"),
    "Tomb-sweeping Day": gettext_lazy("Tomb-sweeping Day"),
    "Labour Day": gettext_lazy("Labour Day"),
    "Dragon Boat Festival": gettext_lazy("Dragon Boat Festival"),
    "National Day": gettext_lazy("National Day"),
    "Mid-autumn Festival": gettext_lazy("Mid-autumn Festival"),
}


class CalendarNotCovered(DomainError):
    """The holiday calendar for a year is not known yet (update chinesecalendar)."""

    code = "calendar_not_covered"
    status = 409

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            _(
                "The working calendar for %(year)d is not available yet: update the chinesecalendar "
                "package after the State Council announces the holidays."
            )
            % {"year": year}
        )


@lru_cache(maxsize=8192)
def _chinese_workday(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        raise CalendarNotCovered(day.year) from None


class WorkCalendar:
    """A calendar with the parameter read once; the module functions build one per call.

    ``fallback_weekdays=True`` counts Monday–Friday in a year ``chinese_calendar`` does not cover instead
    of raising ``CalendarNotCovered``: for background estimates (alert scans, a payment due date) that
    must not stop on next year's calendar. Where a person picks a date, keep the strict default.
    """

    def __init__(self, use_holidays: bool | None = None, *, fallback_weekdays: bool = False) -> None:
        self.use_holidays = (
            bool(get_parameter("calendar.use_chinese_holidays")) if use_holidays is None else use_holidays
        )
        self.fallback_weekdays = fallback_weekdays

    def is_workday(self, day: dt.date) -> bool:
        if self.use_holidays:
            try:
                return _chinese_workday(day)
            except CalendarNotCovered:
                if not self.fallback_weekdays:
                    raise
        return day.weekday() < 5

    def roll_forward(self, day: dt.date) -> dt.date:
        while not self.is_workday(day):
            day += ONE_DAY
        return day

    def next_workday(self, day: dt.date) -> dt.date:
        return self.roll_forward(day + ONE_DAY)

    def add_workdays(self, day: dt.date, n: int) -> dt.date:
        if n == 0:
            return self.roll_forward(day)
        step = ONE_DAY if n > 0 else -ONE_DAY
        remaining = abs(n)
        while remaining:
            day += step
            if self.is_workday(day):
                remaining -= 1
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        if end < start:
            return -self.workdays_between(end, start)
        count = 0
        day = start
        while day < end:
            day += ONE_DAY
            if self.is_workday(day):
                count += 1
        return count

    def holidays_between(self, start: dt.date, end: dt.date) -> list[tuple[str, dt.date, dt.date]]:
        """Public holidays (label, first day, last day) overlapping ``start..end``; none when switched off."""
        if not self.use_holidays:
            return []
        found: dict[str, list[dt.date]] = {}
        day = start
        while day <= end:
            try:
                is_holiday, name = chinese_calendar.get_holiday_detail(day)
            except NotImplementedError:
                if not self.fallback_weekdays:
                    raise CalendarNotCovered(day.year) from None
                is_holiday, name = False, None
            if is_holiday and name and not self.is_workday(day):
                found.setdefault(name, []).append(day)
            day += ONE_DAY
        return [(str(HOLIDAY_LABELS.get(name, name)), days[0], days[-1]) for name, days in found.items()]


def is_workday(d: dt.date) -> bool:
    """Whether ``d`` is a working day (make-up Saturdays are; public holidays are not)."""
    return WorkCalendar().is_workday(d)


def add_workdays(d: dt.date, n: int) -> dt.date:
    """The n-th working day after ``d`` (``d`` not counted); n=0 rolls ``d`` forward to a working day."""
    return WorkCalendar().add_workdays(d, n)


def workdays_between(a: dt.date, b: dt.date) -> int:
    """Working days ``a < day <= b`` (negative when ``b`` is before ``a``)."""
    return WorkCalendar().workdays_between(a, b)


def workdays_between_lenient(a: dt.date, b: dt.date) -> int:
    """``workdays_between`` counting Monday–Friday in years the holiday calendar does not cover yet."""
    return WorkCalendar(fallback_weekdays=True).workdays_between(a, b)


def next_workday(d: dt.date) -> dt.date:
    """The first working day strictly after ``d``."""
    return WorkCalendar().next_workday(d)


def roll_forward(d: dt.date) -> dt.date:
    """``d`` when it is a working day, else the next working day."""
    return WorkCalendar().roll_forward(d)
