"""What BI reads: the published read-only DuckDB file, the Parquet exports and the dashboard."""

import dagster as dg

from orchestration.defs.automation.jobs import PUBLISH_MODE_TAG
from orchestration.defs.planning.assets import SCENARIO_KEYS
from orchestration.defs.resources import WarehouseResource
from orchestration.defs.transform.project import mart_names
from serving.exports import export
from serving.publish import publish

KPI_MARTS = mart_names("kpi")
# Rebuilt after every run, failed or not (kpi_data_quality, kpi_source_freshness, kpi_run_health)
DATA_QUALITY_MARTS = mart_names("data_quality")
PUBLISHED_KEY = dg.AssetKey(["serving", "published_warehouse"])


@dg.asset(
    key=PUBLISHED_KEY,
    group_name="serving",
    deps=[*(dg.AssetKey(["marts", name]) for name in (*DATA_QUALITY_MARTS, *KPI_MARTS)), *SCENARIO_KEYS],
    kinds={"duckdb"},
    pool="duckdb",
    description=(
        "PWH_HOME/published/portfolio.duckdb, schema `marts`: what Power BI, Excel and the dashboard open. "
        "Replaced atomically (copy + rename). After a failed or blocked sync only the data-quality marts "
        "(run health, source freshness, every check) are replaced."
    ),
)
def published_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    paths = warehouse.paths
    data_quality_only = context.run.tags.get(PUBLISH_MODE_TAG, "full") != "full"
    result = publish(paths.build_db, paths.published_db, refresh_only=DATA_QUALITY_MARTS if data_quality_only else None)
    if data_quality_only:
        context.log.warning("the sync run failed or was blocked: published marts kept, data-quality marts refreshed")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(result.path)),
            "mode": result.mode,
            "tables": len(result.tables),
            "rows": dg.MetadataValue.json(result.tables),
        }
    )


@dg.asset(
    key=dg.AssetKey(["serving", "parquet_exports"]),
    group_name="serving",
    deps=[PUBLISHED_KEY],
    kinds={"parquet"},
    description="PWH_HOME/exports/parquet/<table>.parquet: every published mart as a Parquet file for Power BI.",
)
def parquet_exports(warehouse: WarehouseResource) -> dg.MaterializeResult:
    paths = warehouse.paths
    written = export(paths.published_db, paths.exports / "parquet", "parquet")
    return dg.MaterializeResult(
        metadata={"files": len(written), "folder": dg.MetadataValue.path(str(paths.exports / "parquet"))}
    )


@dg.asset(
    key=dg.AssetKey(["serving", "dashboard"]),
    group_name="serving",
    deps=[PUBLISHED_KEY],
    kinds={"html"},
    description=(
        "PWH_HOME/reports/index.html and its pages: the static portfolio dashboard, written from the published "
        "marts after a good run. After a failed or blocked sync it is not rewritten: the last one stays, with the "
        "numbers of the last good run (the published data-quality marts say why nothing moved)."
    ),
)
def dashboard(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from serving.dashboard import build_dashboard

    paths = warehouse.paths
    folder = paths.home / "reports"
    if context.run.tags.get(PUBLISH_MODE_TAG, "full") != "full":
        context.log.warning("the sync run failed or was blocked: the dashboard keeps the last good run's pages")
        return dg.MaterializeResult(metadata={"written": False, "folder": dg.MetadataValue.path(str(folder))})
    result = build_dashboard(paths.published_db, folder, currency=warehouse.currency())
    return dg.MaterializeResult(
        metadata={"written": True, "pages": len(result.pages), "index": dg.MetadataValue.path(str(result.pages[0]))}
    )
