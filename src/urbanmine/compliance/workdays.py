"""Working-day calendars for reporting deadlines: weekends off, holidays off, adjusted working
days (China's 调休 weekend days worked) on.

``china_calendar()`` takes the State Council holiday arrangements from the ``chinesecalendar``
package (it covers the years it ships, 2004-2026 in version 1.11); outside those years a
calendar must be given explicitly (holidays and adjusted working days).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from urbanmine.errors import InputError

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class WorkCalendar:
    """Working days: Monday-Friday except ``holidays``, plus the weekend days in ``workdays``.

    ``covers`` (first, last) bounds the dates the calendar knows; asking outside raises
    ``InputError``; None means the calendar is taken as complete for every date.
    """

    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()
    covers: tuple[dt.date, dt.date] | None = None
    name: str = "weekends-only calendar"

    def is_working_day(self, day: dt.date) -> bool:
        if self.covers is not None and not self.covers[0] <= day <= self.covers[1]:
            raise InputError(
                f"the {self.name} covers {self.covers[0].isoformat()} to "
                f"{self.covers[1].isoformat()}, not {day.isoformat()}; give holidays and workdays "
                "explicitly with calendar = 'weekends'"
            )
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The ``n``-th working day after ``start`` (``start`` itself is not counted)."""
        if n < 1:
            raise InputError(f"a deadline needs at least 1 working day, got {n}")
        day, counted = start, 0
        while counted < n:
            day += ONE_DAY
            counted += self.is_working_day(day)
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 if ``end <= start``)."""
        count, day = 0, start
        while day < end:
            day += ONE_DAY
            count += self.is_working_day(day)
        return count

    def with_days(
        self, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = ()
    ) -> WorkCalendar:
        """This calendar with extra holidays and adjusted working days."""
        return WorkCalendar(
            self.holidays | frozenset(holidays),
            self.workdays | frozenset(workdays),
            self.covers,
            self.name,
        )


@cache
def china_calendar() -> WorkCalendar:
    """Mainland China working days from ``chinesecalendar`` (statutory holidays and 调休)."""
    from chinese_calendar import constants

    holidays = frozenset(constants.holidays)
    workdays = frozenset(constants.workdays)
    first = dt.date(min(d.year for d in holidays), 1, 1)
    last = dt.date(max(d.year for d in holidays), 12, 31)
    return WorkCalendar(holidays, workdays, (first, last), "cn calendar (chinesecalendar)")


CALENDARS = ("cn", "weekends")
"""Named base calendars: ``cn`` (State Council arrangements) or ``weekends`` (Mon-Fri only)."""


def calendar_named(name: str) -> WorkCalendar:
    if name == "cn":
        return china_calendar()
    if name == "weekends":
        return WorkCalendar()
    raise InputError(f"unknown calendar {name!r}; allowed: {', '.join(CALENDARS)}")
