"""ServiceNow SPM (Table API) → raw/servicenow/<table>, one asset per table of docs/contract.md §3.2. Each
further instance (SERVICENOW_INSTANCES) lands in raw/servicenow.<instance>/<table> in the same step; an
asset stands for the table on every instance."""

from connectors.servicenow import SERVICENOW_TABLES, sync_servicenow_instances
from orchestration.defs.ingest.landing_assets import instances_sync, source_asset

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
    instances_sync(sync_servicenow_instances, "tables"),
    doc="Land ServiceNow records into the raw change log, values kept as the strings the API returns.",
)
