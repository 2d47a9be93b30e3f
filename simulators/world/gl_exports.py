"""When each company exports its GL, and which file holds each line.

Every legal entity exports its own GL files, in its own dialect (``COMPANY_FORMATS``), named
after the export date: ``gl_actuals_<company>_<YYYYMMDD>.csv``.

- Month-end: on the 3rd working day after a month ends, 06:00 UTC, all of that month's lines.
- Month-to-date: a month whose month-end export would fall on or after the anchor day is not
  closed yet; one file per company dated the anchor day holds every such month posted so far.
- A line posted into a month after that month's export (a late adjustment) brings the whole month
  back, in full, into the company's next export beside that export's own months.
- A corrected re-export (``…_corrected.csv``) holds one company-period only.

The warehouse reads the files by one rule: per company × fiscal year × fiscal period, only the
lines of the newest file holding it are in force (later export date in the name, then the name).
``lay_out`` writes the truth tables by the same rule, file by file in export order: before a
company-period is written again, its copies in the older file move to ``fin_gl_line_superseded``,
so ``fin_gl_line`` ends with every line in the newest file that holds it.
"""

from __future__ import annotations

import random
import sqlite3
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from simulators.world.finance_exports import COMPANY_FORMATS, FORMATS, FileFormat, gl_values
from simulators.world.timeline import Timeline, at, month_end

CLOSE_WORKING_DAYS = 3
MONTH_END_HOUR = 6
# The month-to-date export runs in the afternoon of the anchor day, before the world's clock.
MONTH_TO_DATE_LEAD = timedelta(hours=3)
BROKEN_REASONS = (
    "unparseable amount",
    "missing document_number",
    "invalid posting_date",
    "wrong column count",
    "unknown currency",
    "fiscal_period out of range",
    "unparseable amount",
    "invalid fiscal_year",
)
# The warehouse blocks the KPI marts on a file with more than 5 % of its rows rejected
# (docs/contract.md §4). The deliberately broken rows are the everyday kind finance sends, so
# each file takes at most one per 19 good lines and stays at or under the limit.
GOOD_LINES_PER_BROKEN_ROW = 19


def working_days_after(day: date, count: int) -> date:
    """The ``count``-th Monday–Friday after ``day``."""
    while count:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def close_day(month: date) -> date:
    """The day finance exports a closed month: the 3rd working day after its end."""
    return working_days_after(month_end(month), CLOSE_WORKING_DAYS)


def last_working_day(month: date) -> date:
    day = month_end(month)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


@dataclass(frozen=True)
class LateLine:
    """A GL line finance posted into ``month`` after that month's export, on ``entered``."""

    rowid: int
    company: str
    month: date
    entered: date


@dataclass(frozen=True)
class Correction:
    """What a corrected re-export changes in its company-period."""

    removed: int  # rowid of the line finance took out
    amounts: dict[int, str]  # rowid -> corrected amount


@dataclass
class GlExport:
    """One GL file: whose, when and why, and the months it holds in full."""

    company: str
    day: date
    moment: datetime  # the file's mtime
    reason: str  # month_end | month_to_date | correction
    months: list[date] = field(default_factory=list)
    correction: Correction | None = None

    @property
    def name(self) -> str:
        suffix = "_corrected" if self.reason == "correction" else ""
        return f"gl_actuals_{self.company}_{self.day:%Y%m%d}{suffix}.csv"

    @property
    def fmt(self) -> FileFormat:
        return COMPANY_FORMATS.get(self.company, FORMATS[0])

    @property
    def replaces_period(self) -> str:
        if self.reason != "correction":
            return ""
        return f"{self.months[0].year}-{self.months[0].month:02d}"


def regular_exports(months: dict[str, list[date]], timeline: Timeline) -> list[GlExport]:
    """Each company's month-end exports of its closed months, and its month-to-date export."""
    exports = []
    for company, company_months in sorted(months.items()):
        to_date = GlExport(company, timeline.anchor, timeline.latest - MONTH_TO_DATE_LEAD, "month_to_date")
        for month in company_months:
            day = close_day(month)
            if day < timeline.anchor:
                exports.append(GlExport(company, day, at(day, MONTH_END_HOUR * 3600), "month_end", [month]))
            else:
                to_date.months.append(month)
        if to_date.months:
            exports.append(to_date)
    return exports


def export_late_line(exports: list[GlExport], line: LateLine) -> None:
    """Put the line's month, in full, into its company's first regular export on or after ``entered``."""
    regular = [e for e in exports if e.company == line.company and e.reason != "correction" and e.day >= line.entered]
    if not regular:
        raise ValueError(f"{line.company} exports nothing after {line.entered}: no file for its late line")
    target = min(regular, key=lambda e: e.day)
    if line.month not in target.months:
        target.months.append(line.month)
        target.months.sort()


def _period_rowids(conn: sqlite3.Connection, company: str, month: date) -> list[int]:
    """The company-period's lines in file order (uses ``fin_gl_line_by_period``)."""
    return [
        rowid
        for (rowid,) in conn.execute(
            "select rowid from fin_gl_line where company_code = ? and fiscal_year = ? and fiscal_period = ? "
            "order by posting_date, document_number, line_number",
            (company, month.year, month.month),
        )
    ]


def lay_out(conn: sqlite3.Connection, exports: list[GlExport], late: list[LateLine], rng: random.Random) -> None:
    """Number every GL line into the files that hold it, oldest file first; place the broken rows."""
    entered = {line.rowid: line.entered for line in late}
    ordered = sorted(exports, key=lambda e: (e.day, e.name))
    broken = place_broken_rows(conn, ordered, late)
    written: set[tuple[str, date]] = set()
    for export in ordered:
        for month in export.months:
            if (export.company, month) in written:
                _supersede(conn, export.company, month)
            written.add((export.company, month))
        if export.correction is not None:
            _correct(conn, export.correction)
        rowids = [
            rowid
            for month in export.months
            for rowid in _period_rowids(conn, export.company, month)
            if entered.get(rowid, date.min) <= export.day
        ]
        _number(conn, export, rowids, broken.get(export.name, []), rng)


def place_broken_rows(conn: sqlite3.Connection, exports: list[GlExport], late: list[LateLine]) -> dict[str, list[str]]:
    """Which file gets which broken rows: spread over the companies (so every dialect carries some
    where its files are long enough) and over their dates, never more than a file can hold without
    crossing the warehouse's 5 % reject limit.

    Each reason goes, in turn, to the next company's file with the most room left (then the
    longest); a company without room passes it to the file with the most room of any company.
    A corrected re-export gets none: it is compared line by line with what it corrects.
    """
    sizes = _file_sizes(conn, [e for e in exports if e.reason != "correction"], late)
    room = {name: size // GOOD_LINES_PER_BROKEN_ROW for name, size in sizes.items()}
    company_of = {e.name: e.company for e in exports if e.name in sizes}
    companies = sorted(set(company_of.values()), key=_company_order)
    placed: dict[str, list[str]] = defaultdict(list)

    def roomiest(names: list[str]) -> str | None:
        open_files = [name for name in names if room[name] > 0]
        return min(open_files, key=lambda name: (-room[name], -sizes[name], name)) if open_files else None

    for position, reason in enumerate(BROKEN_REASONS):
        company = companies[position % len(companies)]
        chosen = roomiest([n for n, c in company_of.items() if c == company]) or roomiest(list(company_of))
        if chosen is None:  # a world too small to hide even one: the longest file takes it
            chosen = min(sizes, key=lambda name: (-sizes[name], name))
        else:
            room[chosen] -= 1
        placed[chosen].append(reason)
    return placed


def _company_order(company: str) -> tuple[int, str]:
    known = list(COMPANY_FORMATS)
    return (known.index(company) if company in known else len(known), company)


def _file_sizes(conn: sqlite3.Connection, exports: list[GlExport], late: list[LateLine]) -> dict[str, int]:
    """Lines per file, before broken rows: its months' lines less late lines entered after it."""
    counts = {
        (company, date(year, period, 1)): count
        for company, year, period, count in conn.execute(
            "select company_code, fiscal_year, fiscal_period, count(*) from fin_gl_line group by 1, 2, 3"
        )
    }
    late_days: dict[tuple[str, date], list[date]] = defaultdict(list)
    for line in late:
        late_days[(line.company, line.month)].append(line.entered)
    return {
        export.name: sum(
            counts[(export.company, month)] - sum(day > export.day for day in late_days[(export.company, month)])
            for month in export.months
        )
        for export in exports
    }


def _supersede(conn: sqlite3.Connection, company: str, month: date) -> None:
    """Keep the copies of a company-period that its older file holds, before a newer file takes it."""
    conn.execute(
        "insert into fin_gl_line_superseded select * from fin_gl_line "
        "where company_code = ? and fiscal_year = ? and fiscal_period = ? and export_file <> ''",
        (company, month.year, month.month),
    )


def _correct(conn: sqlite3.Connection, correction: Correction) -> None:
    conn.execute("delete from fin_gl_line where rowid = ?", (correction.removed,))
    conn.executemany(
        "update fin_gl_line set amount = ? where rowid = ?",
        [(amount, rowid) for rowid, amount in sorted(correction.amounts.items())],
    )


def _number(
    conn: sqlite3.Connection, export: GlExport, rowids: list[int], reasons: list[str], rng: random.Random
) -> None:
    """Give each line its physical line in the file, with the file's broken rows between them."""
    breaks: dict[int, list[str]] = defaultdict(list)
    for k, reason in enumerate(reasons):
        breaks[len(rowids) * (k + 1) // (len(reasons) + 1)].append(reason)
    updates = []
    line = 1
    for position, rowid in enumerate(rowids):
        for reason in breaks.get(position, []):
            line += 1
            template = conn.execute("select * from fin_gl_line where rowid = ?", (rowid,)).fetchone()
            conn.execute(
                "insert into fin_broken_row values (?, ?, ?, ?)",
                (export.name, line, _broken_line(template, export.fmt, reason, rng), reason),
            )
        line += 1
        updates.append((export.name, line, rowid))
    conn.executemany("update fin_gl_line set export_file = ?, export_line = ? where rowid = ?", updates)


def _broken_line(template: tuple, fmt: FileFormat, reason: str, rng: random.Random) -> str:
    """A GL line that no parser should accept, for the given reason, in the file's own style."""
    values = gl_values(template, fmt)
    values[4] = f"9{rng.randint(0, 99_999_999):08d}"  # a document of its own, never in the truth
    if reason == "unparseable amount":
        values[12] = "12,3x4" if values[12] != "12,3x4" else "1x"
    elif reason == "missing document_number":
        values[4] = ""
    elif reason == "invalid posting_date":
        values[3] = fmt.bad_date(int(values[1]))
    elif reason == "wrong column count":
        values = values[:-2]
    elif reason == "unknown currency":
        values[13] = "XXX"
    elif reason == "fiscal_period out of range":
        values[2] = "17"
    elif reason == "invalid fiscal_year":
        values[1] = f"FY{values[1][2:]}"
    return fmt.line(values)
