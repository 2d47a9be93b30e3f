"""Finance CSV exports in the drop folder → raw/finance/<entity>; rows that fail to parse → finance_rejects."""

from collections.abc import Iterator

import dagster as dg

from connectors.landing import RawLanding
from connectors.sync import FINANCE_ENTITIES, sync_finance
from orchestration.defs.ingest.landing_assets import (
    SOURCE_RETRY_POLICY,
    ensure_entities,
    materializations,
    progress_logger,
    raw_specs,
    skipped,
    source_errors,
)
from orchestration.defs.resources import FinanceDropResource, WarehouseResource
from orchestration.settings import NotConfigured

DESCRIPTIONS = {
    "gl_actuals": "GL posting lines from gl_actuals_*.csv, parsed to canonical values (amount, dates, currency).",
    "forecast": "Forecast rows from forecast_*.csv (months wide, unpivoted in staging).",
    "fx_rates": "Monthly FX rates to the reporting currency from fx_rates_*.csv.",
    "finance_rejects": "Rows that could not be parsed: file, physical line, raw text and reason.",
    "files": "One row per loaded file (sha256): a file already loaded is never loaded twice.",
}


@dg.multi_asset(
    name="raw_finance",
    specs=raw_specs("finance", FINANCE_ENTITIES, DESCRIPTIONS),
    can_subset=False,  # one folder scan feeds all five entities: they always land together
    retry_policy=SOURCE_RETRY_POLICY,
)
def raw_finance(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, finance: FinanceDropResource
) -> Iterator[dg.MaterializeResult]:
    """Load every new or changed file of the finance drop folder (idempotent by content hash)."""
    entities = list(FINANCE_ENTITIES)
    landing = RawLanding(warehouse.paths.raw)
    ensure_entities(landing, "finance", entities)
    config = finance.config()
    if isinstance(config, NotConfigured):
        yield from skipped(context, landing, "finance", entities, config.message)
        return
    with source_errors():
        results = sync_finance(
            config.folder,
            landing,
            settle_seconds=config.settle_seconds,
            progress=progress_logger(context),
            run_id=context.run.run_id,
        )
    yield from materializations(context, "finance", results, full=False)
