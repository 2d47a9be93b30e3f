"""The governance marts, every row and every column, against the independent governance oracle.

The small world is landed by the real connectors and built twice: by dbt as of Wednesday 18 March
2026 (mid-month, mid-week: the month and the week in progress count to date, ``mid_month_build``),
and by the whole pipeline (`pwh demo`, published file) as of the world's month end
(``small_warehouse``). The oracle (tests/oracle/governance_oracle.py) recomputes docs/kpis.md
"Governance" from the world file.
Numbers match within 1e-6 absolute or 1e-9 relative; counts, labels, dates, timestamps and booleans
match exactly; NULL matches only NULL. Row sets are compared too: a row missing on either side is
a disagreement.

For a check by hand against a warehouse built outside pytest, set PWH_ORACLE_PUBLISHED_DB,
PWH_ORACLE_WORLD and PWH_ORACLE_AS_OF (the database may be a dbt build's, whose marts are in the
``marts`` schema, or a published file).
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from oracle.governance_oracle import GovernanceResult, compute_governance
from oracle.kpi_oracle import KpiVars, load_world

from tests.warehouse.oracle_compare import Built, compare, read_mart, report

pytestmark = [pytest.mark.slow]


@pytest.fixture(
    scope="module",
    params=[
        # each build runs on the worker that builds it for the other warehouse tests
        pytest.param("mid_month"),
        pytest.param("month_end"),
    ],
)
def built(request: pytest.FixtureRequest) -> Built:
    if os.environ.get("PWH_ORACLE_PUBLISHED_DB"):
        if request.param != "mid_month":
            pytest.skip("a warehouse named by PWH_ORACLE_* is compared once")
        return Built(
            Path(os.environ["PWH_ORACLE_PUBLISHED_DB"]),
            Path(os.environ["PWH_ORACLE_WORLD"]),
            date.fromisoformat(os.environ.get("PWH_ORACLE_AS_OF", "2026-03-18")),
        )
    if request.param == "month_end":
        warehouse = request.getfixturevalue("small_warehouse")
        return Built(Path(warehouse.published_db), Path(warehouse.world_path), warehouse.as_of)
    build = request.getfixturevalue("mid_month_build")
    assert build.returncode == 0, build.output[-3000:]
    return Built(build.database, request.getfixturevalue("small_world_path"), build.as_of)


@pytest.fixture(scope="module")
def oracle(built: Built) -> GovernanceResult:
    world = load_world(built.world_path)
    return compute_governance(world, KpiVars(as_of=built.as_of, reporting_currency=world.reporting_currency))


@pytest.fixture(scope="module")
def marts(built: Built):
    import duckdb

    conn = duckdb.connect(str(built.database), read_only=True)
    yield conn
    conn.close()


MARTS = [
    ("fct_stage_gate", "stage_gate", ["phase_task_id"]),
    ("kpi_stage_gates", "stage_gates", ["portfolio_name", "phase", "month_start_date"]),
    ("kpi_demand_pipeline", "demand_pipeline", ["portfolio_name", "month_start_date"]),
    ("kpi_timesheet_compliance", "timesheet_compliance", ["resource_id", "week_start_date"]),
    ("kpi_timesheet_compliance_by_department", "timesheet_by_department", ["department", "month_start_date"]),
    ("kpi_vendor_performance", "vendor_performance", ["vendor_id", "month_start_date"]),
    ("kpi_vendor_concentration", "vendor_concentration", ["portfolio_name", "month_start_date"]),
    ("kpi_dependency_risk", "dependency_risk", ["blocked_project_id", "blocking_project_id"]),
]


@pytest.mark.parametrize(("mart", "attribute", "key"), MARTS, ids=[m[0] for m in MARTS])
def test_every_row_matches_the_governance_oracle(mart: str, attribute: str, key: list[str], oracle, marts) -> None:
    frame: pd.DataFrame = getattr(oracle, attribute)
    rows = read_mart(marts, mart)
    assert rows, f"{mart} is empty on the small world: nothing would be compared"
    problems = compare(mart, rows, frame, key)
    assert not problems, report(problems)


def test_scorecard_counts_at_risk_upstream_dependencies(oracle, marts) -> None:
    rows = read_mart(marts, "kpi_project_scorecard")
    actual = {r["project_id"]: r["at_risk_dependency_count"] for r in rows}
    expected = {k: v for k, v in oracle.at_risk_dependency_count.items() if k in actual}
    assert set(actual) == set(expected)
    assert actual == expected


def test_the_small_world_exercises_every_rule(oracle) -> None:
    """Without these the comparison above could pass on marts that never meet the rule."""
    gates = oracle.stage_gate
    assert gates["is_passed_late"].eq(True).any() and gates["is_passed_late"].eq(False).any()
    assert gates["is_overdue"].eq(True).any()
    sheets = oracle.timesheet_compliance
    assert (
        sheets["is_late"].eq(True).any() and sheets["is_missing"].eq(True).any() and sheets["is_on_time"].eq(True).any()
    )
    assert (oracle.vendor_performance["vendor_id"] == "-1").any(), "the unknown vendor has no row"
    assert oracle.demand_pipeline["approved_count"].sum() > 0 and oracle.demand_pipeline["open_backlog_count"].sum() > 0
    assert len(oracle.dependency_risk) > 0
