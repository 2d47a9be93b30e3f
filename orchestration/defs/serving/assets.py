"""What BI reads: the published read-only DuckDB file and the Parquet exports."""

import dagster as dg

from orchestration.defs.automation.jobs import PUBLISH_MODE_TAG
from orchestration.defs.resources import WarehouseResource
from orchestration.publish import export, publish

KPI_MARTS = (
    "kpi_project_scorecard",
    "kpi_portfolio_summary",
    "kpi_capacity_utilization",
    "kpi_budget_vs_actual",
    "kpi_benefits_realization",
    "kpi_risk_heatmap",
    "kpi_delivery_flow",
    "kpi_prioritization",
)
DATA_QUALITY_MART = dg.AssetKey(["marts", "kpi_data_quality"])
PUBLISHED_KEY = dg.AssetKey(["serving", "published_warehouse"])


@dg.asset(
    key=PUBLISHED_KEY,
    group_name="serving",
    deps=[DATA_QUALITY_MART, *(dg.AssetKey(["marts", name]) for name in KPI_MARTS)],
    kinds={"duckdb"},
    pool="duckdb",
    description=(
        "PWH_HOME/published/portfolio.duckdb, schema `marts`: what Power BI, Excel and the dashboard open. "
        "Replaced atomically (copy + rename). After a failed or blocked sync only kpi_data_quality is replaced."
    ),
)
def published_warehouse(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    paths = warehouse.paths
    data_quality_only = context.run.tags.get(PUBLISH_MODE_TAG, "full") != "full"
    result = publish(paths.build_db, paths.published_db, data_quality_only=data_quality_only)
    if data_quality_only:
        context.log.warning("the sync run failed or was blocked: published marts kept, kpi_data_quality refreshed")
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
    return dg.MaterializeResult(metadata={"files": len(written), "folder": dg.MetadataValue.path(str(paths.exports / "parquet"))})
