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
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

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


# A further Jira site's name (JIRA_SITES): it names the site's variables and its landing folder.
SITE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,29}$")


@dataclass(frozen=True)
class JiraSettings:
    """One Jira site: JIRA_URL, JIRA_EMAIL, JIRA_API_TOKEN, optional JIRA_JQL_SCOPE,
    JIRA_STORY_POINTS_FIELD and JIRA_SPRINT_FIELD; a further site named in JIRA_SITES reads the
    same names with its own after JIRA_ (JIRA_ACME_URL, …)."""

    url: str | None = None
    email: str | None = None
    api_token: str | None = field(default=None, repr=False)
    jql_scope: str | None = None
    # the custom fields holding story points and the sprint, when finding them by name is wrong
    story_points_field: str | None = None
    sprint_field: str | None = None
    # "" for the site of JIRA_URL; a further site's name from JIRA_SITES
    site: str = ""

    @property
    def source_instance(self) -> str:
        """The site's landing folder under raw/ and the `source_instance` of its rows: `jira`,
        or `jira.<site>` (dbt_project/macros/source_instance_id.sql qualifies its ids with the name)."""
        return f"jira.{self.site}" if self.site else "jira"

    def variable(self, name: str) -> str:
        """The environment variable of one setting of this site: JIRA_URL, or JIRA_ACME_URL."""
        return f"JIRA_{self.site.upper()}_{name}" if self.site else f"JIRA_{name}"

    def custom_fields(self) -> dict[str, str]:
        """The custom fields this site's configuration names, by the role dbt reads them as."""
        named = {"story_points": self.story_points_field, "sprint": self.sprint_field}
        return {role: field_id for role, field_id in named.items() if field_id}


@dataclass(frozen=True)
class ServiceNowSettings:
    """SERVICENOW_URL, SERVICENOW_USER, SERVICENOW_PASSWORD."""

    url: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)


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
            jira=jira_site_settings(text, ""),
            jira_sites=tuple(jira_site_settings(text, name, required=True) for name in site_names(text("JIRA_SITES"))),
            servicenow=ServiceNowSettings(
                url=_url(text("SERVICENOW_URL")),
                user=text("SERVICENOW_USER"),
                password=text(SERVICENOW_PASSWORD),
            ),
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
    ) -> Settings:
        """The same settings reading other sources (`pwh demo`: the simulators)."""
        return replace(
            self, jira=jira, jira_sites=jira_sites, servicenow=servicenow, finance_export_dir=finance_export_dir
        )

    def jira_config(self):  # noqa: ANN201 (JiraConfig | NotConfigured)
        """The site of JIRA_URL."""
        j = self.jira
        return jira_config(j.url, j.email, j.api_token, j.jql_scope, self.ca_bundle)

    @property
    def all_jira_sites(self) -> tuple[JiraSettings, ...]:
        return every_jira_site(self.jira, self.jira_sites)

    def jira_site_configs(self):  # noqa: ANN201 (list[tuple[JiraSettings, JiraConfig | NotConfigured]])
        return jira_site_configs(self.all_jira_sites, self.ca_bundle)

    def servicenow_config(self):  # noqa: ANN201 (ServiceNowConfig | NotConfigured)
        s = self.servicenow
        return servicenow_config(s.url, s.user, s.password, self.ca_bundle)

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
            "JIRA_URL": self.jira.url,
            "JIRA_EMAIL": self.jira.email,
            JIRA_API_TOKEN: self.jira.api_token,
            "JIRA_JQL_SCOPE": self.jira.jql_scope,
            "JIRA_STORY_POINTS_FIELD": self.jira.story_points_field,
            "JIRA_SPRINT_FIELD": self.jira.sprint_field,
            "JIRA_SITES": ",".join(site.site for site in self.jira_sites) or None,
            **{name: value for site in self.jira_sites for name, value in site_environment(site).items()},
            "SERVICENOW_URL": self.servicenow.url,
            "SERVICENOW_USER": self.servicenow.user,
            SERVICENOW_PASSWORD: self.servicenow.password,
            "FINANCE_EXPORT_DIR": str(self.finance_export_dir) if self.finance_export_dir else None,
            "PWH_CA_BUNDLE": self.ca_bundle,
            "PWH_SCHEDULE_CRON": self.schedule_cron,
            "PWH_SCHEDULE_TIMEZONE": self.schedule_timezone,
            "PWH_EXECUTOR": self.executor,
            "PWH_AUTOMATIONS": "on" if self.automations else "off",
            "PWH_SCENARIO_DIR": str(self.scenario_dir) if self.scenario_dir else None,
        }
        return {name: value for name, value in values.items() if value is not None}


def site_names(text: str | None) -> list[str]:
    """JIRA_SITES: further Jira sites' names, separated by commas or spaces (`acme, globex`)."""
    names = [name.strip().lower() for name in re.split(r"[,\s]+", text or "") if name.strip()]
    for name in names:
        if not SITE_NAME.match(name):
            raise ConfigError(
                f"JIRA_SITES names {name!r}: a site name is a letter, then letters, digits or _ "
                "(up to 30), as in JIRA_SITES=acme,globex"
            )
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigError(f"JIRA_SITES names {', '.join(duplicates)} more than once")
    return names


def jira_site_settings(text: Callable[[str], str | None], site: str, *, required: bool = False) -> JiraSettings:
    """One Jira site's settings from its variables; a site JIRA_SITES names must have all three
    of URL, EMAIL and API_TOKEN (it was asked for, so a missing one is a mistake, not a skip)."""
    names = JiraSettings(site=site)
    settings = JiraSettings(
        url=_url(text(names.variable("URL"))),
        email=text(names.variable("EMAIL")),
        api_token=text(names.variable("API_TOKEN")),
        jql_scope=text(names.variable("JQL_SCOPE")),
        story_points_field=text(names.variable("STORY_POINTS_FIELD")),
        sprint_field=text(names.variable("SPRINT_FIELD")),
        site=site,
    )
    if required:
        values = {
            names.variable("URL"): settings.url,
            names.variable("EMAIL"): settings.email,
            names.variable("API_TOKEN"): settings.api_token,
        }
        missing = _missing(values)
        if missing:
            raise ConfigError(f"JIRA_SITES names {site!r}, but {', '.join(missing)} is not set")
    return settings


def every_jira_site(first: JiraSettings, further: tuple[JiraSettings, ...]) -> tuple[JiraSettings, ...]:
    """Every Jira site: the one of JIRA_URL (when set, or when it is the only one), then JIRA_SITES'."""
    return (*((first,) if first.url or not further else ()), *further)


def jira_site_configs(sites: tuple[JiraSettings, ...], ca_bundle: str | None):  # noqa: ANN201
    """Each Jira site with how to reach it (or, for the site of JIRA_URL, what is missing)."""
    return [(site, jira_config(site.url, site.email, site.api_token, site.jql_scope, ca_bundle)) for site in sites]


def site_environment(site: JiraSettings) -> dict[str, str | None]:
    """A further site's variables, for a child process that reads them again."""
    return {
        site.variable("URL"): site.url,
        site.variable("EMAIL"): site.email,
        site.variable("API_TOKEN"): site.api_token,
        site.variable("JQL_SCOPE"): site.jql_scope,
        site.variable("STORY_POINTS_FIELD"): site.story_points_field,
        site.variable("SPRINT_FIELD"): site.sprint_field,
    }


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
):
    """Jira Cloud from JIRA_URL, JIRA_EMAIL, JIRA_API_TOKEN, optional JIRA_JQL_SCOPE and PWH_CA_BUNDLE."""
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
    )


def servicenow_config(  # noqa: ANN201 (ServiceNowConfig | NotConfigured)
    url: str | None, user: str | None, password: str | None, ca_bundle: str | None = None
):
    """The ServiceNow Table API from SERVICENOW_URL, SERVICENOW_USER, SERVICENOW_PASSWORD, PWH_CA_BUNDLE."""
    from connectors.servicenow import ServiceNowConfig

    missing = _missing({"SERVICENOW_URL": url, "SERVICENOW_USER": user, SERVICENOW_PASSWORD: password})
    if missing:
        return NotConfigured("ServiceNow", missing)
    return ServiceNowConfig(url=str(url).rstrip("/"), user=str(user), password=str(password), verify=ca_bundle or True)


def finance_config(folder: str | None, settle_seconds: float | None = None):  # noqa: ANN201 (FinanceConfig | NotConfigured)
    """The finance drop folder from FINANCE_EXPORT_DIR."""
    from connectors.finance import FinanceConfig

    if not folder:
        return NotConfigured("Finance exports", ("FINANCE_EXPORT_DIR",))
    path = Path(folder).expanduser().resolve()
    if settle_seconds is None:
        return FinanceConfig(folder=path)
    return FinanceConfig(folder=path, settle_seconds=settle_seconds)
