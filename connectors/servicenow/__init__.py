"""ServiceNow: the Table API client (client.py) and its sync into ``raw/servicenow/<table>``, a further
instance into ``raw/servicenow.<instance>/<table>`` (sync.py)."""

from connectors.servicenow.client import TABLE_FIELDS, ServiceNowClient, ServiceNowConfig, servicenow_client
from connectors.servicenow.sync import SERVICENOW_OVERLAP, SERVICENOW_TABLES, sync_servicenow, sync_servicenow_instances

__all__ = [
    "SERVICENOW_OVERLAP",
    "SERVICENOW_TABLES",
    "TABLE_FIELDS",
    "ServiceNowClient",
    "ServiceNowConfig",
    "servicenow_client",
    "sync_servicenow",
    "sync_servicenow_instances",
]
