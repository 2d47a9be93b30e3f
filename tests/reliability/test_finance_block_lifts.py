"""Reliability, end to end: a finance block lifts once finance drops the corrected re-export (defect 2).

Two nights of `pwh run`, finance only (Jira and ServiceNow not configured). Night 1 drops a GL
file with 6 of its 60 rows unusable — one of them an amount of 10^40, which used to pass the
parser and then fail dbt's decimal(38, 6) cast — so more than 5 % are rejected: the KPI marts
are held back. Night 2 drops the corrected re-export of the same company and period under
another name: the old file is superseded, its rejects stop counting, and the run goes through.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.conftest import pwh_env, run_pwh

# Two whole pipeline runs: minutes each, more on a busy machine.
pytestmark = [pytest.mark.long, pytest.mark.timeout(3600)]
RUN_TIMEOUT = 1500

HEADER = (
    "company_code,fiscal_year,fiscal_period,posting_date,document_number,line_number,gl_account,"
    "cost_center,wbs_code,vendor_id,vendor_name,expense_type,amount,currency,description"
)


def gl_rows(*, broken: bool) -> list[str]:
    rows = [
        f"1000,2026,3,2026-03-15,DOC{n:04d},1,610000,CC100,WBS-1,V1,Vendor One,OPEX,{n}.25,USD,invoice {n}"
        for n in range(1, 61)
    ]
    if broken:
        rows[0] = rows[0].replace(",1.25,", ",1" + "0" * 40 + ",")  # 10^40
        for n in (10, 20, 30, 40, 50):
            rows[n] = rows[n].replace(",USD,", ",XYZ,")  # no such currency
    return rows


def drop_file(drop: Path, name: str, rows: list[str]) -> None:
    (drop / name).write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")


def run_health(home: Path) -> tuple[int, int]:
    """(runs recorded, blocking failures of the latest run) from the published copy."""
    with duckdb.connect(str(home / "published" / "portfolio.duckdb"), read_only=True) as conn:
        runs = conn.execute("select count(*) from marts.kpi_run_health").fetchone()[0]
        blocking = conn.execute(
            "select blocking_failure_count from marts.kpi_run_health where is_latest_run"
        ).fetchone()[0]
    return runs, blocking


def failed_reject_checks(home: Path) -> int:
    """Failed 5 %-reject checks of the latest run, from the published kpi_data_quality."""
    with duckdb.connect(str(home / "published" / "portfolio.duckdb"), read_only=True) as conn:
        return conn.execute("""
            select count(*) from marts.kpi_data_quality
            where check_name like '%reject_ratio_at_most_5_percent' and not passed
              and run_id = (select run_id from marts.kpi_run_health where is_latest_run)
        """).fetchone()[0]


def test_a_corrected_reexport_lifts_the_block_its_original_caused(tmp_path: Path) -> None:
    home, drop = tmp_path / "home", tmp_path / "drop"
    home.mkdir()
    drop.mkdir()
    env = pwh_env(home, FINANCE_EXPORT_DIR=str(drop))
    night = ["run", "--as-of", "2026-06-30"]

    drop_file(drop, "gl_actuals_1000_20260405.csv", gl_rows(broken=True))
    first = run_pwh(night, env, cwd=home, timeout=RUN_TIMEOUT)
    assert first.returncode != 0, first.stdout[-3000:] + first.stderr[-3000:]
    assert failed_reject_checks(home) == 1, "night 1 was not held back by the 5 % reject rule"

    drop_file(drop, "gl_actuals_1000_20260405_corrected.csv", gl_rows(broken=False))
    second = run_pwh(night, env, cwd=home, timeout=RUN_TIMEOUT)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]

    runs, blocking = run_health(home)
    assert (runs, blocking) == (2, 0)
    assert failed_reject_checks(home) == 0
    with duckdb.connect(str(home / "published" / "portfolio.duckdb"), read_only=True) as conn:
        spend = conn.execute("select count(*), sum(spend_amount_local) from marts.fct_spend").fetchone()
        rejects = conn.execute(
            "select count(*), bool_and(is_superseded) from marts.finance_rejects where reject_stage = 'parse'"
        ).fetchone()
        kpis = conn.execute("select count(*) from marts.kpi_headline").fetchone()[0]
    assert spend[0] == 60 and float(spend[1]) == sum(n + 0.25 for n in range(1, 61))
    assert rejects == (6, True)
    assert kpis > 0
