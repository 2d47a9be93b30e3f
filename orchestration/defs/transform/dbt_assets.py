"""dbt as three Dagster steps over one project: core models, KPI marts, the data-quality mart.

Why three (docs/architecture.md "A blocking check only holds back a separate dbt step"): a
blocking check only holds back models in a *separate* step. The raw checks block
`dbt_core_models`; the KPI marts (tag `kpi`) are their own step, so a failed check or dbt test
upstream leaves them at their last good version. `kpi_data_quality` (tag `data_quality`) reads
only the check-results log and runs in the publish job, after every sync, blocked or not. Every
step that opens the warehouse file is in pool "duckdb" (one at a time).

dbt tests become asset checks (error severity = blocking); their outcomes are also appended to
the check-results log so `kpi_data_quality` shows them next to the great-expectations checks.

dbt reads PWH_HOME and PWH_REPORTING_CURRENCY (profiles.yml, dbt_project.yml), the as-of date
(DBT_ENV_CUSTOM_ENV_PWH_AS_OF, the as_of_date() macro) and the Jira sites' configured custom fields
(PWH_JIRA_CUSTOM_FIELDS, stg_jira__fields) from its environment: each step hands them to dbt's
process from the warehouse and Jira resources, the run's settings.
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.defs.ingest.landing_assets import SYNC_MODE_TAG
from orchestration.defs.quality.run_identity import RunIdentity, run_identity
from orchestration.defs.resources import JiraResource, WarehouseResource, dbt_environment
from orchestration.defs.transform.build_stamps import (
    UNCHANGED_SINCE_RUN,
    BuildStamp,
    BuildStamps,
    ReplayedCheck,
    build_inputs,
)
from orchestration.defs.transform.project import dbt_project, ensure_manifest
from orchestration.defs.transform.translator import PortfolioTranslator
from orchestration.settings import child_environment
from quality.results import CheckRow, ensure_results_folder, write_check_rows

KPI_SELECTOR = "tag:kpi"
DATA_QUALITY_SELECTOR = "tag:data_quality"

ensure_manifest()
TRANSLATOR = PortfolioTranslator()


def _build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    dbt_env: dict[str, str],
    warehouse: WarehouseResource,
    layer: str,
    *,
    skip_when_unchanged: bool = True,
) -> Iterator[Any]:
    """`dbt build` of this step's selection; dbt test outcomes are logged for kpi_data_quality.

    Unless its inputs are those of its last good build (build_stamps.py): then the step reports
    its models unchanged and replays that build's test outcomes, without running dbt."""
    quality_root = warehouse.paths.quality
    ensure_results_folder(quality_root)
    run = run_identity(context)
    step = context.op_def.name
    stamps = BuildStamps(warehouse.paths.build_stamps)
    stamped = skip_when_unchanged and not context.is_subset
    # The digest reads every project file and lists the landing: only for a step that may skip.
    inputs = build_inputs(dbt_env, warehouse.paths.raw) if stamped else ""
    forced = context.run.tags.get(SYNC_MODE_TAG) == "full"
    stamp = stamps.matching(step, inputs) if stamped and not forced else None
    if stamp is not None and warehouse.paths.build_db.exists():
        replayed = _replay(context, stamp)
        if replayed is not None:
            checks = [event for event in replayed if isinstance(event, dg.AssetCheckResult)]
            write_check_rows(quality_root, [_check_row(check, layer, run) for check in checks])
            yield from replayed
            return
    stamps.forget(step)
    rows: list[CheckRow] = []
    outputs: list[str] = []
    outcomes: list[ReplayedCheck] = []
    # dbt unit tests check the SQL, not the data: they run in the test suite, not every night.
    # `dbt.cli` starts dbt's process before it returns, with the environment of this block.
    with child_environment(dbt_env):
        invocation = dbt.cli(["build", "--exclude-resource-type", "unit_test"], context=context, raise_on_error=False)
    for event in invocation.stream():
        if isinstance(event, dg.AssetCheckResult):
            rows.append(_check_row(event, layer, run))
            outcomes.append(_outcome(event))
        elif isinstance(event, dg.Output):
            outputs.append(event.output_name)
        yield event
    write_check_rows(quality_root, rows)
    if not invocation.is_successful():
        failed = _failed_nodes(invocation.get_artifact("run_results.json"))
        raise dg.Failure(
            description=f"dbt build failed: {', '.join(failed[:5]) or 'see the dbt log of this step'}"
            + (f" and {len(failed) - 5} more" if len(failed) > 5 else ""),
            metadata={"failed_nodes": dg.MetadataValue.json(failed)},
            # A failing model or test fails the same way again; the lock on the warehouse file,
            # the one transient cause, is already waited for by dbt-duckdb (profiles.yml retries).
            allow_retries=False,
        )
    if stamped:
        stamps.record(step, inputs, run.run_id, outputs, outcomes)


def _replay(context: dg.AssetExecutionContext, stamp: BuildStamp) -> list[Any] | None:
    """The events of an unchanged build: every selected model materialised (unchanged since the
    stamped run) in the stamped build's order, then every selected dbt test with its stamped
    outcome; None when the selection is not what the stamped build materialised and tested (then
    the step builds)."""
    outcomes = {dg.AssetCheckKey(dg.AssetKey(c.asset_key), c.check_name): c for c in stamp.checks}
    models = {context.assets_def.get_output_name_for_asset_key(key) for key in context.selected_asset_keys}
    if set(context.selected_asset_check_keys) != set(outcomes) or models != set(stamp.outputs):
        return None
    context.log.info(f"inputs unchanged since run {stamp.run_id} ({stamp.built_at}): dbt not run")
    note = {UNCHANGED_SINCE_RUN: stamp.run_id}
    events: list[Any] = [dg.Output(None, output_name=name, metadata=note) for name in stamp.outputs]
    for key in sorted(context.selected_asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name)):
        check = outcomes[key]
        events.append(
            dg.AssetCheckResult(
                asset_key=key.asset_key,
                check_name=key.name,
                passed=check.passed,
                severity=dg.AssetCheckSeverity.ERROR if check.is_error else dg.AssetCheckSeverity.WARN,
                metadata={
                    "dagster_dbt/failed_row_count": check.failing_rows,
                    "dagster_dbt/message": check.message,
                    **note,
                },
            )
        )
    return events


def _outcome(result: dg.AssetCheckResult) -> ReplayedCheck:
    failing, detail = _failing_rows_and_detail(result)
    return ReplayedCheck(
        asset_key=list(result.asset_key.path) if result.asset_key else [],
        check_name=result.check_name or "",
        passed=bool(result.passed),
        is_error=result.severity == dg.AssetCheckSeverity.ERROR,
        failing_rows=failing,
        message=detail,
    )


def _failed_nodes(run_results: dict[str, Any]) -> list[str]:
    """`model x (error)`, `test y (fail)`: what dbt could not build or what did not pass.

    A unique id is `<type>.<project>.<name>[.<hash>]` (generic tests carry a hash after their
    name, so the name is the third part), except `unit_test.<project>.<model>.<name>`."""
    return [
        f"{_node_type_and_name(result['unique_id'])} ({result['status']})"
        for result in run_results.get("results", [])
        if result.get("status") in ("error", "fail", "runtime error")
    ]


def _node_type_and_name(unique_id: str) -> str:
    parts = unique_id.split(".")
    name = parts[-1] if parts[0] == "unit_test" or len(parts) < 3 else parts[2]
    return f"{parts[0]} {name}"


def _failing_rows_and_detail(result: dg.AssetCheckResult) -> tuple[int, str]:
    metadata = result.metadata or {}
    failing = metadata.get("dagster_dbt/failed_row_count")
    failing_rows = int(getattr(failing, "value", failing) or 0)
    message = metadata.get("dagster_dbt/message") or metadata.get("message")
    detail = str(getattr(message, "value", message) or ("passed" if result.passed else f"{failing_rows} failing rows"))
    return failing_rows, detail


def _check_row(result: dg.AssetCheckResult, layer: str, run: RunIdentity) -> CheckRow:
    failing_rows, detail = _failing_rows_and_detail(result)
    table = result.asset_key.path[-1] if result.asset_key else ""
    severity = "error" if (result.severity == dg.AssetCheckSeverity.ERROR) else "warn"
    return CheckRow(
        checked_at=datetime.now(UTC),
        run_id=run.run_id,
        layer=layer,
        table_name=table,
        check_name=f"dbt:{result.check_name}",
        severity=severity,
        passed=bool(result.passed),
        failing_rows=failing_rows,
        detail=detail,
        run_started_at=run.started_at,
    )


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=TRANSLATOR,
    exclude=f"{KPI_SELECTOR} {DATA_QUALITY_SELECTOR}",
    name="dbt_core_models",
    pool="duckdb",
)
def dbt_core_models(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, jira: JiraResource
) -> Iterator[Any]:
    """Seeds, staging, intermediate models, dimensions and facts: the star schema."""
    yield from _build(context, dbt, dbt_environment(warehouse, jira), warehouse, "warehouse")


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=TRANSLATOR,
    select=KPI_SELECTOR,
    name="dbt_kpi_marts",
    pool="duckdb",
)
def dbt_kpi_marts(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, jira: JiraResource
) -> Iterator[Any]:
    """The KPI marts Power BI reads; gated by the raw checks and the core step's dbt tests."""
    yield from _build(context, dbt, dbt_environment(warehouse, jira), warehouse, "marts")


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=TRANSLATOR,
    select=DATA_QUALITY_SELECTOR,
    name="dbt_data_quality",
    pool="duckdb",
)
def dbt_data_quality(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, jira: JiraResource
) -> Iterator[Any]:
    """kpi_data_quality: every check result of every run, for the data-health page next to the numbers."""
    # Its input, the check-results log, grows every run: it always builds.
    yield from _build(context, dbt, dbt_environment(warehouse, jira), warehouse, "marts", skip_when_unchanged=False)
