"""Resources: where the warehouse lives and how to reach each source (docs/contract.md §2).

Every value comes from environment variables (and a `.env` file). The resources carry no secret
in their config: they read the variables when an asset runs, so the UI and run metadata show
variable names, never tokens. A source whose variables are unset is reported as not configured,
and its assets skip with a warning naming what to set.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from connectors.sync import FinanceConfig, JiraConfig, ServiceNowConfig
from orchestration.defs.transform.project import dbt_project
from orchestration.settings import Settings, WarehousePaths, load_environment


@dataclass(frozen=True)
class NotConfigured:
    """A source that cannot run, and the variables a user must set."""

    source: str
    missing: tuple[str, ...]

    @property
    def message(self) -> str:
        return f"{self.source} not configured: set {', '.join(self.missing)} (source skipped; its marts keep the last loaded data)"


def _missing(env: dict[str, str], names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for name in names if not env.get(name))


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
        env = load_environment()
        missing = _missing(env, ("JIRA_URL", "JIRA_EMAIL", "JIRA_API_TOKEN"))
        if missing:
            return NotConfigured("Jira", missing)
        return JiraConfig(
            url=env["JIRA_URL"].rstrip("/"),
            email=env["JIRA_EMAIL"],
            api_token=env["JIRA_API_TOKEN"],
            jql_scope=env.get("JIRA_JQL_SCOPE") or None,
            verify=env.get("PWH_CA_BUNDLE") or True,
        )


class ServiceNowResource(dg.ConfigurableResource):
    """ServiceNow Table API: SERVICENOW_URL, SERVICENOW_USER, SERVICENOW_PASSWORD."""

    def config(self) -> ServiceNowConfig | NotConfigured:
        env = load_environment()
        missing = _missing(env, ("SERVICENOW_URL", "SERVICENOW_USER", "SERVICENOW_PASSWORD"))
        if missing:
            return NotConfigured("ServiceNow", missing)
        return ServiceNowConfig(
            url=env["SERVICENOW_URL"].rstrip("/"),
            user=env["SERVICENOW_USER"],
            password=env["SERVICENOW_PASSWORD"],
            verify=env.get("PWH_CA_BUNDLE") or True,
        )


class FinanceDropResource(dg.ConfigurableResource):
    """The finance drop folder: FINANCE_EXPORT_DIR."""

    def config(self) -> FinanceConfig | NotConfigured:
        env = load_environment()
        folder = env.get("FINANCE_EXPORT_DIR")
        if not folder:
            return NotConfigured("Finance exports", ("FINANCE_EXPORT_DIR",))
        return FinanceConfig(folder=Path(folder).expanduser().resolve())


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
