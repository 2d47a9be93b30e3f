"""ServiceNow SPM (Table API) → raw/servicenow/<table>, one asset per table of docs/contract.md §3.2."""

from collections.abc import Iterator
from contextlib import closing

import dagster as dg

from connectors.servicenow import SERVICENOW_TABLES, servicenow_client, sync_servicenow
from orchestration.defs.ingest.landing_assets import SOURCE_RETRY_POLICY, land_source, raw_specs, selected_entities
from orchestration.defs.resources import ServiceNowResource, WarehouseResource

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
    config = servicenow.config()

    def sync(landing, tables, *, full, progress, run_id):
        with closing(servicenow_client(config)) as client:
            return sync_servicenow(client, landing, full=full, tables=tables, progress=progress, run_id=run_id)

    yield from land_source(context, warehouse, "servicenow", selected_entities(context, "servicenow"), config, sync)
