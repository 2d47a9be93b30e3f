"""ServiceNow SPM (Table API) → raw/servicenow/<table>, one asset per table of docs/contract.md §3.2."""

from connectors.servicenow import SERVICENOW_TABLES, servicenow_client, sync_servicenow
from orchestration.defs.ingest.landing_assets import client_sync, source_asset

DESCRIPTIONS = {
    table: (
        f"ServiceNow table `{table}` (Table API), incremental on `sys_updated_on`; "
        "`--full` adds tombstones for deleted records."
    )
    for table in SERVICENOW_TABLES
}


raw_servicenow = source_asset(
    "servicenow",
    SERVICENOW_TABLES,
    DESCRIPTIONS,
    client_sync(servicenow_client, sync_servicenow, "tables"),
    doc="Land ServiceNow records into the raw change log, values kept as the strings the API returns.",
)
