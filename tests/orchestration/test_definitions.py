"""The Dagster definitions as a data engineer sees them: one connected graph, checks, schedule."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]

KPI_MARTS = [
    "kpi_project_scorecard",
    "kpi_portfolio_summary",
    "kpi_capacity_utilization",
    "kpi_budget_vs_actual",
    "kpi_benefits_realization",
    "kpi_risk_heatmap",
    "kpi_delivery_flow",
    "kpi_prioritization",
    "kpi_release_plan",
    "kpi_sprint_predictability",
    "kpi_sprint_predictability_by_quarter",
]


@pytest.fixture(scope="module")
def definitions(tmp_path_factory: pytest.TempPathFactory) -> dg.Definitions:
    os.environ["PWH_HOME"] = str(tmp_path_factory.mktemp("home"))
    os.environ["PWH_SCHEDULE_TIMEZONE"] = "Europe/Berlin"
    try:
        from orchestration.definitions import defs

        return defs()
    finally:
        os.environ.pop("PWH_SCHEDULE_TIMEZONE")


@pytest.fixture(scope="module")
def graph(definitions: dg.Definitions):
    return definitions.resolve_asset_graph()


def raw_keys(graph) -> list[dg.AssetKey]:
    return sorted((k for k in graph.get_all_asset_keys() if k.path[0] == "raw"), key=lambda k: k.path)


def test_every_source_entity_is_an_asset_grouped_by_source(graph) -> None:
    from connectors.finance import FINANCE_ENTITIES
    from connectors.jira import JIRA_ENTITIES
    from connectors.servicenow import SERVICENOW_TABLES

    expected = (
        [("jira", e) for e in JIRA_ENTITIES]
        + [("servicenow", t) for t in SERVICENOW_TABLES]
        + [("finance", e) for e in FINANCE_ENTITIES]
    )
    keys = raw_keys(graph)
    assert sorted(tuple(k.path[1:]) for k in keys) == sorted(expected)
    for key in keys:
        assert graph.get(key).group_name == f"raw_{key.path[1]}"


def test_raw_assets_are_upstream_of_their_staging_models(graph) -> None:
    for source, entity, model in [
        ("jira", "issues", "stg_jira__issues"),
        ("servicenow", "pm_project", "stg_servicenow__pm_project"),
        ("servicenow", "time_card", "stg_servicenow__time_card"),
        ("finance", "gl_actuals", "stg_finance__gl_actuals"),
    ]:
        parents = graph.get(dg.AssetKey(["staging", model])).parent_keys
        assert dg.AssetKey(["raw", source, entity]) in parents, f"{model} parents: {parents}"


def test_graph_is_connected_from_raw_to_every_kpi_mart(graph) -> None:
    for mart in KPI_MARTS:
        ancestors = _ancestors(graph, dg.AssetKey(["marts", mart]))
        assert any(k.path[0] == "raw" for k in ancestors), f"{mart} has no raw ancestor"
    # The scorecard draws on all three sources.
    scorecard = _ancestors(graph, dg.AssetKey(["marts", "kpi_project_scorecard"]))
    assert {k.path[1] for k in scorecard if k.path[0] == "raw"} == {"jira", "servicenow", "finance"}
    # And publishing sits downstream of every KPI mart.
    published = _ancestors(graph, dg.AssetKey(["serving", "published_warehouse"]))
    assert {dg.AssetKey(["marts", m]) for m in KPI_MARTS} <= published


def _ancestors(graph, key: dg.AssetKey) -> set[dg.AssetKey]:
    seen: set[dg.AssetKey] = set()
    stack = [key]
    while stack:
        for parent in graph.get(stack.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return seen


def test_every_raw_asset_has_a_blocking_validity_check_and_a_freshness_check(definitions, graph) -> None:
    check_keys = definitions.resolve_asset_graph().asset_check_keys
    specs = {
        (spec.asset_key, spec.name): spec for checks in definitions.asset_checks or [] for spec in checks.check_specs
    }
    for key in raw_keys(graph):
        assert dg.AssetCheckKey(key, "valid") in check_keys, key
        assert dg.AssetCheckKey(key, "fresh") in check_keys, key
        assert specs[(key, "valid")].blocking, f"{key} validity check must block"
        assert not specs[(key, "fresh")].blocking


def test_kpi_marts_are_a_separate_step_from_the_core_models(definitions) -> None:
    by_key = {}
    for assets_def in definitions.assets or []:
        if isinstance(assets_def, dg.AssetsDefinition):
            for key in assets_def.keys:
                by_key[key] = assets_def.node_def.name
    assert by_key[dg.AssetKey(["marts", "kpi_project_scorecard"])] == "dbt_kpi_marts"
    assert by_key[dg.AssetKey(["marts", "fct_spend"])] == "dbt_core_models"
    assert by_key[dg.AssetKey(["marts", "kpi_data_quality"])] == "dbt_data_quality"


def test_scenario_marts_are_one_step_after_the_kpi_marts_and_before_publishing(definitions, graph) -> None:
    names = ["scenario_selection", "scenario_summary", "scenario_frontier", "scenario_sensitivity"]
    keys = [dg.AssetKey(["marts", n]) for n in names]
    steps = {
        a.node_def.name
        for a in definitions.assets or []
        if isinstance(a, dg.AssetsDefinition)
        for k in a.keys
        if k in keys
    }
    assert steps == {"scenario_marts"}, "one asset solves every scenario once and writes the four tables"
    for key in keys:
        # the inputs it reads are finished KPI marts, so the slates use the night's numbers
        assert {
            dg.AssetKey(["marts", "kpi_prioritization"]),
            dg.AssetKey(["marts", "kpi_capacity_utilization"]),
        } <= graph.get(key).parent_keys
    published = _ancestors(graph, dg.AssetKey(["serving", "published_warehouse"]))
    assert set(keys) <= published
    assert set(keys) <= set(definitions.resolve_job_def("nightly_sync").asset_layer.executable_asset_keys)


def test_nightly_schedule_runs_at_two_in_the_configured_time_zone(definitions) -> None:
    schedule = definitions.resolve_schedule_def("nightly_sync_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Europe/Berlin"
    assert schedule.job_name == "nightly_sync"


def test_jobs_split_sync_from_publishing(definitions, graph) -> None:
    nightly = definitions.resolve_job_def("nightly_sync")
    publish = definitions.resolve_job_def("publish")
    nightly_keys = set(nightly.asset_layer.executable_asset_keys)
    publish_keys = set(publish.asset_layer.executable_asset_keys)
    assert set(raw_keys(graph)) <= nightly_keys
    assert dg.AssetKey(["marts", "kpi_project_scorecard"]) in nightly_keys
    assert dg.AssetKey(["serving", "published_warehouse"]) not in nightly_keys
    assert publish_keys == {
        dg.AssetKey(["staging", "stg_quality__check_results"]),
        dg.AssetKey(["staging", "stg_quality__sync_log"]),
        dg.AssetKey(["marts", "kpi_data_quality"]),
        dg.AssetKey(["marts", "kpi_source_freshness"]),
        dg.AssetKey(["marts", "kpi_run_health"]),
        dg.AssetKey(["serving", "published_warehouse"]),
        dg.AssetKey(["serving", "parquet_exports"]),
        dg.AssetKey(["serving", "dashboard"]),
    }


def test_definitions_validate_from_the_command_line_without_sources_or_network(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIRA_", "SERVICENOW_", "FINANCE_"))}
    # Any attempt to reach the network goes to a closed port.
    env.update({"PWH_HOME": str(tmp_path), "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9"})
    dagster = Path(sys.executable).with_name("dagster")
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", str(REPO / "workspace.yaml")],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Validation successful" in result.stdout + result.stderr
