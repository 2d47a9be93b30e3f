"""The world's calendar: the anchor date, the clock, the history window and month/week arithmetic."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

# The world clock stands at this UTC time of the anchor day after generation: late enough that the
# day's work is in, early enough that it is still the anchor date in the Americas too.
CLOCK_TIME = time(18, 0, 0)
# Nothing is stamped later than now minus this: the Jira worklog feed hides the last minute, and
# a client syncing "up to now" must see everything.
QUIET_PERIOD = timedelta(minutes=5)


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after the month of ``day``."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return add_months(day, 1) - timedelta(days=1)


def months_between(first: date, last: date) -> Iterator[date]:
    """First days of every month from the month of ``first`` through the month of ``last``."""
    current = month_start(first)
    while current <= last:
        yield current
        current = add_months(current, 1)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekdays_between(first: date, last: date) -> int:
    """Mon–Fri days from ``first`` through ``last`` inclusive (0 when ``last`` < ``first``)."""
    if last < first:
        return 0
    days = (last - first).days + 1
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    start = first.weekday()
    count += sum(1 for offset in range(rest) if (start + offset) % 7 < 5)
    return count


def at(day: date, seconds: int) -> datetime:
    """The UTC datetime ``seconds`` after midnight of ``day``."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(seconds=seconds)


@dataclass(frozen=True)
class Timeline:
    """Dates every generator shares, all derived from the anchor."""

    anchor: date
    history_months: int

    @property
    def now(self) -> datetime:
        return datetime.combine(self.anchor, CLOCK_TIME, tzinfo=UTC)

    @property
    def latest(self) -> datetime:
        """The latest moment a generated record may carry."""
        return self.now - QUIET_PERIOD

    @property
    def history_start(self) -> date:
        return add_months(self.anchor, -self.history_months)

    @property
    def anchor_month(self) -> date:
        return month_start(self.anchor)

    @property
    def anchor_week(self) -> date:
        return monday_of(self.anchor)

    @property
    def fiscal_years(self) -> range:
        """Fiscal years (= calendar years) with fiscal_period rows: 36 months back, 24 ahead."""
        return range(add_months(self.anchor, -36).year, add_months(self.anchor, 24).year + 1)
