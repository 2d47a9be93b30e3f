"""ServiceNow SPM (Table API) → raw/servicenow/<table>, one asset per table of docs/contract.md §3.2."""

from collections.abc import Iterator
from contextlib import closing

import dagster as dg

from connectors.landing import RawLanding
from connectors.sync import SERVICENOW_TABLES, servicenow_client, sync_servicenow
from orchestration.defs.ingest.landing_assets import (
    SOURCE_RETRY_POLICY,
    ensure_entities,
    is_full_sync,
    materializations,
    progress_logger,
    raw_specs,
    selected_entities,
    skipped,
    source_errors,
)
from orchestration.defs.resources import ServiceNowResource, WarehouseResource
from orchestration.settings import NotConfigured

DESCRIPTIONS = {
    table: (
        f"ServiceNow table `{table}` (Table API), incremental on `sys_updated_on`; "
        "`--full` adds tombstones for deleted records."
    )
    for table in SERVICENOW_TABLES
}


@dg.multi_asset(
    name="raw_servicenow",
    specs=raw_specs("servicenow", SERVICENOW_TABLES, DESCRIPTIONS),
    can_subset=True,
    retry_policy=SOURCE_RETRY_POLICY,
)
def raw_servicenow(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, servicenow: ServiceNowResource
) -> Iterator[dg.MaterializeResult]:
    """Land ServiceNow records into the raw change log, values kept as the strings the API returns."""
    tables = selected_entities(context, "servicenow")
    landing = RawLanding(warehouse.paths.raw)
    ensure_entities(landing, "servicenow", tables)
    config = servicenow.config()
    if isinstance(config, NotConfigured):
        yield from skipped(context, landing, "servicenow", tables, config.message)
        return
    full = is_full_sync(context)
    with source_errors(), closing(servicenow_client(config)) as client:
        results = sync_servicenow(
            client,
            landing,
            full=full,
            tables=tables,
            progress=progress_logger(context),
            run_id=context.run.run_id,
        )
    yield from materializations(context, "servicenow", results, full)
