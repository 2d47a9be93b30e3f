"""The headline KPI table printed at the end of `pwh demo` and `pwh run`.

It only reads the published marts and adds no rule of its own: two figures are ratios of the
marts' own sums — on-time delivery over the last twelve months (closed-on-time / closed counts of
kpi_portfolio_summary) and utilisation of all people in the as-of month (hours of
kpi_capacity_utilization) — and the data-quality line counts the latest checks in kpi_data_quality.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import duckdb

HEADLINE_SQL = """
with months as (
    select *
    from marts.kpi_portfolio_summary
    where month_start_date <= date_trunc('month', as_of_date)
),
latest as (
    select * from months
    qualify row_number() over (partition by portfolio_key order by month_start_date desc) = 1
),
last_12_months as (
    select
        portfolio_key,
        sum(projects_closed_on_time_count) as on_time,
        sum(projects_closed_count) as closed
    from months
    where month_start_date > date_trunc('month', as_of_date) - interval 12 month
    group by portfolio_key
)
select
    latest.portfolio_name,
    latest.active_project_count,
    last_12_months.on_time / nullif(last_12_months.closed, 0) as on_time_rate_12m,
    latest.budget_variance_ratio,
    latest.benefit_realization_ratio,
    latest.risk_exposure_amount,
    latest.red_project_count,
    latest.as_of_date
from latest
left join last_12_months using (portfolio_key)
order by latest.portfolio_name
"""

UTILISATION_SQL = """
select sum(actual_hours) / nullif(sum(capacity_hours), 0)
from marts.kpi_capacity_utilization
where month_start_date = date_trunc('month', as_of_date)
"""

QUALITY_SQL = """
with latest as (
    select * from marts.kpi_data_quality
    where checked_at >= (select max(checked_at) from marts.kpi_data_quality) - interval 6 hour
)
select
    count(*) filter (where not passed and severity = 'error') as errors,
    count(*) filter (where not passed and severity <> 'error') as warnings,
    count(*) as checks
from latest
"""


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:,.1f} %"


def _money(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def headline_rows(published_db: Path) -> tuple[list[tuple], float | None, tuple[int, int, int]]:
    conn = duckdb.connect(str(published_db), read_only=True)
    try:
        rows = conn.execute(HEADLINE_SQL).fetchall()
        utilisation = conn.execute(UTILISATION_SQL).fetchone()[0]
        quality = conn.execute(QUALITY_SQL).fetchone()
    finally:
        conn.close()
    return rows, utilisation, tuple(int(x or 0) for x in quality)


def print_headline(published_db: Path, out: TextIO) -> None:
    try:
        rows, utilisation, (errors, warnings, checks) = headline_rows(published_db)
    except duckdb.Error:
        print("(no headline yet: no run has published the KPI marts)", file=out)
        return
    as_of = rows[0][-1] if rows else "—"
    print(f"\nPortfolio headline as of {as_of} (published: {published_db})", file=out)
    header = ("portfolio", "active", "on-time (12 mo)", "budget var.", "benefit ratio", "risk exposure", "red")
    table = [header] + [
        (name, str(active or 0), _pct(on_time), _pct(budget), _pct(benefit), _money(risk), str(red or 0))
        for name, active, on_time, budget, benefit, risk, red, _ in rows
    ]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for index, row in enumerate(table):
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        print("  " + "  ".join(cells), file=out)
        if index == 0:
            print("  " + "  ".join("-" * w for w in widths), file=out)
    print(f"  capacity utilisation (all people, as-of month): {_pct(utilisation)}", file=out)
    status = "OK" if errors == 0 and warnings == 0 else f"{errors} blocking, {warnings} warnings"
    print(f"  data quality (latest run, {checks} checks): {status}", file=out)
