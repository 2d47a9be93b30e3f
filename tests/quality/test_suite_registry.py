"""The list of suites the orchestrator builds its checks from."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from quality import get_suite, raw_suite_names, suites

REPO = Path(__file__).resolve().parents[2]

SERVICENOW_TABLES = (
    "fiscal_period pm_portfolio pm_program pm_project pm_project_task dmn_demand sys_user cmn_department "
    "cmn_cost_center time_card time_sheet resource_plan cost_plan cost_plan_breakdown benefit_plan "
    "benefit_plan_breakdown risk project_status planned_task_baseline planned_task_baseline_item "
    "planned_task_rel_planned_task"
).split()
JIRA_ENTITIES = "projects statuses fields users versions boards sprints issues issue_changelogs worklogs".split()
FINANCE_ENTITIES = "gl_actuals forecast fx_rates finance_rejects files".split()
KPI_MARTS = (
    "kpi_project_scorecard kpi_portfolio_summary kpi_capacity_utilization kpi_budget_vs_actual "
    "kpi_benefits_realization kpi_risk_heatmap kpi_delivery_flow kpi_prioritization kpi_headline "
    "kpi_cost_reconciliation"
).split()
# docs/kpis.md "Governance": the governance marts and the stage-gate fact have warning suites too
GOVERNANCE_MARTS = (
    "fct_stage_gate kpi_stage_gates kpi_demand_pipeline kpi_timesheet_compliance "
    "kpi_timesheet_compliance_by_department kpi_vendor_performance kpi_vendor_concentration "
    "kpi_dependency_risk kpi_governance_headline"
).split()
# docs/kpis.md "Releases" and "Sprints"
AGILE_MARTS = "kpi_release_plan kpi_sprint_predictability kpi_sprint_predictability_by_quarter".split()


def test_every_raw_entity_has_a_blocking_suite():
    raw = {s.target for s in suites() if s.layer == "raw" and s.severity == "error"}

    expected = (
        {f"servicenow/{t}" for t in SERVICENOW_TABLES}
        | {f"jira/{e}" for e in JIRA_ENTITIES}
        | {f"finance/{e}" for e in FINANCE_ENTITIES}
    )
    assert raw == expected
    assert len(SERVICENOW_TABLES) == 21


def test_finance_rejects_have_a_blocking_shape_check_and_a_warning_count():
    names = raw_suite_names("finance", "finance_rejects")

    # The blocking 5 % rule is a dbt test on int_finance_files: only the warehouse knows which
    # files a newer one superseded.
    assert {name: get_suite(name).info.severity for name in names} == {
        "raw_finance_finance_rejects": "error",
        "raw_finance_reject_count": "warn",
    }


def test_every_kpi_mart_has_a_warning_suite():
    marts = {s.target: s.severity for s in suites() if s.layer == "marts"}

    assert marts == dict.fromkeys(KPI_MARTS + GOVERNANCE_MARTS + AGILE_MARTS, "warn")


def test_warehouse_counts_are_warnings():
    warehouse = [s for s in suites() if s.layer == "warehouse"]

    assert len(warehouse) == 3
    assert {s.severity for s in warehouse} == {"warn"}


def test_names_are_unique_and_usable_as_dagster_check_names():
    names = [s.name for s in suites()]

    assert [n for n, c in Counter(names).items() if c > 1] == []
    assert all(n.replace("_", "").isalnum() and n.islower() for n in names)
    assert all(s.description for s in suites())


def empty_input() -> pd.DataFrame:
    """A zero-row frame every suite can prepare: raw landing columns plus the warehouse flags."""
    text = {c: pd.Series([], dtype="object") for c in ("natural_key", "batch_id", "record", "source_system")}
    flags = {c: pd.Series([], dtype="bool") for c in ("is_deleted", "is_wbs_matched", "is_in_jira", "is_matched")}
    return pd.DataFrame(text | flags)


@pytest.mark.parametrize("info", suites(), ids=lambda s: s.name)
def test_expectation_names_are_unique_within_each_suite(info):
    prepared = get_suite(info.name).prepare(
        empty_input(), {"fx_currencies": ["EUR"], "previous_row_count": 1, "known_keys": {}}
    )
    names = [spec.name for spec in prepared.expectations]

    assert names and len(names) == len(set(names))


def test_check_names_are_unique_per_table():
    """kpi_data_quality keys a check by table_name + check_name, across the suites on one table."""
    empty = empty_input()
    seen: dict[tuple[str, str], str] = {}
    clashes = []
    for info in suites():
        for spec in get_suite(info.name).prepare(empty, {"fx_currencies": ["EUR"]}).expectations:
            other = seen.setdefault((info.target, spec.name), info.name)
            if other != info.name:
                clashes.append((info.target, spec.name, other, info.name))

    assert clashes == []


def test_unknown_suite_names_raise_with_the_known_ones():
    with pytest.raises(KeyError, match="raw_servicenow_time_card"):
        get_suite("raw_servicenow_timecard")


def test_listing_suites_imports_neither_great_expectations_nor_dagster():
    code = (
        "import sys, quality, quality.results; quality.suites(); "
        "print('great_expectations' in sys.modules, 'dagster' in sys.modules)"
    )

    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "False False"
