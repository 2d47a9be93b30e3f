"""Finance CSV exports in the drop folder → raw/finance/<entity>; rows that fail to parse → finance_rejects."""

from collections.abc import Iterator

import dagster as dg

from connectors.finance import FINANCE_ENTITIES, sync_finance
from orchestration.defs.ingest.landing_assets import SOURCE_RETRY_POLICY, land_source, raw_specs
from orchestration.defs.resources import FinanceDropResource, WarehouseResource

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
    config = finance.config()

    def sync(landing, entities, *, full, progress, run_id):
        return sync_finance(
            config.folder, landing, settle_seconds=config.settle_seconds, progress=progress, run_id=run_id
        )

    yield from land_source(
        context,
        warehouse,
        "finance",
        list(FINANCE_ENTITIES),
        config,
        sync,
        # Always the whole folder, a file already loaded skipped by its hash: no full mode.
        has_full_mode=False,
    )
