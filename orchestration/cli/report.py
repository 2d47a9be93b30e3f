"""The headline printed at the end of `pwh demo` and `pwh run`.

It only prints: every figure is a row of a published mart — kpi_headline (one row per
portfolio and one for all of them, the as-of month to date), kpi_governance_headline (one line per
governance forum: stage gates, demand intake, time sheets, vendors, dependencies; docs/kpis.md
"Governance"), kpi_run_health (the latest run's checks) and kpi_source_freshness (stale sources).
No KPI is computed here.
"""

from __future__ import annotations

import calendar
from datetime import date
from pathlib import Path
from typing import TextIO

import duckdb

HEADLINE_SQL = """
select
    is_total, portfolio_name, active_project_count, on_time_delivery_rate, budget_variance_ratio,
    benefit_realization_ratio, risk_exposure_amount, red_project_count, capacity_utilization,
    month_start_date, period_end_date, on_time_window_start_date, as_of_date
from marts.kpi_headline
order by is_total, portfolio_name
"""

GOVERNANCE_SQL = """
select headline
from marts.kpi_governance_headline
order by topic_order
"""

RUN_SQL = """
select run_id, check_count, blocking_failure_count, warning_count, info_count, failed_sources
from marts.kpi_run_health
where is_latest_run
"""

STALE_SQL = """
select source_name || '/' || entity, last_failure_reason
from marts.kpi_source_freshness
where is_stale
order by 1
"""


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:,.1f} %"


def _money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def month_label(month_start: date, period_end: date) -> str:
    """Which month the figures are, and how much of it: the as-of month is always in progress."""
    days = calendar.monthrange(month_start.year, month_start.month)[1]
    name = f"{calendar.month_name[month_start.month]} {month_start.year}"
    if period_end.day == days:
        return f"{name} through its last day (still the month in progress until its books close)"
    return (
        f"{name} to date, 1–{period_end.day} {calendar.month_name[month_start.month]} (day {period_end.day} of {days})"
    )


def print_headline(published_db: Path, out: TextIO) -> None:
    try:
        conn = duckdb.connect(str(published_db), read_only=True)
    except duckdb.Error:
        print("(no headline yet: no run has published the KPI marts)", file=out)
        return
    try:
        try:
            rows = conn.execute(HEADLINE_SQL).fetchall()
        except duckdb.Error:
            rows = []
        try:
            governance = [row[0] for row in conn.execute(GOVERNANCE_SQL).fetchall()]
        except duckdb.Error:  # a file published before the governance marts existed
            governance = []
        try:
            run = conn.execute(RUN_SQL).fetchone()
            stale = conn.execute(STALE_SQL).fetchall()
        except duckdb.Error:
            run, stale = None, []
    finally:
        conn.close()
    if rows:
        _print_portfolios(rows, published_db, out)
    else:
        print("(no headline yet: no run has published the KPI marts)", file=out)
    if governance:
        print("  governance:", file=out)
        for line in governance:
            print(f"    {line}", file=out)
    if run is not None:
        run_id, checks, blocking, warnings, info, failed_sources = run
        status = "OK" if blocking == 0 and warnings == 0 else f"{blocking} blocking, {warnings} warnings"
        extra = f"; {info} re-export replacements" if info else ""
        failed = f"; sources that failed: {failed_sources}" if failed_sources else ""
        print(f"  data quality (latest run {run_id[:8]}, {checks} checks): {status}{extra}{failed}", file=out)
    for entity, reason in stale:
        print(f"  ! stale: {entity}" + (f" — {reason}" if reason else ""), file=out)


def _print_portfolios(rows: list[tuple], published_db: Path, out: TextIO) -> None:
    month_start, period_end, window_start, as_of = rows[0][9], rows[0][10], rows[0][11], rows[0][12]
    print(f"\nPortfolio headline as of {as_of} (published: {published_db})", file=out)
    print(f"  {month_label(month_start, period_end)}; plan and capacity count to the same day as actuals", file=out)
    window = f"on-time ({window_start:%b %Y}–{month_start:%b %Y})"
    header = ("portfolio", "active", window, "budget var.", "benefit ratio", "risk exposure", "red")
    table = [header] + [
        (name, str(active or 0), _pct(on_time), _pct(budget), _pct(benefit), _money(risk), str(red or 0))
        for _, name, active, on_time, budget, benefit, risk, red, *_ in rows
    ]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for index, row in enumerate(table):
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        print("  " + "  ".join(cells), file=out)
        if index == 0 or index == len(table) - 2:
            print("  " + "  ".join("-" * w for w in widths), file=out)
    total = rows[-1]
    print(f"  capacity utilisation (all people, {month_start:%B %Y} to date): {_pct(total[8])}", file=out)
