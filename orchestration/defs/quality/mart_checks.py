"""Warnings on the marts, built from the quality/ suites: they never block, they inform.

- On each KPI mart: ratios within sane bounds, no orphan keys, every active project present,
  row count within a tolerance of the previous run.
- On the star schema: GL lines whose WBS code maps to no project, Jira accounts with no
  ServiceNow user, Jira projects with no ServiceNow project (docs/contract.md §3.7, §4: counted in
  kpi_data_quality).

They read the build file, so they share pool "duckdb" with the dbt steps.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

import dagster as dg

from orchestration.defs.quality.run_identity import run_identity
from orchestration.defs.resources import WarehouseResource
from quality import DuckDBTable, run_suite, suites
from quality.results import (
    CheckRow,
    ensure_results_folder,
    latest_row_counts,
    to_check_rows,
    write_check_rows,
)

MART_SUITES = [s for s in suites() if s.layer in ("marts", "warehouse")]


def _key(table: str) -> dg.AssetKey:
    return dg.AssetKey(["marts", table])


@dg.multi_asset_check(
    name="mart_quality_checks",
    specs=[
        dg.AssetCheckSpec(suite.name, asset=_key(suite.target), description=suite.description) for suite in MART_SUITES
    ],
    can_subset=True,
    pool="duckdb",
    description="great-expectations suites on the KPI marts and the star schema (warnings).",
)
def mart_quality_checks(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
) -> Iterator[dg.AssetCheckResult]:
    paths = warehouse.paths
    ensure_results_folder(paths.quality)
    previous = latest_row_counts(paths.quality)  # before this run writes its own counts
    selected = {k.name for k in context.selected_asset_check_keys}
    rows: list[CheckRow] = []
    run = run_identity(context)
    try:
        for suite in MART_SUITES:
            if suite.name not in selected:
                continue
            result = run_suite(
                suite.name,
                DuckDBTable(paths.build_db, "marts", suite.target),
                params={"previous_row_count": previous.get(suite.target)},
            )
            layer = "marts" if suite.layer == "marts" else "warehouse"
            rows.extend(
                to_check_rows(
                    result, layer, suite.target, "warn", run.run_id, datetime.now(UTC), run_started_at=run.started_at
                )
            )
            failed = [o.detail or o.name for o in result.outcomes if not o.passed]
            yield dg.AssetCheckResult(
                check_name=suite.name,
                asset_key=_key(suite.target),
                passed=result.passed,
                severity=dg.AssetCheckSeverity.WARN,
                description="; ".join(failed) or result.error or None,
                metadata={
                    "rows_checked": result.evaluated_rows,
                    "failing_rows": result.failing_rows,
                    "sample": dg.MetadataValue.json(result.sample),
                },
            )
    finally:
        write_check_rows(paths.quality, rows)
