"""Preflight: can each source be read at all, in seconds, before a night is spent on it?

For every configured source this asks the cheapest question each entity's sync will ask —
reachable, TLS verified, credentials accepted, permission to read one page of every endpoint or
table the sync reads — and for the finance drop folder: there, readable, holding exports. A URL
on a closed port, an expired token, a table the account may not read or an unreadable folder is
found here, named with the setting to fix, instead of minutes into a run.

The clients' own request path is used (same session, same TLS and secret scrubbing), with a
short policy: a source that does not answer within a few seconds is a setting to check.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from connectors.finance.reader import file_kind
from connectors.http import HttpPolicy, SourceConfigError, SourceError
from connectors.jira.client import JiraClient
from connectors.servicenow.client import TABLE_FIELDS, ServiceNowClient

# Seconds, not minutes: a preflight never waits out a long retry budget.
PREFLIGHT_POLICY = HttpPolicy(
    connect_timeout=4.0,
    read_timeout=30.0,
    max_attempts=3,
    backoff_base=0.5,
    backoff_max=1.0,
    retry_budget_seconds=6.0,
    first_contact_budget_seconds=3.0,
)
JIRA_API = "/rest/api/3"


@dataclass(frozen=True)
class CheckOutcome:
    """One preflight question and its answer."""

    source: str
    check: str
    ok: bool
    detail: str
    # A setting on this machine is wrong (not the source): the night cannot start (exit 2).
    local: bool = False


def _ask(source: str, check: str, question: Callable[[], str]) -> CheckOutcome:
    try:
        return CheckOutcome(source, check, True, question())
    except SourceError as exc:
        return CheckOutcome(source, check, False, exc.message)
    except SourceConfigError as exc:
        return CheckOutcome(source, check, False, str(exc))


def check_jira(client: JiraClient) -> list[CheckOutcome]:
    """Reachable and credentials accepted (``/myself``), then one page of each endpoint the sync
    reads. Stops after the first failure: with no answer or a refused login, the rest would only
    repeat it."""
    http = client.http

    def myself() -> str:
        user = client.myself()
        return f"signed in as {user.get('emailAddress') or user.get('displayName') or user.get('accountId')}"

    def page(method: str, path: str, **kwargs: object) -> Callable[[], str]:
        def ask() -> str:
            if method == "GET":
                http.get_json(f"{JIRA_API}{path}", kwargs.get("params"))  # type: ignore[arg-type]
            else:
                http.post_json(f"{JIRA_API}{path}", kwargs.get("body"))
            return "readable"

        return ask

    now_ms = int(datetime.now(UTC).timestamp() * 1000)
    questions: list[tuple[str, Callable[[], str]]] = [
        ("sign in", myself),
        ("projects", page("GET", "/project/search", params={"maxResults": 1})),
        ("statuses", page("GET", "/status")),
        ("fields", page("GET", "/field")),
        ("users", page("GET", "/users/search", params={"maxResults": 1})),
        (
            "issues",
            page(
                "POST",
                "/search/jql",
                body={"jql": f"updated >= {now_ms} ORDER BY updated ASC", "fields": ["updated"], "maxResults": 1},
            ),
        ),
        ("worklogs", page("GET", "/worklog/updated", params={"since": now_ms})),
    ]
    return _until_first_failure("Jira", questions)


def check_servicenow(client: ServiceNowClient, tables: Iterable[str] = tuple(TABLE_FIELDS)) -> list[CheckOutcome]:
    """Reachable and credentials accepted, then one row of every table the sync reads (an ACL
    that hides a table answers 403 here)."""

    def row(table: str) -> Callable[[], str]:
        def ask() -> str:
            client.http.get_json(f"/api/now/table/{table}", {"sysparm_limit": 1, "sysparm_fields": "sys_id"})
            return "readable"

        return ask

    def sign_in() -> str:
        client.check()
        return "signed in"

    return _until_first_failure("ServiceNow", [("sign in", sign_in), *((t, row(t)) for t in tables)])


def check_finance_folder(folder: Path) -> list[CheckOutcome]:
    """The drop folder exists, can be listed and read, and holds export files (or says it is empty)."""
    source = "Finance exports"
    if not folder.exists():
        return [
            CheckOutcome(
                source, "folder", False, local=True, detail=f"{folder} does not exist — check FINANCE_EXPORT_DIR"
            )
        ]
    if not folder.is_dir():
        return [
            CheckOutcome(
                source, "folder", False, local=True, detail=f"{folder} is not a folder — check FINANCE_EXPORT_DIR"
            )
        ]
    try:
        names = [entry.name for entry in os.scandir(folder)]
    except PermissionError:
        return [
            CheckOutcome(
                source,
                "folder",
                False,
                local=True,
                detail=f"{folder} cannot be listed (permission denied) — check FINANCE_EXPORT_DIR "
                "and the folder's permissions for this user",
            )
        ]
    exports = [name for name in names if file_kind(name) is not None]
    unreadable = [name for name in exports if not os.access(folder / name, os.R_OK)]
    if unreadable:
        return [
            CheckOutcome(
                source,
                "files",
                False,
                local=True,
                detail=f"{len(unreadable)} export files in {folder} cannot be read (permission denied, "
                f"e.g. {unreadable[0]}) — fix their permissions for this user",
            )
        ]
    detail = (
        f"{len(exports)} export files" if exports else "no export files yet (gl_actuals_*, forecast_*, fx_rates_*.csv)"
    )
    return [CheckOutcome(source, "folder", True, detail)]


def _until_first_failure(source: str, questions: list[tuple[str, Callable[[], str]]]) -> list[CheckOutcome]:
    outcomes: list[CheckOutcome] = []
    for check, question in questions:
        outcome = _ask(source, check, question)
        outcomes.append(outcome)
        if not outcome.ok:
            break
    return outcomes
