"""ServiceNow: the Table API client (client.py) and its sync into ``raw/servicenow/<table>`` (sync.py)."""

from connectors.servicenow.client import TABLE_FIELDS, ServiceNowClient, ServiceNowConfig, servicenow_client
from connectors.servicenow.sync import SERVICENOW_OVERLAP, SERVICENOW_TABLES, sync_servicenow

__all__ = [
    "SERVICENOW_OVERLAP",
    "SERVICENOW_TABLES",
    "TABLE_FIELDS",
    "ServiceNowClient",
    "ServiceNowConfig",
    "servicenow_client",
    "sync_servicenow",
]
