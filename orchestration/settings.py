"""Configuration from environment variables (docs/contract.md §2): the warehouse's own settings.

The source connections are read by their resources (defs/resources.py) and the schedule by
defs/automation/schedules.py, each when it is used, all through `load_environment`.

A `.env` file in the working directory is read too; variables already set in the environment win.
Secrets stay in the environment: resources hold the *names* of the variables, and read values only
when they connect, so the Dagster UI and run metadata never show a token.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from dotenv import dotenv_values


def load_environment(environ: Mapping[str, str] | None = None, dotenv: Path | None = None) -> dict[str, str]:
    """The effective environment: `.env` values overlaid by the real environment."""
    env = {k: v for k, v in dotenv_values(dotenv or Path.cwd() / ".env").items() if v is not None}
    env.update(environ if environ is not None else os.environ)
    return env


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


@dataclass(frozen=True)
class Settings:
    home: Path
    as_of: date
    reporting_currency: str

    @property
    def paths(self) -> WarehousePaths:
        return WarehousePaths(self.home)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = load_environment(environ)
        home = Path(env.get("PWH_HOME") or "warehouse").expanduser().resolve()
        as_of_text = env.get("PWH_AS_OF") or ""
        try:
            as_of = date.fromisoformat(as_of_text) if as_of_text else datetime.now(UTC).date()
        except ValueError as exc:
            raise ConfigError(f"PWH_AS_OF must be a date like 2026-06-30, not {as_of_text!r}") from exc
        currency = (env.get("PWH_REPORTING_CURRENCY") or "USD").upper()
        if len(currency) != 3 or not currency.isalpha():
            raise ConfigError(f"PWH_REPORTING_CURRENCY must be an ISO code like USD, not {currency!r}")
        return cls(
            home=home,
            as_of=as_of,
            reporting_currency=currency,
        )


EXECUTORS = ("multiprocess", "in_process")


def executor_choice(environ: Mapping[str, str] | None = None) -> str:
    """PWH_EXECUTOR: ``multiprocess`` (default) or ``in_process``."""
    choice = load_environment(environ).get("PWH_EXECUTOR") or "multiprocess"
    if choice not in EXECUTORS:
        raise ConfigError(f"PWH_EXECUTOR must be multiprocess or in_process, not {choice!r}")
    return choice


class ConfigError(ValueError):
    """A setting a user must fix; the message names the variable."""


def automations_on(environ: Mapping[str, str] | None = None) -> bool:
    """PWH_AUTOMATIONS: whether the schedule and sensors start switched on (``on``, the default
    for a daemon that runs the nightly job) or off (``off``: `pwh ui`, for looking around without
    a run starting by itself). Either way they can be switched in the Dagster UI."""
    value = (load_environment(environ).get("PWH_AUTOMATIONS") or "on").strip().lower()
    if value not in ("on", "off"):
        raise ConfigError(f"PWH_AUTOMATIONS must be on or off, not {value!r}")
    return value == "on"


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


def _missing(env: Mapping[str, str], names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for name in names if not env.get(name))


def jira_config(env: Mapping[str, str]):  # noqa: ANN201 (JiraConfig | NotConfigured)
    """Jira Cloud from JIRA_URL, JIRA_EMAIL, JIRA_API_TOKEN, optional JIRA_JQL_SCOPE and PWH_CA_BUNDLE."""
    from connectors.jira import JiraConfig

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


def servicenow_config(env: Mapping[str, str]):  # noqa: ANN201 (ServiceNowConfig | NotConfigured)
    """The ServiceNow Table API from SERVICENOW_URL, SERVICENOW_USER, SERVICENOW_PASSWORD, PWH_CA_BUNDLE."""
    from connectors.servicenow import ServiceNowConfig

    missing = _missing(env, ("SERVICENOW_URL", "SERVICENOW_USER", "SERVICENOW_PASSWORD"))
    if missing:
        return NotConfigured("ServiceNow", missing)
    return ServiceNowConfig(
        url=env["SERVICENOW_URL"].rstrip("/"),
        user=env["SERVICENOW_USER"],
        password=env["SERVICENOW_PASSWORD"],
        verify=env.get("PWH_CA_BUNDLE") or True,
    )


def finance_config(env: Mapping[str, str]):  # noqa: ANN201 (FinanceConfig | NotConfigured)
    """The finance drop folder from FINANCE_EXPORT_DIR."""
    from connectors.finance import FinanceConfig

    folder = env.get("FINANCE_EXPORT_DIR")
    if not folder:
        return NotConfigured("Finance exports", ("FINANCE_EXPORT_DIR",))
    return FinanceConfig(folder=Path(folder).expanduser().resolve())
