"""`pwh scenario` and the scenario marts, end to end on the session's small warehouse.

The nightly run (the `small_warehouse` fixture, `pwh demo`) already solved the shipped scenarios and
published the four marts; `pwh scenario` re-solves them against the published file in a copy of
that home and publishes again, with the Parquet exports. An infeasible and an invalid scenario each
exit 1 with one line.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
import yaml

from planning.tables import SPECS, TABLE_NAMES
from tests.conftest import SmallWarehouse, pwh_env, run_pwh

pytestmark = pytest.mark.slow


@pytest.fixture
def home(small_warehouse: SmallWarehouse, tmp_path: Path) -> Path:
    """A copy of the session's PWH_HOME: `pwh scenario` writes the published file and the exports."""
    copy = tmp_path / "home"
    shutil.copytree(small_warehouse.home, copy, ignore=shutil.ignore_patterns("simulator", "raw", "dagster", "logs"))
    return copy


def _published(home: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(home / "published" / "portfolio.duckdb"), read_only=True)


def test_the_nightly_run_published_the_scenario_marts_described(small_warehouse: SmallWarehouse) -> None:
    conn = _published(small_warehouse.home)
    try:
        for spec in SPECS:
            comment = conn.execute(
                "select comment from duckdb_tables() where schema_name = 'marts' and table_name = ?", [spec.name]
            ).fetchall()
            assert comment and comment[0][0] == spec.description, spec.name
            columns = conn.execute(
                "select column_name, comment from duckdb_columns() where schema_name = 'marts' "
                "and table_name = ? order by column_index",
                [spec.name],
            ).fetchall()
            assert [c[0] for c in columns] == [c.name for c in spec.columns]
            assert all(text for _, text in columns), f"{spec.name}: every column is described"
        totals = conn.execute(
            "select scenario_name, status, funded_count, objective_value, greedy_objective_value "
            "from marts.scenario_summary where is_total order by scenario_name"
        ).fetchall()
        assert [t[0] for t in totals] == ["baseline", "regulatory-floor", "value-next-year"]
        assert all(t[1] == "optimal" and t[2] > 0 and t[3] >= t[4] - 1e-9 for t in totals), totals
        assert conn.execute("select count(*) from marts.scenario_frontier").fetchall()[0][0] == 3 * 15
    finally:
        conn.close()


def test_pwh_scenario_solves_the_shipped_scenarios_and_publishes_them(home: Path) -> None:
    result = run_pwh(["scenario"], pwh_env(home), cwd=home, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    for name in ("baseline", "regulatory-floor", "value-next-year"):
        assert f"{name} (" in result.stdout
    assert "greedy" in result.stdout and "gap" in result.stdout and "frontier:" in result.stdout
    conn = _published(home)
    try:
        assert set(TABLE_NAMES) <= {r[0] for r in conn.execute("select table_name from duckdb_tables()").fetchall()}
        assert conn.execute("select count(*) from marts.kpi_project_scorecard").fetchall()[0][0] > 0, "the rest stays"
        frontier = conn.execute(
            "select scenario_name, objective_value from marts.scenario_frontier order by scenario_name, level_number"
        ).fetchall()
        by_scenario: dict[str, list[float]] = {}
        for name, value in frontier:
            by_scenario.setdefault(name, []).append(value)
        for name, values in by_scenario.items():
            assert len(values) == 15
            assert all(b >= a - 1e-9 for a, b in zip(values, values[1:], strict=False)), f"{name}: {values}"
        reasons = {
            r[0]
            for r in conn.execute(
                "select distinct not_funded_reason from marts.scenario_selection where not is_funded"
            ).fetchall()
        }
        assert reasons <= {"excluded", "dependency", "budget", "capacity", "no_value", "within_gap"}
    finally:
        conn.close()
    parquet = home / "exports" / "parquet"
    for spec in SPECS:
        schema = pq.read_schema(parquet / f"{spec.name}.parquet")
        assert schema.metadata[b"description"].decode() == spec.description
        # every column carries the description planning/tables.py wrote (BI users read it there)
        assert schema.names == [c.name for c in spec.columns], spec.name
        for column in spec.columns:
            assert schema.field(column.name).metadata[b"description"].decode() == column.description, column.name


def test_naming_one_scenario_replaces_only_its_rows(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "tight.yml").write_text(
        yaml.safe_dump(
            {"description": "Half the money, next fiscal year", "budget": {"total": "50%"}, "objective": "npv"}
        )
    )
    result = run_pwh(["scenario", "tight"], pwh_env(home, PWH_SCENARIO_DIR=str(folder)), cwd=home, timeout=600)
    assert result.returncode == 0, result.stderr
    conn = _published(home)
    try:
        names = {r[0] for r in conn.execute("select scenario_name from marts.scenario_summary").fetchall()}
        assert names == {"baseline", "regulatory-floor", "value-next-year", "tight"}
    finally:
        conn.close()


def test_mandatory_items_over_budget_exit_1_naming_the_period_and_shortfall(home: Path, tmp_path: Path) -> None:
    conn = _published(home)
    try:
        # the baseline's horizon is this one (next four quarters), so these costs are inside it
        chosen = conn.execute(
            "select item_id, cost_amount from marts.scenario_selection where scenario_name = 'baseline' "
            "order by cost_amount desc, item_id limit 3"
        ).fetchall()
    finally:
        conn.close()
    items = [r[0] for r in chosen]
    horizon_cost = sum(float(r[1]) for r in chosen)
    assert horizon_cost > 4 * 1000, "the three dearest items must overrun four quarters of 1,000"
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "overcommitted.yml").write_text(
        yaml.safe_dump(
            {
                "horizon": {"start": "next_quarter", "period": "quarter", "count": 4},
                "budget": {"total": 1000},
                "mandatory": items,
            }
        )
    )
    result = run_pwh(["scenario", "--no-publish"], pwh_env(home, PWH_SCENARIO_DIR=str(folder)), cwd=home, timeout=600)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    match = re.fullmatch(
        r"pwh: scenario overcommitted \(overcommitted\.yml\): mandatory items cost ([\d,]+) in "
        r"(FY\d{4} Q\d) against a total budget of 1,000: short by ([\d,]+)",
        lines[0],
    )
    assert match, lines[0]
    cost, period, short = int(match[1].replace(",", "")), match[2], int(match[3].replace(",", ""))
    # as of 2026-06-30 the next four quarters are FY2026 Q3 .. FY2027 Q2
    assert period in {"FY2026 Q3", "FY2026 Q4", "FY2027 Q1", "FY2027 Q2"}
    assert abs(short - (cost - 1000)) <= 1 and 1000 < cost <= horizon_cost + 1
    assert result.stdout == "", "nothing is solved, so nothing is printed or published"


def test_an_invalid_file_exits_1_naming_the_field(home: Path, tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "typo.yml").write_text("budget:\n  total: 80%\nobjective: roi\n")
    (folder / "unknown-item.yml").write_text("budget:\n  total: 80%\nmandatory: [PRJ9999999]\n")
    result = run_pwh(["scenario", "--no-publish"], pwh_env(home, PWH_SCENARIO_DIR=str(folder)), cwd=home, timeout=600)
    assert result.returncode == 1
    lines = sorted(result.stderr.strip().splitlines())
    assert lines == [
        "pwh: scenario unknown-item (unknown-item.yml): mandatory: PRJ9999999 is not a candidate: not a ranked item "
        "of kpi_prioritization (an open or in-progress project, or an open demand, with a priority score)",
        "pwh: typo.yml: objective: must be one of priority_score, npv, risk_adjusted_npv, not 'roi'",
    ], result.stderr
