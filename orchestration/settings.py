"""Configuration from environment variables (docs/contract.md §2), read once into `Settings`.

Where a setting goes from here (docs/architecture.md decision 4):

- **The entry point reads.** `Settings.from_env()` reads the environment and a `.env` file in the
  working directory (a variable set in the environment wins) once: in the `pwh` CLI, and in
  Dagster's definitions loading (`orchestration/definitions.py`) for `dagster`, `pwh ui` and
  `pwh serve`. Nothing else reads them (except `pwh simulate`, which takes only PWH_HOME, and
  PWH_DEBUG, which only decides whether `pwh` prints a traceback).
- **Dagster resources carry them.** `orchestration/defs/resources.py` turns a `Settings` into
  resources with fields, which the Dagster UI shows and a run's config can override; secrets are
  `dg.EnvVar`s, so the UI and run config show the variable's name, never its value. Assets,
  checks, the schedule and the sensors take their settings from those resources.
- **Child processes get an environment.** dbt reads PWH_HOME, PWH_REPORTING_CURRENCY and the
  as-of date (DBT_ENV_CUSTOM_ENV_PWH_AS_OF) from its environment, and Dagster's step processes resolve the secrets'
  `EnvVar`s from theirs: `child_environment` hands them what they need for the time they are
  started. It is the only code that writes `os.environ` after start-up.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from dotenv import dotenv_values

# The secrets: only their names leave Settings (as dg.EnvVar), except into a child's environment.
JIRA_API_TOKEN = "JIRA_API_TOKEN"
SERVICENOW_PASSWORD = "SERVICENOW_PASSWORD"

EXECUTORS = ("multiprocess", "in_process")


def load_environment(environ: Mapping[str, str] | None = None, dotenv: Path | None = None) -> dict[str, str]:
    """The effective environment: `.env` values overlaid by the real environment."""
    env = {k: v for k, v in dotenv_values(dotenv or Path.cwd() / ".env").items() if v is not None}
    env.update(environ if environ is not None else os.environ)
    return env


class ConfigError(ValueError):
    """A setting a user must fix; the message names the variable."""


@dataclass(frozen=True)
class WarehousePaths:
    """Everything the pipeline writes lives under PWH_HOME."""

    home: Path

    @property
    def raw(self) -> Path:
        return self.home / "raw"

    @property
    def quality(self) -> Path:
        return self.home / "quality"

    @property
    def build_db(self) -> Path:
        """dbt's file: one writer, never opened by BI tools."""
        return self.home / "portfolio.duckdb"

    @property
    def build_stamps(self) -> Path:
        """What each dbt step last built from (orchestration/defs/transform/build_stamps.py)."""
        return self.home / "builds"

    @property
    def published_db(self) -> Path:
        """What BI opens: replaced atomically after a good build."""
        return self.home / "published" / "portfolio.duckdb"

    @property
    def exports(self) -> Path:
        return self.home / "exports"

    @property
    def reports(self) -> Path:
        return self.home / "reports"

    @property
    def simulator(self) -> Path:
        return self.home / "simulator"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"


# A further instance's name (JIRA_SITES, SERVICENOW_INSTANCES): it names the instance's variables
# and its landing folder.
INSTANCE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,29}$")


@dataclass(frozen=True)
class SourceInstance:
    """What the settings of one instance of an API source share (a Jira site, a ServiceNow instance).

    The first instance is unnamed and reads the source's variables (JIRA_URL); a further one, named
    in the source's ``LISTING`` variable (JIRA_SITES=acme), reads the same with its name after the
    source's (JIRA_ACME_URL). Each field but the name is the variable of its own name in capitals.
    """

    SOURCE: ClassVar[str]  # the first instance's landing folder, and the variables' prefix
    LISTING: ClassVar[str]  # the variable naming the further instances
    NAME: ClassVar[str]  # the field holding the instance's name: "" for the first
    REQUIRED: ClassVar[tuple[str, ...]]  # the fields a named instance cannot do without

    @property
    def name(self) -> str:
        return getattr(self, self.NAME)

    @property
    def source_instance(self) -> str:
        """The instance's landing folder under raw/ and the `source_instance` of its rows: `jira`, or
        `jira.<name>` for a further one (dbt reads `raw/<source>*/` and qualifies a further
        instance's keys with the name, dbt_project/macros/source_instance_id.sql)."""
        return f"{self.SOURCE}.{self.name}" if self.name else self.SOURCE

    @property
    def variable_prefix(self) -> str:
        """What this instance's variables start with: JIRA, or JIRA_ACME."""
        return (f"{self.SOURCE}_{self.name}" if self.name else self.SOURCE).upper()

    def variable(self, setting: str) -> str:
        """The environment variable of one setting of this instance: JIRA_URL, or JIRA_ACME_URL."""
        return f"{self.variable_prefix}_{setting}"

    def environment(self) -> dict[str, str | None]:
        """This instance's variables, for a child process that reads them again."""
        return {self.variable(f.name.upper()): getattr(self, f.name) for f in fields(self) if f.name != self.NAME}


@dataclass(frozen=True)
class JiraSettings(SourceInstance):
    """One Jira site: JIRA_URL, JIRA_EMAIL, JIRA_API_TOKEN, optional JIRA_JQL_SCOPE,
    JIRA_STORY_POINTS_FIELD and JIRA_SPRINT_FIELD; a further site named in JIRA_SITES reads the
    same names with its own after JIRA_ (JIRA_ACME_URL, …)."""

    SOURCE: ClassVar[str] = "jira"
    LISTING: ClassVar[str] = "JIRA_SITES"
    NAME: ClassVar[str] = "site"
    REQUIRED: ClassVar[tuple[str, ...]] = ("url", "email", "api_token")

    url: str | None = None
    email: str | None = None
    api_token: str | None = field(default=None, repr=False)
    jql_scope: str | None = None
    # the custom fields holding story points and the sprint, when finding them by name is wrong
    story_points_field: str | None = None
    sprint_field: str | None = None
    # "" for the site of JIRA_URL; a further site's name from JIRA_SITES
    site: str = ""

    def custom_fields(self) -> dict[str, str]:
        """The custom fields this site's configuration names, by the role dbt reads them as."""
        named = {"story_points": self.story_points_field, "sprint": self.sprint_field}
        return {role: field_id for role, field_id in named.items() if field_id}


@dataclass(frozen=True)
class ServiceNowSettings(SourceInstance):
    """One ServiceNow instance: SERVICENOW_URL, SERVICENOW_USER, SERVICENOW_PASSWORD; a further
    instance named in SERVICENOW_INSTANCES reads the same names with its own after SERVICENOW_
    (SERVICENOW_ACME_URL, …)."""

    SOURCE: ClassVar[str] = "servicenow"
    LISTING: ClassVar[str] = "SERVICENOW_INSTANCES"
    NAME: ClassVar[str] = "instance"
    REQUIRED: ClassVar[tuple[str, ...]] = ("url", "user", "password")

    url: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    # "" for the instance of SERVICENOW_URL; a further instance's name from SERVICENOW_INSTANCES
    instance: str = ""


@dataclass(frozen=True)
class Settings:
    """Every setting of docs/contract.md §2, typed, read once (`from_env`)."""

    home: Path
    # PWH_AS_OF; None: today (UTC) when a run starts (`for_run` pins it for one run).
    as_of: date | None
    reporting_currency: str = "USD"
    jira: JiraSettings = JiraSettings()
    # further Jira sites (JIRA_SITES), each with its own variables
    jira_sites: tuple[JiraSettings, ...] = ()
    servicenow: ServiceNowSettings = ServiceNowSettings()
    # further ServiceNow instances (SERVICENOW_INSTANCES), each with its own variables
    servicenow_instances: tuple[ServiceNowSettings, ...] = ()
    finance_export_dir: Path | None = None
    ca_bundle: str | None = None
    schedule_cron: str = "0 2 * * *"
    schedule_timezone: str = "UTC"
    executor: str = "in_process"
    automations: bool = True
    scenario_dir: Path | None = None

    @property
    def paths(self) -> WarehousePaths:
        return WarehousePaths(self.home)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, as_of: date | None = None) -> Settings:
        """Read the environment (and `.env`); a value a user must fix raises ConfigError naming it.

        ``as_of``: a date given on the command line (`--as-of`), which PWH_AS_OF gives way to.
        """
        env = load_environment(environ)

        def text(name: str) -> str | None:
            return env.get(name) or None

        finance = text("FINANCE_EXPORT_DIR")
        scenarios = text("PWH_SCENARIO_DIR")
        return cls(
            home=Path(text("PWH_HOME") or "warehouse").expanduser().resolve(),
            as_of=as_of or parse_as_of(text("PWH_AS_OF")),
            reporting_currency=parse_currency(text("PWH_REPORTING_CURRENCY")),
            jira=instance_settings(JiraSettings, text, ""),
            jira_sites=further_instances(JiraSettings, text),
            servicenow=instance_settings(ServiceNowSettings, text, ""),
            servicenow_instances=further_instances(ServiceNowSettings, text),
            finance_export_dir=Path(finance).expanduser().resolve() if finance else None,
            ca_bundle=text("PWH_CA_BUNDLE"),
            schedule_cron=text("PWH_SCHEDULE_CRON") or "0 2 * * *",
            schedule_timezone=text("PWH_SCHEDULE_TIMEZONE") or "UTC",
            executor=executor_choice(env),
            automations=automations_on(env),
            scenario_dir=Path(scenarios).expanduser().resolve() if scenarios else None,
        )

    def for_run(self, as_of: date | None = None) -> Settings:
        """These settings for one run: the as-of date given (`--as-of`), else PWH_AS_OF, else today (UTC)."""
        return replace(self, as_of=as_of or self.as_of or today())

    def with_sources(
        self,
        *,
        jira: JiraSettings,
        servicenow: ServiceNowSettings,
        finance_export_dir: Path,
        jira_sites: tuple[JiraSettings, ...] = (),
        servicenow_instances: tuple[ServiceNowSettings, ...] = (),
    ) -> Settings:
        """The same settings reading other sources (`pwh demo`: the simulators)."""
        return replace(
            self,
            jira=jira,
            jira_sites=jira_sites,
            servicenow=servicenow,
            servicenow_instances=servicenow_instances,
            finance_export_dir=finance_export_dir,
        )

    @property
    def all_jira_sites(self) -> tuple[JiraSettings, ...]:
        return every_instance(self.jira, self.jira_sites)

    def jira_site_configs(self):  # noqa: ANN201 (list[tuple[JiraSettings, JiraConfig | NotConfigured]])
        return jira_site_configs(self.all_jira_sites, self.ca_bundle)

    @property
    def all_servicenow_instances(self) -> tuple[ServiceNowSettings, ...]:
        return every_instance(self.servicenow, self.servicenow_instances)

    def servicenow_instance_configs(self):  # noqa: ANN201 (list[tuple[ServiceNowSettings, ServiceNowConfig | NotConfigured]])
        return servicenow_instance_configs(self.all_servicenow_instances, self.ca_bundle)

    def finance_config(self):  # noqa: ANN201 (FinanceConfig | NotConfigured)
        return finance_config(str(self.finance_export_dir) if self.finance_export_dir else None)

    def environment(self) -> dict[str, str]:
        """These settings as the variables they are read from, for a child process that reads them
        again (Dagster's code server and step processes): values as resolved here (PWH_HOME
        absolute), secrets included, unset ones left out. Only ever a child's environment."""
        values = {
            "PWH_HOME": str(self.home),
            "PWH_AS_OF": self.as_of.isoformat() if self.as_of else None,
            "PWH_REPORTING_CURRENCY": self.reporting_currency,
            **instances_environment(self.jira, self.jira_sites),
            **instances_environment(self.servicenow, self.servicenow_instances),
            "FINANCE_EXPORT_DIR": str(self.finance_export_dir) if self.finance_export_dir else None,
            "PWH_CA_BUNDLE": self.ca_bundle,
            "PWH_SCHEDULE_CRON": self.schedule_cron,
            "PWH_SCHEDULE_TIMEZONE": self.schedule_timezone,
            "PWH_EXECUTOR": self.executor,
            "PWH_AUTOMATIONS": "on" if self.automations else "off",
            "PWH_SCENARIO_DIR": str(self.scenario_dir) if self.scenario_dir else None,
        }
        return {name: value for name, value in values.items() if value is not None}


def instance_names(text: Callable[[str], str | None], variable: str) -> list[str]:
    """The further instances' names in ``variable`` (JIRA_SITES, SERVICENOW_INSTANCES), separated by
    commas or spaces (`acme, globex`); an error names the variable."""
    value = text(variable) or ""
    names = [name.strip().lower() for name in re.split(r"[,\s]+", value) if name.strip()]
    for name in names:
        if not INSTANCE_NAME.match(name):
            raise ConfigError(
                f"{variable} names {name!r}: each name is a letter, then letters, digits or _ "
                f"(up to 30), as in {variable}=acme,globex"
            )
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigError(f"{variable} names {', '.join(duplicates)} more than once")
    return names


# The settings of one instance of a source, as the functions below take and give them.
_Instance = TypeVar("_Instance", JiraSettings, ServiceNowSettings)


def instance_settings(kind: type[_Instance], text: Callable[[str], str | None], name: str) -> _Instance:
    """One instance's settings from its variables (``name`` "" for the first instance)."""
    names = kind(**{kind.NAME: name})
    values = {f.name: text(names.variable(f.name.upper())) for f in fields(kind) if f.name != kind.NAME}
    return kind(**{**values, "url": _url(values["url"]), kind.NAME: name})


def further_instances(kind: type[_Instance], text: Callable[[str], str | None]) -> tuple[_Instance, ...]:
    """The further instances the source's listing (JIRA_SITES) names. Each must have every
    variable it cannot do without: it was asked for, so a missing one is a mistake, not a skip (the
    first instance, unnamed, is skipped instead)."""
    further = tuple(instance_settings(kind, text, name) for name in instance_names(text, kind.LISTING))
    for one in further:
        missing = _missing({one.variable(f.upper()): getattr(one, f) for f in kind.REQUIRED})
        if missing:
            raise ConfigError(f"{kind.LISTING} names {one.name!r}, but {', '.join(missing)} is not set")
    return further


def every_instance(first: _Instance, further: tuple[_Instance, ...]) -> tuple[_Instance, ...]:
    """Every instance of a source: the first (JIRA_URL's, SERVICENOW_URL's) when its URL is set or
    when it is the only one, then the further ones (JIRA_SITES', SERVICENOW_INSTANCES')."""
    return (*((first,) if first.url or not further else ()), *further)


def instances_environment(first: _Instance, further: tuple[_Instance, ...]) -> dict[str, str | None]:
    """A source's instances as the variables they are read from: the first's, the listing
    (JIRA_SITES=acme,globex) and each further one's."""
    listing = {first.LISTING: ",".join(one.name for one in further) or None}
    return {**first.environment(), **listing, **{k: v for one in further for k, v in one.environment().items()}}


def jira_site_configs(sites: tuple[JiraSettings, ...], ca_bundle: str | None):  # noqa: ANN201
    """Each Jira site with how to reach it (or, for the site of JIRA_URL, what is missing)."""
    return [
        (site, jira_config(site.url, site.email, site.api_token, site.jql_scope, ca_bundle, site.variable_prefix))
        for site in sites
    ]


def servicenow_instance_configs(instances: tuple[ServiceNowSettings, ...], ca_bundle: str | None):  # noqa: ANN201
    """Each ServiceNow instance with how to reach it (or, for the instance of SERVICENOW_URL, what is missing)."""
    return [
        (one, servicenow_config(one.url, one.user, one.password, ca_bundle, one.variable_prefix)) for one in instances
    ]


def ready_instances(configs) -> list[tuple[str, Any]] | NotConfigured:  # noqa: ANN001 (a *_configs() list)
    """Each instance to sync as (its landing folder, how to reach it), from a source's
    ``*_configs()``. The first instance, when its variables are incomplete, is skipped as a lone
    one would be (`pwh check` names what to set); with no further instance either, the source is
    not configured at all."""
    ready = [(one.source_instance, config) for one, config in configs if not isinstance(config, NotConfigured)]
    return ready or configs[0][1]


def today() -> date:
    return datetime.now(UTC).date()


def parse_as_of(text: str | None) -> date | None:
    """PWH_AS_OF (or a run's `as_of`): a date like 2026-06-30, or None when unset."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(f"PWH_AS_OF must be a date like 2026-06-30, not {text!r}") from exc


def parse_currency(text: str | None) -> str:
    currency = (text or "USD").upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ConfigError(f"PWH_REPORTING_CURRENCY must be an ISO code like USD, not {currency!r}")
    return currency


def executor_choice(env: Mapping[str, str]) -> str:
    """PWH_EXECUTOR: ``in_process`` (default) or ``multiprocess`` (docs/architecture.md "Executor")."""
    choice = env.get("PWH_EXECUTOR") or "in_process"
    if choice not in EXECUTORS:
        raise ConfigError(f"PWH_EXECUTOR must be multiprocess or in_process, not {choice!r}")
    return choice


def automations_on(env: Mapping[str, str]) -> bool:
    """PWH_AUTOMATIONS: whether the schedule and sensors start switched on (``on``, the default
    for a daemon that runs the nightly job) or off (``off``: `pwh ui`, for looking around without
    a run starting by itself). Either way they can be switched in the Dagster UI."""
    value = (env.get("PWH_AUTOMATIONS") or "on").strip().lower()
    if value not in ("on", "off"):
        raise ConfigError(f"PWH_AUTOMATIONS must be on or off, not {value!r}")
    return value == "on"


def _url(text: str | None) -> str | None:
    return text.rstrip("/") if text else None


@contextmanager
def child_environment(env: Mapping[str, str]) -> Iterator[None]:
    """Child processes started inside this block get ``env`` on top of this process's environment.

    For processes whose starter takes no environment of its own: dagster-dbt's `dbt.cli()` and
    Dagster's step processes start from `os.environ`. The previous values are back when the block
    ends. The one place that writes `os.environ` after start-up (a Dagster step or `pwh` runs one
    thing at a time, so no other thread reads it meanwhile).
    """
    saved = {name: os.environ.get(name) for name in env}
    try:
        for name, value in env.items():
            os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


# --- the sources -------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotConfigured:
    """A source that cannot run, and the variables a user must set."""

    source: str
    missing: tuple[str, ...]

    @property
    def message(self) -> str:
        return (
            f"{self.source} not configured: set {', '.join(self.missing)} "
            "(source skipped; its marts keep the last loaded data)"
        )


def _missing(values: Mapping[str, str | None]) -> tuple[str, ...]:
    return tuple(name for name, value in values.items() if not value)


def jira_config(  # noqa: ANN201 (JiraConfig | NotConfigured)
    url: str | None,
    email: str | None,
    api_token: str | None,
    jql_scope: str | None = None,
    ca_bundle: str | None = None,
    variables: str = "JIRA",
):
    """Jira Cloud from JIRA_URL, JIRA_EMAIL, JIRA_API_TOKEN, optional JIRA_JQL_SCOPE and PWH_CA_BUNDLE
    (``variables``: the prefix of a further site's, JIRA_ACME, which its errors name)."""
    from connectors.jira import JiraConfig

    missing = _missing({"JIRA_URL": url, "JIRA_EMAIL": email, JIRA_API_TOKEN: api_token})
    if missing:
        return NotConfigured("Jira", missing)
    return JiraConfig(
        url=str(url).rstrip("/"),
        email=str(email),
        api_token=str(api_token),
        jql_scope=jql_scope or None,
        verify=ca_bundle or True,
        variables=variables,
    )


def servicenow_config(  # noqa: ANN201 (ServiceNowConfig | NotConfigured)
    url: str | None, user: str | None, password: str | None, ca_bundle: str | None = None, variables: str = "SERVICENOW"
):
    """The ServiceNow Table API from SERVICENOW_URL, SERVICENOW_USER, SERVICENOW_PASSWORD, PWH_CA_BUNDLE."""
    from connectors.servicenow import ServiceNowConfig

    missing = _missing({"SERVICENOW_URL": url, "SERVICENOW_USER": user, SERVICENOW_PASSWORD: password})
    if missing:
        return NotConfigured("ServiceNow", missing)
    return ServiceNowConfig(
        url=str(url).rstrip("/"), user=str(user), password=str(password), verify=ca_bundle or True, variables=variables
    )


def finance_config(folder: str | None, settle_seconds: float | None = None):  # noqa: ANN201 (FinanceConfig | NotConfigured)
    """The finance drop folder from FINANCE_EXPORT_DIR."""
    from connectors.finance import FinanceConfig

    if not folder:
        return NotConfigured("Finance exports", ("FINANCE_EXPORT_DIR",))
    path = Path(folder).expanduser().resolve()
    if settle_seconds is None:
        return FinanceConfig(folder=path)
    return FinanceConfig(folder=path, settle_seconds=settle_seconds)
