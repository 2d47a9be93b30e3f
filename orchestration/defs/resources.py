"""Resources: where the warehouse lives and how to reach each source (docs/contract.md §2).

Every value comes from environment variables (and a `.env` file). The resources carry no secret
in their config: they read the variables when an asset runs, so the UI and run metadata show
variable names, never tokens. A source whose variables are unset is reported as not configured,
and its assets skip with a warning naming what to set.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from connectors.finance import FinanceConfig
from connectors.jira import JiraConfig
from connectors.servicenow import ServiceNowConfig
from orchestration.defs.transform.project import dbt_project
from orchestration.settings import (
    NotConfigured,
    Settings,
    WarehousePaths,
    finance_config,
    jira_config,
    load_environment,
    servicenow_config,
)


class WarehouseResource(dg.ConfigurableResource):
    """PWH_HOME and the run's as-of date and reporting currency."""

    def settings(self) -> Settings:
        return Settings.from_env()

    @property
    def paths(self) -> WarehousePaths:
        return self.settings().paths


class JiraResource(dg.ConfigurableResource):
    """Jira Cloud: JIRA_URL, JIRA_EMAIL, JIRA_API_TOKEN, optional JIRA_JQL_SCOPE."""

    def config(self) -> JiraConfig | NotConfigured:
        return jira_config(load_environment())


class ServiceNowResource(dg.ConfigurableResource):
    """ServiceNow Table API: SERVICENOW_URL, SERVICENOW_USER, SERVICENOW_PASSWORD."""

    def config(self) -> ServiceNowConfig | NotConfigured:
        return servicenow_config(load_environment())


class FinanceDropResource(dg.ConfigurableResource):
    """The finance drop folder: FINANCE_EXPORT_DIR."""

    def config(self) -> FinanceConfig | NotConfigured:
        return finance_config(load_environment())


def dbt_resource() -> DbtCliResource:
    # The dbt of this environment, whether or not the venv is activated (PATH may not have it).
    executable = Path(sys.executable).parent / "dbt"
    return DbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(dbt_project.profiles_dir),
        dbt_executable=str(executable) if executable.exists() else "dbt",
    )


def dbt_environment() -> dict[str, str]:
    """Variables dbt reads (profiles.yml, dbt_project.yml vars): always absolute paths."""
    settings = Settings.from_env()
    return {
        "PWH_HOME": str(settings.home),
        "PWH_AS_OF": settings.as_of.isoformat(),
        "PWH_REPORTING_CURRENCY": settings.reporting_currency,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


@dg.definitions
def resources() -> dg.Definitions:
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    return dg.Definitions(
        resources={
            "warehouse": WarehouseResource(),
            "jira": JiraResource(),
            "servicenow": ServiceNowResource(),
            "finance": FinanceDropResource(),
            "dbt": dbt_resource(),
        }
    )
