"""Finance CSV exports in the drop folder → raw/finance/<entity>; rows that fail to parse → finance_rejects."""

from connectors.finance import FINANCE_ENTITIES, sync_finance
from orchestration.defs.ingest.landing_assets import source_asset

DESCRIPTIONS = {
    "gl_actuals": "GL posting lines from gl_actuals_*.csv, parsed to canonical values (amount, dates, currency).",
    "forecast": "Forecast rows from forecast_*.csv (months wide, unpivoted in staging).",
    "fx_rates": "Monthly FX rates to the reporting currency from fx_rates_*.csv.",
    "finance_rejects": "Rows that could not be parsed: file, physical line, raw text and reason.",
    "files": "One row per loaded file (sha256): a file already loaded is never loaded twice.",
}


def _sync(config, landing, entities, *, full, progress, run_id):
    return sync_finance(config.folder, landing, settle_seconds=config.settle_seconds, progress=progress, run_id=run_id)


raw_finance = source_asset(
    "finance",
    FINANCE_ENTITIES,
    DESCRIPTIONS,
    _sync,
    doc="Load every new or changed file of the finance drop folder (idempotent by content hash).",
    # one folder scan feeds all five entities: they always land together; always the whole folder,
    # a file already loaded skipped by its hash: no full mode
    can_subset=False,
    has_full_mode=False,
)
