"""dbt as three Dagster steps over one project: core models, KPI marts, the data-quality mart.

Why three (docs/architecture.md "A blocking check only holds back a separate dbt step"): a
blocking check only holds back models in a *separate* step. The raw checks block
`dbt_core_models`; the KPI marts (tag `kpi`) are their own step, so a failed check or dbt test
upstream leaves them at their last good version. `kpi_data_quality` (tag `data_quality`) reads
only the check-results log and runs in the publish job, after every sync, blocked or not. Every
step that opens the warehouse file is in pool "duckdb" (one at a time).

dbt tests become asset checks (error severity = blocking); their outcomes are also appended to
the check-results log so `kpi_data_quality` shows them next to the great-expectations checks.

dbt reads PWH_HOME and PWH_REPORTING_CURRENCY (profiles.yml, dbt_project.yml) and the as-of date
(DBT_ENV_CUSTOM_ENV_PWH_AS_OF, the as_of_date() macro) from its environment: each step hands them
to dbt's process from the warehouse resource, the run's settings.
"""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.defs.quality.run_identity import RunIdentity, run_identity
from orchestration.defs.resources import WarehouseResource
from orchestration.defs.transform.project import dbt_project, ensure_manifest
from orchestration.defs.transform.translator import PortfolioTranslator
from orchestration.settings import child_environment
from quality.results import CheckRow, ensure_results_folder, write_check_rows

KPI_SELECTOR = "tag:kpi"
DATA_QUALITY_SELECTOR = "tag:data_quality"

ensure_manifest()
TRANSLATOR = PortfolioTranslator()


def _build(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, layer: str
) -> Iterator[Any]:
    """`dbt build` of this step's selection; dbt test outcomes are logged for kpi_data_quality."""
    quality_root = warehouse.paths.quality
    ensure_results_folder(quality_root)
    rows: list[CheckRow] = []
    run = run_identity(context)
    # dbt unit tests check the SQL, not the data: they run in the test suite, not every night.
    # `dbt.cli` starts dbt's process before it returns, with the environment of this block.
    with child_environment(warehouse.dbt_environment()):
        invocation = dbt.cli(["build", "--exclude-resource-type", "unit_test"], context=context, raise_on_error=False)
    for event in invocation.stream():
        if isinstance(event, dg.AssetCheckResult):
            rows.append(_check_row(event, layer, run))
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


def _check_row(result: dg.AssetCheckResult, layer: str, run: RunIdentity) -> CheckRow:
    metadata = result.metadata or {}
    failing = metadata.get("dagster_dbt/failed_row_count")
    failing_rows = int(getattr(failing, "value", failing) or 0)
    table = result.asset_key.path[-1] if result.asset_key else ""
    severity = "error" if (result.severity == dg.AssetCheckSeverity.ERROR) else "warn"
    message = metadata.get("dagster_dbt/message") or metadata.get("message")
    detail = str(getattr(message, "value", message) or ("passed" if result.passed else f"{failing_rows} failing rows"))
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
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    """Seeds, staging, intermediate models, dimensions and facts: the star schema."""
    yield from _build(context, dbt, warehouse, "warehouse")


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=TRANSLATOR,
    select=KPI_SELECTOR,
    name="dbt_kpi_marts",
    pool="duckdb",
)
def dbt_kpi_marts(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    """The KPI marts Power BI reads; gated by the raw checks and the core step's dbt tests."""
    yield from _build(context, dbt, warehouse, "marts")


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=TRANSLATOR,
    select=DATA_QUALITY_SELECTOR,
    name="dbt_data_quality",
    pool="duckdb",
)
def dbt_data_quality(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    """kpi_data_quality: every check result of every run, for the data-health page next to the numbers."""
    yield from _build(context, dbt, warehouse, "marts")
