"""`pwh demo` on the small world, end to end: what a newcomer sees and what lands on disk."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from tests.conftest import SmallWarehouse

# one worker builds the session's small warehouse; its tests run there

KPI_MARTS = [
    "kpi_project_scorecard",
    "kpi_portfolio_summary",
    "kpi_capacity_utilization",
    "kpi_budget_vs_actual",
    "kpi_benefits_realization",
    "kpi_risk_heatmap",
    "kpi_delivery_flow",
    "kpi_prioritization",
    "kpi_data_quality",
    "kpi_headline",
    "kpi_cost_reconciliation",
    "kpi_source_freshness",
    "kpi_run_health",
    # docs/kpis.md "Governance"
    "fct_stage_gate",
    "kpi_stage_gates",
    "kpi_demand_pipeline",
    "kpi_timesheet_compliance",
    "kpi_timesheet_compliance_by_department",
    "kpi_vendor_performance",
    "kpi_vendor_concentration",
    "kpi_dependency_risk",
    "kpi_governance_headline",
    # docs/kpis.md "Releases" and "Sprints"
    "kpi_release_plan",
    "kpi_sprint_predictability",
    "kpi_sprint_predictability_by_quarter",
]
# written by the planner (orchestration/defs/planning), not dbt, and published with the KPI marts
SCENARIO_MARTS = ["scenario_selection", "scenario_summary", "scenario_frontier", "scenario_sensitivity"]
GOVERNANCE_PREFIXES = (
    "gates overdue: ",
    "demands open: ",
    "time sheets missing: ",
    "vendor spend ",
    "dependencies at risk: ",
)


def test_demo_prints_progress_and_the_headline_table(small_warehouse: SmallWarehouse) -> None:
    out = small_warehouse.stdout
    assert "✓ raw/jira/issues:" in out and "✓ raw/servicenow/time_card:" in out and "✓ raw/finance/gl_actuals:" in out
    assert "Portfolio headline as of 2026-06-30" in out
    conn = duckdb.connect(str(small_warehouse.published_db), read_only=True)
    try:
        portfolios = [
            r[0] for r in conn.execute("select distinct portfolio_name from marts.kpi_portfolio_summary").fetchall()
        ]
    finally:
        conn.close()
    assert portfolios
    for name in portfolios:
        assert name in out, f"portfolio {name} missing from the headline"
    assert "capacity utilisation" in out and "data quality" in out
    # the month shown, and that it is the month in progress counted to the as-of day
    assert "June 2026 through its last day" in out and "capacity utilisation (all people, June 2026 to date)" in out


def test_demo_prints_one_governance_line_per_mart_as_the_marts_say(small_warehouse: SmallWarehouse) -> None:
    conn = duckdb.connect(str(small_warehouse.published_db), read_only=True)
    try:
        lines = [
            r[0]
            for r in conn.execute("select headline from marts.kpi_governance_headline order by topic_order").fetchall()
        ]
        overdue = conn.execute(
            "select sum(gates_overdue_count), count(distinct portfolio_key) filter (where gates_overdue_count > 0) "
            "from marts.kpi_stage_gates where is_partial_month"
        ).fetchone()
    finally:
        conn.close()
    assert [line.split(":")[0] + ": " if not line.startswith("vendor") else "vendor spend " for line in lines] == list(
        GOVERNANCE_PREFIXES
    )
    printed = [line.strip() for line in small_warehouse.stdout.splitlines()]
    for line in lines:
        assert line in printed, f"the demo did not print {line!r}"
    assert lines[0].startswith(f"gates overdue: {overdue[0]:,} in {overdue[1]:,} portfolio")


def test_the_cli_prints_the_latest_runs_counts_from_the_marts(small_warehouse: SmallWarehouse) -> None:
    conn = duckdb.connect(str(small_warehouse.published_db), read_only=True)
    try:
        runs = conn.execute("select distinct run_id, run_started_at from marts.kpi_data_quality").fetchall()
        health = conn.execute(
            "select run_id, check_count, blocking_failure_count, warning_count "
            "from marts.kpi_run_health where is_latest_run"
        ).fetchone()
        counted = conn.execute(
            "select count(*) filter (where severity <> 'info'), "
            "count(*) filter (where severity = 'warn' and not passed) "
            "from marts.kpi_data_quality where run_id = ?",
            [health[0]],
        ).fetchone()
    finally:
        conn.close()
    assert len(runs) == 1, "every row of the demo's one run shares its run id and start"
    run_id, checks, blocking, warnings = health
    assert (checks, warnings) == counted and blocking == 0
    assert (
        f"data quality (latest run {run_id[:8]}, {checks} checks): 0 blocking, {warnings} warnings"
        in small_warehouse.stdout
    )


def test_published_file_has_every_kpi_mart_and_the_star_schema(small_warehouse: SmallWarehouse) -> None:
    conn = duckdb.connect(str(small_warehouse.published_db), read_only=True)
    try:
        tables = {
            r[0] for r in conn.execute("select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()
        }
        counts = {t: conn.execute(f"select count(*) from marts.{t}").fetchone()[0] for t in KPI_MARTS}
        schemas = {r[0] for r in conn.execute("select distinct schema_name from duckdb_tables()").fetchall()}
    finally:
        conn.close()
    assert set(KPI_MARTS) <= tables
    assert {"dim_project", "fct_spend", "fct_timesheet_hours", "fct_issue", "finance_rejects"} <= tables
    assert schemas == {"marts"}, "only the marts are published, not staging or intermediate"
    assert all(counts[t] > 0 for t in KPI_MARTS), counts
    assert set(SCENARIO_MARTS) <= tables, "the scenario marts are published with the KPI marts"


def test_exports_and_data_quality_results_are_on_disk(small_warehouse: SmallWarehouse) -> None:
    exports = small_warehouse.home / "exports" / "parquet"
    files = {p.stem for p in exports.glob("*.parquet")}
    assert set(KPI_MARTS) <= files
    assert set(SCENARIO_MARTS) <= files, "the nightly exports carry the scenario marts"
    summary = pd.read_parquet(exports / "scenario_summary.parquet")
    assert sorted(summary.loc[summary["is_total"], "scenario_name"]) == [
        "baseline",
        "regulatory-floor",
        "value-next-year",
    ]
    scorecard = pd.read_parquet(exports / "kpi_project_scorecard.parquet")
    assert len(scorecard) == 25  # every current project of the small world
    results = list((small_warehouse.home / "quality" / "check_results").glob("batch-*.parquet"))
    assert len(results) >= 3


def test_kpi_data_quality_records_every_layer_and_the_known_warnings(small_warehouse: SmallWarehouse) -> None:
    conn = duckdb.connect(str(small_warehouse.published_db), read_only=True)
    try:
        frame = conn.execute("select * from marts.kpi_data_quality").df()
    finally:
        conn.close()
    assert list(frame.columns) == [
        "checked_at",
        "layer",
        "table_name",
        "check_name",
        "severity",
        "passed",
        "failing_rows",
        "detail",
        "run_id",
        "run_started_at",
    ]
    assert {"raw", "warehouse", "marts"} <= set(frame["layer"])
    blocking_failures = frame[(frame["severity"] == "error") & ~frame["passed"]]
    assert blocking_failures.empty, blocking_failures.to_string()
    rejects = frame[
        (frame["table_name"] == "finance/finance_rejects") & (frame["severity"] == "warn") & ~frame["passed"]
    ]
    assert rejects["failing_rows"].max() == 8  # the simulator's deliberately broken finance rows
    unmapped = frame[frame["check_name"].str.contains("unmapped", na=False) & ~frame["passed"]]
    assert not unmapped.empty and (unmapped["failing_rows"] > 0).all()


@pytest.mark.parametrize("mart", ["kpi_project_scorecard", "kpi_portfolio_summary"])
def test_published_marts_carry_their_descriptions(small_warehouse: SmallWarehouse, mart: str) -> None:
    conn = duckdb.connect(str(small_warehouse.published_db), read_only=True)
    try:
        comment = conn.execute(
            "select comment from duckdb_tables() where schema_name = 'marts' and table_name = ?", [mart]
        ).fetchone()[0]
        described = conn.execute(
            "select count(*) filter (where comment is not null), count(*) "
            "from duckdb_columns() where schema_name = 'marts' and table_name = ?",
            [mart],
        ).fetchone()
    finally:
        conn.close()
    assert comment, f"{mart} has no description in the published file"
    assert described[0] == described[1], f"{mart}: {described[1] - described[0]} columns without a description"


def test_pwh_export_writes_parquet_and_excel_files_of_the_published_marts(
    small_warehouse: SmallWarehouse, tmp_path
) -> None:
    from openpyxl import load_workbook

    from tests.conftest import pwh_env, run_pwh

    env = pwh_env(small_warehouse.home)
    parquet = run_pwh(["export", "--format", "parquet", "--out", str(tmp_path / "pq")], env, cwd=tmp_path, timeout=300)
    assert parquet.returncode == 0, parquet.stderr
    assert len(pd.read_parquet(tmp_path / "pq" / "kpi_project_scorecard.parquet")) == 25
    excel = run_pwh(["export", "--format", "xlsx", "--out", str(tmp_path / "xl")], env, cwd=tmp_path, timeout=300)
    assert excel.returncode == 0, excel.stderr
    workbook = load_workbook(tmp_path / "xl" / "portfolio_marts.xlsx", read_only=True)
    assert {"kpi_project_scorecard", "kpi_portfolio_summary", "kpi_data_quality"} <= set(workbook.sheetnames)
    # the workbook is streamed (write-only), so its sheets carry no stored dimension: count the rows
    assert sum(1 for _ in workbook["kpi_project_scorecard"].iter_rows()) == 26  # header + 25 projects


def test_pwh_export_before_any_run_says_what_to_do(tmp_path) -> None:
    from tests.conftest import pwh_env, run_pwh

    result = run_pwh(["export"], pwh_env(tmp_path / "empty"), cwd=tmp_path, timeout=300)
    assert result.returncode == 2
    assert "no published warehouse" in result.stderr and "pwh run" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_sync_warning_appears_once_on_the_terminal_in_the_run_log_and_in_kpi_data_quality(
    small_warehouse: SmallWarehouse,
) -> None:
    # The simulated finance team's broken amounts make two GL files disagree on their decimal
    # separator: the finance sync warns about each file.
    conn = duckdb.connect(str(small_warehouse.published_db), read_only=True)
    try:
        warnings = [
            row[0]
            for row in conn.execute(
                "select detail from marts.kpi_data_quality where check_name = 'sync_warning' order by 1"
            ).fetchall()
        ]
    finally:
        conn.close()
    assert warnings, "the small world's finance files raise no warning any more: pick another"
    log = "\n".join(path.read_text() for path in (small_warehouse.home / "logs").glob("run-*.log"))
    for warning in warnings:
        assert small_warehouse.stdout.count(warning) == 1, warning
        assert log.count(warning) >= 1, warning
