"""The scenario marts: every scenario file solved against the build file's marts, after the KPI marts.

One Dagster asset writes the four tables into schema `marts` of the build file, in the `duckdb`
pool, so it is the build file's one writer while it runs; the publish job then copies them with
every other mart (docs/architecture.md "Scenario marts are written by the planner"). A scenario
that is invalid or infeasible does not fail the night: the KPI marts must still be published. It
gets a row in scenario_summary saying why, a warning here, and a warning in kpi_data_quality.
"""

from datetime import UTC, datetime

import dagster as dg
import duckdb

from orchestration.defs.ingest.landing_assets import SYNC_MODE_TAG
from orchestration.defs.quality.run_identity import run_identity
from orchestration.defs.resources import WarehouseResource
from orchestration.defs.transform.build_stamps import UNCHANGED_SINCE_RUN, BuildStamps, ReplayedCheck
from planning.tables import TABLE_NAMES
from quality.results import CheckRow, ensure_results_folder, write_check_rows

SCENARIO_KEYS = [dg.AssetKey(["marts", name]) for name in TABLE_NAMES]
# The marts the planner reads (orchestration/scenarios.py SOURCES).
READS = (
    "kpi_prioritization",
    "kpi_project_scorecard",
    "kpi_capacity_utilization",
    "dim_project",
    "dim_resource",
    "fct_cost_plan",
    "fct_demand",
    "fct_resource_allocation",
    "fct_issue_dependency",
    "fct_issue",
)


@dg.multi_asset(
    name="scenario_marts",
    group_name="planning",
    specs=[
        dg.AssetSpec(
            key,
            deps=[dg.AssetKey(["marts", m]) for m in READS],
            kinds={"duckdb", "python"},
            description=f"{key.path[-1]}: see docs/scenarios.md and the table's description.",
        )
        for key in SCENARIO_KEYS
    ],
    pool="duckdb",
)
def scenario_marts(context: dg.AssetExecutionContext, warehouse: WarehouseResource):  # noqa: ANN201
    """Solve `scenarios/*.yml` (or PWH_SCENARIO_DIR) and write scenario_selection, scenario_summary,
    scenario_frontier and scenario_sensitivity into the build file.

    Not when the planner's code, the scenario files and the marts it reads are those of its last
    solve (orchestration/defs/transform/build_stamps.py): the four tables in the build file are
    still that solve's, reported unchanged, and its failed scenarios are warned about again. On
    the medium world the solves take minutes; a night with nothing new should not pay them. A
    solve with an infeasible scenario is not stamped: "no slate within the time limit" is reported
    as infeasible too, and depends on how busy the machine was, not on the inputs.
    """
    from orchestration.scenarios import read_frames, solve_folder, solve_inputs
    from planning.scenario import ScenarioError
    from planning.solver import INFEASIBLE
    from planning.tables import scenario_tables
    from serving.marts import write_table

    paths = warehouse.paths
    folder = warehouse.scenario_folder()
    stamps = BuildStamps(paths.build_stamps)
    step = context.op_def.name
    forced = context.run.tags.get(SYNC_MODE_TAG) == "full"
    run = None
    conn = duckdb.connect(str(paths.build_db))
    try:
        frames = read_frames(conn)
        inputs = solve_inputs(frames, folder)
        stamp = stamps.matching(step, inputs) if inputs is not None and not forced else None
        kept = _rows_of(conn, stamp.outputs) if stamp is not None else None
        if stamp is None or kept is None:
            stamps.forget(step)
            try:
                run = solve_folder(frames, folder)
                tables = run.tables
            except ScenarioError as exc:  # no scenario folder: nothing to solve, and no reason to fail the night
                context.log.warning(str(exc))
                tables = scenario_tables([], [], frames.as_of)
            for table in tables:
                write_table(
                    conn,
                    table.spec.name,
                    table.frame,
                    [(c.name, c.sql_type, c.description) for c in table.spec.columns],
                    table.spec.description,
                )
    finally:
        conn.close()
    if stamp is not None and kept is not None:
        context.log.info(f"planner, scenario files and marts unchanged since run {stamp.run_id}: not solved again")
        _warn(context, warehouse, [(_scenario_of(check.check_name), check.message) for check in stamp.checks])
        for name, rows in kept.items():
            yield dg.MaterializeResult(
                asset_key=dg.AssetKey(["marts", name]), metadata={"rows": rows, UNCHANGED_SINCE_RUN: stamp.run_id}
            )
        return
    if run is not None:
        _record(context, warehouse, run)
        if inputs is not None and not any(f.kind == INFEASIBLE for f in run.failures):
            # each failed scenario as a failed warning-level check, the form kpi_data_quality shows it in
            failed = [
                ReplayedCheck(["marts", "scenario_summary"], _check_name(f.name), False, False, 1, f.message)
                for f in run.failures
            ]
            stamps.record(step, inputs, context.run.run_id, [t.spec.name for t in tables], failed)
    for table in tables:
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey(["marts", table.spec.name]), metadata={"rows": len(table.frame)}
        )


def _rows_of(conn: duckdb.DuckDBPyConnection, tables: list[str]) -> dict[str, int] | None:
    """Each table's row count in schema marts, in the given order; None when one is missing."""
    present = {
        name
        for (name,) in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }
    if not tables or not set(tables) <= present:
        return None
    return {name: conn.execute(f'select count(*) from marts."{name}"').fetchone()[0] for name in tables}


_CHECK_PREFIX = "scenario_solves:"


def _check_name(scenario: str) -> str:
    return f"{_CHECK_PREFIX}{scenario}"


def _scenario_of(check_name: str) -> str:
    return check_name.removeprefix(_CHECK_PREFIX)


def _record(context: dg.AssetExecutionContext, warehouse: WarehouseResource, run) -> None:  # noqa: ANN001
    """Each scenario's outcome in the log, and the ones that failed in kpi_data_quality."""
    for result in run.results:
        slate, baseline = result.slate, result.greedy
        gap = "n/a" if slate.mip_gap is None else f"{slate.mip_gap:.4%}"
        context.log.info(
            f"scenario {result.inputs.scenario.name}: {slate.status}, {slate.count} funded, objective "
            f"{slate.objective:,.4g} (greedy {baseline.objective:,.4g}), gap {gap}, {result.seconds:.1f} s"
        )
    _warn(context, warehouse, [(failure.name, failure.message) for failure in run.failures])


def _warn(context: dg.AssetExecutionContext, warehouse: WarehouseResource, failures: list[tuple[str, str]]) -> None:
    """Each failed scenario (name, message) as a warning here and in kpi_data_quality."""
    if not failures:
        return
    identity = run_identity(context)
    rows = []
    for name, message in failures:
        context.log.warning(message)
        rows.append(
            CheckRow(
                checked_at=datetime.now(UTC),
                run_id=identity.run_id,
                layer="planning",
                table_name="scenario_summary",
                check_name=_check_name(name),
                severity="warn",
                passed=False,
                failing_rows=1,
                detail=message,
                run_started_at=identity.started_at,
            )
        )
    quality_root = warehouse.paths.quality
    ensure_results_folder(quality_root)
    write_check_rows(quality_root, rows)
