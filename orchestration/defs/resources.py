"""Resources: where the warehouse lives and how to reach each source (docs/contract.md §2).

Each resource's fields are its settings, filled from the `Settings` that definitions loading
read once (`resources(settings)`): the Dagster UI shows them, and a run's config (the launchpad,
`pwh run`, the schedule, the sensors) can give others. Secrets are `dg.EnvVar`s, given only
when the variable is set: the UI and run config show the variable's name, and Dagster reads the
value in the process that runs the step. A source whose settings are missing is reported as not
configured, and its assets skip with a warning naming what to set.
"""

import json
from datetime import date
from pathlib import Path
from typing import Any, ClassVar, Self

import dagster as dg
from pydantic import Field

from connectors.finance import FinanceConfig
from connectors.finance.reader import SETTLE_SECONDS
from connectors.jira import JiraConfig
from connectors.servicenow import ServiceNowConfig
from orchestration.defs.transform.project import DBT_AS_OF_VARIABLE, dbt_resource
from orchestration.settings import (
    JIRA_API_TOKEN,
    SERVICENOW_PASSWORD,
    JiraSettings,
    NotConfigured,
    ServiceNowSettings,
    Settings,
    SourceInstance,
    WarehousePaths,
    every_instance,
    finance_config,
    jira_site_configs,
    parse_as_of,
    parse_currency,
    ready_instances,
    servicenow_instance_configs,
    today,
)


class WarehouseResource(dg.ConfigurableResource):
    """PWH_HOME, the run's as-of date and reporting currency, the scenario folder."""

    home: str = Field(description="PWH_HOME: where the raw landing, warehouse, published copy and exports live")
    as_of: str | None = Field(
        default=None,
        description="PWH_AS_OF: the date KPIs are computed as of (YYYY-MM-DD); unset: today (UTC). "
        "`pwh run`, the nightly schedule and the sensors set it for each run.",
    )
    reporting_currency: str = Field(default="USD", description="PWH_REPORTING_CURRENCY: ISO code of every _amount")
    scenario_dir: str | None = Field(
        default=None, description="PWH_SCENARIO_DIR: the scenario files; unset: the project's scenarios/"
    )

    @property
    def paths(self) -> WarehousePaths:
        return WarehousePaths(Path(self.home))

    def as_of_date(self) -> date:
        return parse_as_of(self.as_of) or today()

    def currency(self) -> str:
        return parse_currency(self.reporting_currency)

    def scenario_folder(self) -> Path:
        from orchestration.scenarios import scenario_folder  # planning (scipy) only when a step solves

        return scenario_folder(self.scenario_dir)

    def dbt_environment(self) -> dict[str, str]:
        """What dbt reads from its environment (profiles.yml, dbt_project.yml vars, the as-of date)."""
        return {
            "PWH_HOME": self.home,
            DBT_AS_OF_VARIABLE: self.as_of_date().isoformat(),
            "PWH_REPORTING_CURRENCY": self.currency(),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }

    def for_run(self, as_of: date | None) -> dict[str, Any]:
        """This resource's run config with the as-of date of one run (a schedule or sensor run)."""
        return {**run_config_of(self), "as_of": as_of.isoformat() if as_of else None}


class FurtherInstance(dg.Config):
    """A further instance of an API source as resource config: its name, and its settings
    (settings.SourceInstance) as fields of the same names, its secret (``SECRET``) as an
    environment variable, so the UI and run config show the variable's name, never its value."""

    KIND: ClassVar[type[SourceInstance]]
    SECRET: ClassVar[str]

    name: str

    @classmethod
    def of(cls, one: SourceInstance) -> Self:
        """A further instance's settings as its config (`source_resources`)."""
        values = {name: getattr(one, name) for name in cls.model_fields if name not in ("name", cls.SECRET)}
        return cls(name=one.name, **values, **{cls.SECRET: dg.EnvVar(one.variable(cls.SECRET.upper()))})

    def settings(self) -> SourceInstance:
        """This config as settings again, its secret resolved (in the step that uses it)."""
        values = {name: getattr(self, name) for name in type(self).model_fields if name != "name"}
        return self.KIND(**values, **{self.KIND.NAME: self.name})


class JiraSite(FurtherInstance):
    """A further Jira site, named in JIRA_SITES, with its own JIRA_<SITE>_… variables."""

    KIND: ClassVar[type[SourceInstance]] = JiraSettings
    SECRET: ClassVar[str] = "api_token"

    name: str = Field(description="the site's name in JIRA_SITES; its rows' source_instance is jira.<name>")
    url: str = Field(description="JIRA_<SITE>_URL")
    email: str = Field(description="JIRA_<SITE>_EMAIL")
    api_token: str = Field(description="JIRA_<SITE>_API_TOKEN, as an environment variable")
    jql_scope: str | None = Field(default=None, description="JIRA_<SITE>_JQL_SCOPE")
    story_points_field: str | None = Field(default=None, description="JIRA_<SITE>_STORY_POINTS_FIELD")
    sprint_field: str | None = Field(default=None, description="JIRA_<SITE>_SPRINT_FIELD")


class JiraResource(dg.ConfigurableResource):
    """Jira Cloud: JIRA_URL, JIRA_EMAIL, JIRA_API_TOKEN (an env var), optional JIRA_JQL_SCOPE, and
    the further sites JIRA_SITES names."""

    url: str | None = Field(default=None, description="JIRA_URL")
    email: str | None = Field(default=None, description="JIRA_EMAIL")
    api_token: str | None = Field(
        default=None, description="JIRA_API_TOKEN, as an environment variable: {env: JIRA_API_TOKEN}"
    )
    jql_scope: str | None = Field(default=None, description="JIRA_JQL_SCOPE: JQL limiting the issues read")
    story_points_field: str | None = Field(
        default=None, description="JIRA_STORY_POINTS_FIELD: the story-points field, when not found by name"
    )
    sprint_field: str | None = Field(
        default=None, description="JIRA_SPRINT_FIELD: the sprint field, when not found by its type"
    )
    sites: list[JiraSite] = Field(default_factory=list, description="JIRA_SITES: further Jira sites")
    ca_bundle: str | None = Field(default=None, description="PWH_CA_BUNDLE: CA bundle (PEM) of a private CA")

    def site_settings(self) -> tuple[JiraSettings, ...]:
        """Every site these fields configure, as settings (the first one left out when unset)."""
        first = JiraSettings(
            self.url, self.email, self.api_token, self.jql_scope, self.story_points_field, self.sprint_field
        )
        return every_instance(first, tuple(site.settings() for site in self.sites))

    def config(self) -> list[tuple[str, JiraConfig]] | NotConfigured:
        """Each site to sync as (its landing folder, how to reach it), or what to set
        (settings.ready_instances: a half-configured site of JIRA_URL is skipped)."""
        return ready_instances(jira_site_configs(self.site_settings(), self.ca_bundle))

    def custom_fields(self) -> dict[str, dict[str, str]]:
        """The custom fields each site's configuration names, by source_instance (stg_jira__fields)."""
        sites = self.site_settings()
        return {site.source_instance: site.custom_fields() for site in sites if site.custom_fields()}


class ServiceNowInstance(FurtherInstance):
    """A further ServiceNow instance, named in SERVICENOW_INSTANCES, with its own SERVICENOW_<NAME>_… variables."""

    KIND: ClassVar[type[SourceInstance]] = ServiceNowSettings
    SECRET: ClassVar[str] = "password"

    name: str = Field(
        description="the instance's name in SERVICENOW_INSTANCES; its rows' source_instance is servicenow.<name>"
    )
    url: str = Field(description="SERVICENOW_<NAME>_URL")
    user: str = Field(description="SERVICENOW_<NAME>_USER")
    password: str = Field(description="SERVICENOW_<NAME>_PASSWORD, as an environment variable")


class ServiceNowResource(dg.ConfigurableResource):
    """ServiceNow Table API: SERVICENOW_URL, SERVICENOW_USER, SERVICENOW_PASSWORD (an env var), and
    the further instances SERVICENOW_INSTANCES names."""

    url: str | None = Field(default=None, description="SERVICENOW_URL")
    user: str | None = Field(default=None, description="SERVICENOW_USER")
    password: str | None = Field(
        default=None, description="SERVICENOW_PASSWORD, as an environment variable: {env: SERVICENOW_PASSWORD}"
    )
    instances: list[ServiceNowInstance] = Field(
        default_factory=list, description="SERVICENOW_INSTANCES: further ServiceNow instances"
    )
    ca_bundle: str | None = Field(default=None, description="PWH_CA_BUNDLE: CA bundle (PEM) of a private CA")

    def instance_settings(self) -> tuple[ServiceNowSettings, ...]:
        """Every instance these fields configure, as settings (the first one left out when unset)."""
        first = ServiceNowSettings(self.url, self.user, self.password)
        return every_instance(first, tuple(one.settings() for one in self.instances))

    def config(self) -> list[tuple[str, ServiceNowConfig]] | NotConfigured:
        """Each instance to sync as (its landing folder, how to reach it), or what to set
        (settings.ready_instances: a half-configured instance of SERVICENOW_URL is skipped)."""
        return ready_instances(servicenow_instance_configs(self.instance_settings(), self.ca_bundle))


class FinanceDropResource(dg.ConfigurableResource):
    """The finance drop folder: FINANCE_EXPORT_DIR."""

    export_dir: str | None = Field(default=None, description="FINANCE_EXPORT_DIR: the drop folder")
    settle_seconds: float = Field(
        default=SETTLE_SECONDS,
        description="a file modified this recently is watched this long, and skipped while it still changes",
    )

    def config(self) -> FinanceConfig | NotConfigured:
        return finance_config(self.export_dir, self.settle_seconds)


# The variable stg_jira__fields reads the configured custom fields from.
JIRA_CUSTOM_FIELDS = "PWH_JIRA_CUSTOM_FIELDS"


def dbt_environment(warehouse: WarehouseResource, jira: JiraResource) -> dict[str, str]:
    """What dbt reads from its environment: the warehouse's settings, and the custom fields each
    Jira site's configuration names (stg_jira__fields). Every step hands dbt the same, so a
    setting that did not change never makes dbt parse a model again."""
    return {**warehouse.dbt_environment(), JIRA_CUSTOM_FIELDS: json.dumps(jira.custom_fields(), sort_keys=True)}


def source_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """The warehouse and the sources, as `settings` say; a secret only as the name of its variable."""
    jira, servicenow = settings.jira, settings.servicenow
    return {
        "warehouse": WarehouseResource(
            home=str(settings.home),
            as_of=settings.as_of.isoformat() if settings.as_of else None,
            reporting_currency=settings.reporting_currency,
            scenario_dir=str(settings.scenario_dir) if settings.scenario_dir else None,
        ),
        "jira": JiraResource(
            url=jira.url,
            email=jira.email,
            # An EnvVar only when the variable is set: an unset one would fail every run that
            # uses the resource, where "not configured" skips the source with a warning.
            api_token=dg.EnvVar(JIRA_API_TOKEN) if jira.api_token else None,
            jql_scope=jira.jql_scope,
            story_points_field=jira.story_points_field,
            sprint_field=jira.sprint_field,
            sites=[JiraSite.of(site) for site in settings.jira_sites],
            ca_bundle=settings.ca_bundle,
        ),
        "servicenow": ServiceNowResource(
            url=servicenow.url,
            user=servicenow.user,
            password=dg.EnvVar(SERVICENOW_PASSWORD) if servicenow.password else None,
            instances=[ServiceNowInstance.of(one) for one in settings.servicenow_instances],
            ca_bundle=settings.ca_bundle,
        ),
        "finance": FinanceDropResource(
            export_dir=str(settings.finance_export_dir) if settings.finance_export_dir else None
        ),
    }


def run_config_of(resource: dg.ConfigurableResource) -> dict[str, Any]:
    """A resource's fields as run config: every field, an EnvVar as ``{"env": NAME}``.

    Run config replaces a resource's whole config (fields left out fall back to the class
    defaults), so a run that changes one field gives them all."""
    return _config_values(resource)


def _config_values(config: dg.ConfigurableResource | dg.Config) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in type(config).model_fields:
        value = getattr(config, name)
        if isinstance(value, dg.EnvVar):
            value = {"env": value.env_var_name}
        elif isinstance(value, list):
            value = [_config_values(item) if isinstance(item, dg.Config) else item for item in value]
        out[name] = value
    return out


def run_config(resources: dict[str, dg.ConfigurableResource]) -> dict[str, Any]:
    """Run config giving these resources: what the run uses is on the run, in the UI."""
    return {"resources": {name: {"config": run_config_of(resource)} for name, resource in resources.items()}}


def resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """Every resource of the definitions."""
    return {**source_resources(settings), "dbt": dbt_resource()}
