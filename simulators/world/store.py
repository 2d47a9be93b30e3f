"""The simulated enterprise on disk: one SQLite file that the generator writes and the servers read.

SQLite (stdlib) keeps even the ``large`` world out of memory: the generator streams records into
it, the servers answer each request with an indexed query, and ``advance()`` updates rows in
place. WAL mode lets a server thread read while a test advances the world.

Conventions every writer and reader of this file keeps:

- ServiceNow records (``sn_record.body``) are JSON objects shaped exactly as the Table API returns
  them with ``sysparm_display_value=false`` and ``sysparm_exclude_reference_link=true``: every value
  a string, empty as ``""``, references as the bare ``sys_id``, ``glide_date_time`` as
  ``yyyy-MM-dd HH:mm:ss`` UTC, ``glide_date`` as ``yyyy-MM-dd``. The body includes ``sys_id``,
  ``sys_created_on`` and ``sys_updated_on``. Which fields are references is in ``SERVICENOW_TABLES``.
- Jira bodies are the JSON the REST API returns, except that the datetimes listed in
  ``JIRA_DATETIME_FIELDS`` are stored as integer epoch milliseconds (UTC): the server renders them
  in the API user's offset (``2024-01-05T10:15:30.000-0800``), as Jira Cloud does.
- Deleted records are removed from the live tables and remembered in the ``*_deleted`` tables, so
  tests can check delete detection; real ServiceNow and Jira offer no such feed except
  ``/worklog/deleted``, which the Jira server serves from ``jira_worklog_deleted``.
- ``time_card.task``, ``planned_task_baseline_item.task``, ``pm_project_task.parent`` and both ends of
  ``planned_task_rel_planned_task`` point at a planned task: a ``pm_project`` or a
  ``pm_project_task`` (``POLYMORPHIC_REFERENCES``), as on a real instance, where a top-level project
  task's ``parent`` is the project itself.
- Project phases are the top-level project tasks with a ``phase_type`` (``waterfall``); their
  planned dates follow the plan and their actual dates the project's real pace. Every active person
  has a ``time_sheet`` per week (``u_submitted_on`` is when it was last submitted, empty until then).
- Strings in ``jira_static`` and ``jira_project`` bodies (and in the bodies of the other Jira tables)
  may contain ``BASE_URL_PLACEHOLDER`` (in ``self``, ``iconUrl``, ``avatarUrls``, ``baseUrl``) and
  ``SERVER_TIME_PLACEHOLDER``: the server replaces them with its own base URL and its clock when it
  answers.
- Around the issues (``jira_extras.py``): fix versions, components, one board per project, the
  sprints of scrum boards with each issue's sprints (``jira_issue_sprint``), Sprint changes as
  changelog histories (``jira_sprint_history``, apart from the status histories of
  ``jira_changelog`` that the warehouse reads), comments and groups. An issue's ``fixVersions`` and
  Sprint field hold copies made when the issue last changed; the server shows the version's and
  the sprint's current state in their place, as Jira does (a sprint closing changes no issue).
- Finance truth (what the CSV exports encode) is kept in ``fin_*`` tables in canonical form, so
  tests can recompute KPIs from the simulator's own records instead of from our staging.
  Each company exports its own GL files (``gl_actuals_<company>_<YYYYMMDD>[_corrected].csv``), and
  a company-period may be in several of them: its month-end export, again in full in the next
  export after a late adjustment, and in a corrected re-export. The warehouse keeps, per
  ``company_code × fiscal_year × fiscal_period``, only the lines of the newest file holding it
  (later export date in the name, then the name), and the tables follow the same rule:
  ``fin_gl_line`` holds each line once, as finance means it now, with the newest file and line
  that hold it; every copy in an older file is in ``fin_gl_line_superseded`` (with that file's
  amount). Together with ``fin_broken_row`` they give every line of every file.
  ``fin_export_file`` says whose each file is, when it was exported and how it is encoded, so a
  test can decode it without guessing. A GL line may be in a currency with no ``fin_fx_rate`` row
  (``World.finance_lines_without_fx_rate``): the warehouse rejects it, it stays in the truth.
- Times written by the generator and by ``advance()`` are whole seconds (ServiceNow) or whole
  milliseconds (Jira), never later than ``meta.now`` minus five minutes.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

SCHEMA_VERSION = "4"  # 2: GL files per company; 3: time sheets, phases, task dependencies;
# 4: Jira versions, components, boards, sprints, comments and groups

DDL = """
create table if not exists meta (
    key   text primary key,
    value text not null
);

-- ServiceNow ------------------------------------------------------------------------------
create table if not exists sn_record (
    tbl            text not null,
    sys_id         text not null,
    sys_created_on text not null,   -- 'yyyy-MM-dd HH:mm:ss' UTC, sortable as text
    sys_updated_on text not null,
    body           text not null,   -- JSON, every value a string
    primary key (tbl, sys_id)
) without rowid;
create index if not exists sn_record_by_updated on sn_record (tbl, sys_updated_on, sys_id);
-- advance() finds the time cards of recent weeks without reading every card
create index if not exists sn_time_card_by_week
    on sn_record (json_extract(body, '$.week_starts_on'), sys_id) where tbl = 'time_card';
-- and the time sheets of recent weeks
create index if not exists sn_time_sheet_by_week
    on sn_record (json_extract(body, '$.week_starts_on'), sys_id) where tbl = 'time_sheet';
create table if not exists sn_deleted (
    tbl        text not null,
    sys_id     text not null,
    deleted_on text not null,
    primary key (tbl, sys_id)
) without rowid;

-- Jira ------------------------------------------------------------------------------------
create table if not exists jira_project (
    id   text primary key,          -- numeric string, as Jira
    key  text not null unique,
    body text not null
);
create table if not exists jira_user (
    account_id text primary key,
    email      text,
    body       text not null
);
create table if not exists jira_issue (
    id          integer primary key,
    key         text not null unique,
    project_key text not null,
    key_num     integer not null,   -- the number after the dash, for ORDER BY key
    created_ms  integer not null,
    updated_ms  integer not null,
    body        text not null       -- {"id": "...", "key": "...", "fields": {...}}
);
create index if not exists jira_issue_by_updated on jira_issue (updated_ms, project_key, key_num);
create index if not exists jira_issue_by_project on jira_issue (project_key, updated_ms);
create table if not exists jira_issue_deleted (
    id         integer primary key,
    key        text not null,
    deleted_ms integer not null
);
create table if not exists jira_worklog (
    id         integer primary key,
    issue_id   integer not null,
    updated_ms integer not null,
    body       text not null
);
create index if not exists jira_worklog_by_updated on jira_worklog (updated_ms, id);
create index if not exists jira_worklog_by_issue on jira_worklog (issue_id);
create table if not exists jira_worklog_deleted (
    id         integer primary key,
    deleted_ms integer not null
);
create index if not exists jira_worklog_deleted_by_time on jira_worklog_deleted (deleted_ms, id);
create table if not exists jira_changelog (
    id         integer primary key,  -- change history id
    issue_id   integer not null,
    created_ms integer not null,
    body       text not null         -- {"id", "created", "author", "items": [...]}
);
create index if not exists jira_changelog_by_issue on jira_changelog (issue_id, created_ms, id);
create table if not exists jira_static (
    name text primary key,           -- 'fields', 'statuses', 'myself', 'serverInfo', 'issueLinkTypes'
    body text not null
);

-- Jira around the issues (jira_extras.py): what Jira clients read beside issues and worklogs ------
create table if not exists jira_version (
    id         integer primary key,
    project_id text not null,
    sequence   integer not null,    -- the project's release order (orderBy=sequence)
    body       text not null        -- Version; overdue and userReleaseDate/userStartDate are the server's
);
create index if not exists jira_version_by_project on jira_version (project_id, sequence);
create table if not exists jira_component (
    id         integer primary key,
    project_id text not null,
    body       text not null
);
create index if not exists jira_component_by_project on jira_component (project_id, id);
create table if not exists jira_board (
    id         integer primary key,
    project_id text not null,
    type       text not null,       -- scrum | kanban
    body       text not null        -- Jira Software Board with its location
);
create table if not exists jira_sprint (
    id       integer primary key,
    board_id integer not null,
    sequence integer not null,      -- the board's sprint order
    state    text not null,         -- future | active | closed (as in body)
    body     text not null          -- Jira Software Sprint; dates are ISO UTC text, as the Agile API writes them
);
create index if not exists jira_sprint_by_board on jira_sprint (board_id, sequence);
create table if not exists jira_issue_sprint (
    sprint_id integer not null,     -- every sprint an issue has been in (the Sprint field keeps closed ones)
    issue_id  integer not null,
    primary key (sprint_id, issue_id)
) without rowid;
create index if not exists jira_issue_sprint_by_issue on jira_issue_sprint (issue_id, sprint_id);
-- Sprint changes are changelog histories (field "Sprint"); kept apart from jira_changelog, the status
-- feed the warehouse reads, and merged with it by the server wherever Jira shows a whole changelog.
create table if not exists jira_sprint_history (
    id         integer primary key,
    issue_id   integer not null,
    created_ms integer not null,
    body       text not null
);
create index if not exists jira_sprint_history_by_issue on jira_sprint_history (issue_id, created_ms, id);
create table if not exists jira_comment (
    id         integer primary key,
    issue_id   integer not null,
    created_ms integer not null,
    updated_ms integer not null,
    body       text not null        -- Comment with an ADF body (REST v2 answers its plain text)
);
create index if not exists jira_comment_by_issue on jira_comment (issue_id, created_ms, id);
create table if not exists jira_group (
    group_id text primary key,
    name     text not null unique,
    body     text not null
);
create table if not exists jira_group_member (
    group_id   text not null,
    account_id text not null,
    primary key (group_id, account_id)
) without rowid;

-- Finance truth (canonical values; the CSV writer renders the messy variants) ---------------
create table if not exists fin_gl_line (
    company_code    text not null,
    fiscal_year     integer not null,
    fiscal_period   integer not null,
    posting_date    text not null,   -- ISO date
    document_number text not null,
    line_number     integer not null,
    gl_account      text not null,
    cost_center     text not null,
    wbs_code        text not null,
    vendor_id       text not null,
    vendor_name     text not null,
    expense_type    text not null,   -- CAPEX | OPEX
    amount          text not null,   -- decimal string in the line's currency
    currency        text not null,
    description     text not null,
    export_file     text not null,   -- the newest file holding the line (older copies: fin_gl_line_superseded)
    export_line     integer not null,-- physical line in that file (header = 1)
    primary key (company_code, fiscal_year, document_number, line_number)
);
-- a company-period's lines in file order: how the generator lays out files and readers find a period
create index if not exists fin_gl_line_by_period
    on fin_gl_line (company_code, fiscal_year, fiscal_period, posting_date, document_number, line_number);
create table if not exists fin_forecast (
    fiscal_year  integer not null,
    version      text not null,     -- YYYY-MM
    wbs_code     text not null,
    cost_center  text not null,
    expense_type text not null,
    currency     text not null,
    month        integer not null,  -- 1..12
    amount       text not null,
    export_file  text not null,
    primary key (fiscal_year, version, wbs_code, cost_center, expense_type, currency, month)
);
create table if not exists fin_fx_rate (
    period            text not null, -- YYYY-MM
    currency          text not null,
    rate_to_reporting text not null,
    export_file       text not null,
    primary key (period, currency)
);
-- Copies of GL lines in files a newer file replaced for their company-period, as those files
-- wrote them (a corrected re-export may have changed the amount or dropped the line since).
create table if not exists fin_gl_line_superseded (
    company_code    text not null,
    fiscal_year     integer not null,
    fiscal_period   integer not null,
    posting_date    text not null,
    document_number text not null,
    line_number     integer not null,
    gl_account      text not null,
    cost_center     text not null,
    wbs_code        text not null,
    vendor_id       text not null,
    vendor_name     text not null,
    expense_type    text not null,
    amount          text not null,
    currency        text not null,
    description     text not null,
    export_file     text not null,
    export_line     integer not null,
    primary key (export_file, export_line)
);
create table if not exists fin_export_file (
    export_file     text primary key,
    kind            text not null,   -- gl_actuals | forecast | fx_rates
    company_code    text not null,   -- the company whose GL the file holds; '' for forecast and FX files
    export_date     text not null,   -- ISO date finance exported it (a GL file's name says it as YYYYMMDD)
    export_reason   text not null,   -- GL: month_end | month_to_date | correction; '' for the others
    encoding        text not null,   -- utf-8-sig | utf-8 | utf-16 (LE with BOM)
    delimiter       text not null,
    decimal_sep     text not null,   -- '.' or ','
    thousands_sep   text not null,   -- '' or ',' or '.'
    negative_style  text not null,   -- leading | trailing | parentheses
    date_style      text not null,   -- iso | dmy_dots | mdy_slashes
    line_end        text not null,   -- crlf | lf
    modified_at     text not null,   -- ISO UTC; the writer sets the file's mtime to it
    replaces_period text not null    -- 'YYYY-PP' of the company's period a corrected re-export replaces, else ''
);
create table if not exists fin_broken_row (
    export_file text not null,
    export_line integer not null,
    raw_text    text not null,
    reason      text not null,
    primary key (export_file, export_line)
);
"""

# ServiceNow tables the simulator serves: every field of docs/contract.md §3.5, and which of them are
# references (field -> referenced table). sys_id, sys_created_on and sys_updated_on are implied.
SERVICENOW_TABLES: dict[str, dict[str, object]] = {
    "fiscal_period": {
        "fields": ["name", "fiscal_type", "fiscal_start_date", "fiscal_end_date"],
        "references": {},
    },
    "cmn_cost_center": {"fields": ["name", "code"], "references": {}},
    "cmn_department": {
        "fields": ["name", "id", "cost_center"],
        "references": {"cost_center": "cmn_cost_center"},
    },
    "sys_user": {
        "fields": [
            "user_name",
            "name",
            "email",
            "title",
            "active",
            "department",
            "cost_center",
            "u_hourly_cost_rate",
            "u_weekly_capacity_hours",
            "u_employment_type",
        ],
        "references": {"department": "cmn_department", "cost_center": "cmn_cost_center"},
    },
    "pm_portfolio": {
        "fields": ["name", "portfolio_manager", "active"],
        "references": {"portfolio_manager": "sys_user"},
    },
    "pm_program": {
        "fields": ["number", "short_description", "portfolio", "program_manager", "state"],
        "references": {"portfolio": "pm_portfolio", "program_manager": "sys_user"},
    },
    "pm_project": {
        "fields": [
            "number",
            "short_description",
            "portfolio",
            "program",
            "project_manager",
            "department",
            "state",
            "phase",
            "priority",
            "execution_type",
            "start_date",
            "end_date",
            "work_start",
            "work_end",
            "percent_complete",
            "cost",
            "work_cost",
            "approval",
            "u_jira_project_key",
            "u_wbs_code",
            "u_strategic_alignment",
            "u_business_value",
            "u_time_criticality",
            "u_risk_reduction",
            "u_job_size",
        ],
        "references": {
            "portfolio": "pm_portfolio",
            "program": "pm_program",
            "project_manager": "sys_user",
            "department": "cmn_department",
        },
    },
    "pm_project_task": {
        "fields": [
            "number",
            "short_description",
            "top_task",
            "parent",
            "milestone",
            "state",
            "start_date",
            "end_date",
            "work_start",
            "work_end",
            "percent_complete",
            "phase_type",
        ],
        "references": {"top_task": "pm_project", "parent": "pm_project_task"},
    },
    "planned_task_baseline": {
        "fields": ["name", "task"],
        "references": {"task": "pm_project"},
    },
    "planned_task_baseline_item": {
        "fields": ["baseline", "task", "start_date", "end_date"],
        "references": {"baseline": "planned_task_baseline", "task": "pm_project"},
    },
    "dmn_demand": {
        "fields": [
            "number",
            "short_description",
            "portfolio",
            "state",
            "submitted_date",
            "project",
            "u_estimated_cost",
            "u_estimated_benefit",
            "u_strategic_alignment",
            "u_business_value",
            "u_time_criticality",
            "u_risk_reduction",
            "u_job_size",
            "u_estimated_effort_hours",
        ],
        "references": {"portfolio": "pm_portfolio", "project": "pm_project"},
    },
    "time_card": {
        "fields": [
            "user",
            "task",
            "week_starts_on",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "total",
            "state",
            "category",
        ],
        "references": {"user": "sys_user", "task": "pm_project"},
    },
    "resource_plan": {
        "fields": ["number", "user", "task", "start_date", "end_date", "planned_hours", "state"],
        "references": {"user": "sys_user", "task": "pm_project"},
    },
    "cost_plan": {
        "fields": ["name", "task", "expense_type", "total_planned_cost"],
        "references": {"task": "pm_project"},
    },
    "cost_plan_breakdown": {
        "fields": ["cost_plan", "task", "fiscal_period", "cost", "actual"],
        "references": {
            "cost_plan": "cost_plan",
            "task": "pm_project",
            "fiscal_period": "fiscal_period",
        },
    },
    "benefit_plan": {
        "fields": ["name", "task", "benefit_type"],
        "references": {"task": "pm_project"},
    },
    "benefit_plan_breakdown": {
        "fields": ["benefit_plan", "task", "fiscal_period", "planned_benefit", "actual_benefit"],
        "references": {
            "benefit_plan": "benefit_plan",
            "task": "pm_project",
            "fiscal_period": "fiscal_period",
        },
    },
    "risk": {
        "fields": [
            "number",
            "short_description",
            "task",
            "probability",
            "impact",
            "estimated_cost",
            "state",
        ],
        "references": {"task": "pm_project"},
    },
    "project_status": {
        "fields": [
            "number",
            "project",
            "as_on",
            "overall_health",
            "schedule",
            "cost",
            "scope",
            "resources",
            "percent_complete",
        ],
        "references": {"project": "pm_project"},
    },
    # One per person and week: the time cards of the week are submitted and approved through it.
    # u_submitted_on is the instance's own stamp of the latest submission (docs/contract.md §3.2).
    "time_sheet": {
        "fields": ["user", "week_starts_on", "state", "total_hours", "u_submitted_on"],
        "references": {"user": "sys_user"},
    },
    # Task dependencies: parent is the predecessor, child the successor (planned tasks).
    "planned_task_rel_planned_task": {
        "fields": ["parent", "child", "sub_type"],
        "references": {"parent": "pm_project_task", "child": "pm_project_task"},
    },
}

SYSTEM_FIELDS = ("sys_id", "sys_created_on", "sys_updated_on")

# Fields that reference a planned task, which may be a project or a project task.
POLYMORPHIC_REFERENCES: dict[tuple[str, str], tuple[str, ...]] = {
    ("time_card", "task"): ("pm_project", "pm_project_task"),
    ("planned_task_baseline_item", "task"): ("pm_project", "pm_project_task"),
    ("pm_project_task", "parent"): ("pm_project", "pm_project_task"),
    ("planned_task_rel_planned_task", "parent"): ("pm_project", "pm_project_task"),
    ("planned_task_rel_planned_task", "child"): ("pm_project", "pm_project_task"),
}

BASE_URL_PLACEHOLDER = "{base_url}"
SERVER_TIME_PLACEHOLDER = "{server_time}"

# Jira datetimes stored as epoch milliseconds and rendered in the API user's offset by the server.
JIRA_DATETIME_FIELDS = {
    "issue": ("created", "updated", "resolutiondate", "statuscategorychangedate"),
    "worklog": ("started", "created", "updated"),
    "changelog": ("created",),
    "comment": ("created", "updated"),
}

# Custom field ids of this simulated Jira site (a real site's ids differ: connectors find them by
# name through /field, never by these constants).
STORY_POINTS_FIELD_ID = "customfield_10016"
SPRINT_FIELD_ID = "customfield_10020"


def connect(path: Path | str, *, readonly: bool = False) -> sqlite3.Connection:
    """Open the world file. Readers open it read-only (one connection per thread)."""
    path = Path(path)
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
    else:
        conn = sqlite3.connect(path, check_same_thread=False)
        conn.execute("pragma journal_mode=wal")
        conn.execute("pragma synchronous=normal")
        conn.executescript(DDL)
    conn.execute("pragma busy_timeout=10000")
    return conn


# Secondary indexes: a bulk writer may drop them and run ``DDL`` again at the end, which builds
# each index once from sorted data instead of maintaining it row by row.
SECONDARY_INDEXES = tuple(re.findall(r"create index if not exists (\w+)", DDL))


def drop_secondary_indexes(conn: sqlite3.Connection) -> None:
    """Drop every secondary index before a bulk load; ``conn.executescript(DDL)`` recreates them."""
    for name in SECONDARY_INDEXES:
        conn.execute(f"drop index if exists {name}")


def create_secondary_index(conn: sqlite3.Connection, name: str) -> None:
    """Build one of ``DDL``'s secondary indexes now, for a bulk writer that reads by it before the end."""
    match = re.search(rf"create index if not exists {name}\b[^;]*;", DDL)
    if match is None:
        raise KeyError(f"no secondary index {name!r} in DDL")
    conn.execute(match.group(0))


def glide_datetime(moment: datetime) -> str:
    """A ServiceNow ``glide_date_time`` value: ``yyyy-MM-dd HH:mm:ss`` in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def glide_date(day: date) -> str:
    """A ServiceNow ``glide_date`` value: ``yyyy-MM-dd``."""
    return day.isoformat()


def parse_glide_datetime(text: str) -> datetime:
    """The UTC datetime of a ``glide_date_time`` value."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def epoch_ms(moment: datetime) -> int:
    """Integer epoch milliseconds (UTC) of an aware datetime: how Jira datetimes are stored."""
    return int(round(moment.timestamp() * 1000))


def dumps(body: Any) -> str:
    """The JSON text of a stored body (compact; key order as built, so it is deterministic)."""
    return json.dumps(body, separators=(",", ":"))


def sn_row(table: str, body: dict[str, str]) -> tuple[str, str, str, str, str]:
    """The ``sn_record`` row of a ServiceNow body that already carries its system fields."""
    return (table, body["sys_id"], body["sys_created_on"], body["sys_updated_on"], dumps(body))


def read_meta(conn: sqlite3.Connection) -> dict[str, str]:
    """Every ``meta`` key and value."""
    return dict(conn.execute("select key, value from meta").fetchall())


class RowBuffer:
    """Collects rows per insert statement and writes them with ``executemany`` in chunks.

    Keeps a bulk writer's memory flat whatever the world size: no statement holds more than
    ``chunk`` rows before they go to SQLite.
    """

    def __init__(self, conn: sqlite3.Connection, chunk: int = 5000) -> None:
        self.conn = conn
        self.chunk = chunk
        self._rows: dict[str, list[Sequence[Any]]] = {}

    def add(self, sql: str, row: Sequence[Any]) -> None:
        rows = self._rows.setdefault(sql, [])
        rows.append(row)
        if len(rows) >= self.chunk:
            self.conn.executemany(sql, rows)
            rows.clear()

    def flush(self) -> None:
        for sql, rows in self._rows.items():
            if rows:
                self.conn.executemany(sql, rows)
                rows.clear()


INSERT_SN = "insert into sn_record values (?, ?, ?, ?, ?)"
INSERT_JIRA_ISSUE = "insert into jira_issue values (?, ?, ?, ?, ?, ?, ?)"
INSERT_JIRA_WORKLOG = "insert into jira_worklog values (?, ?, ?, ?)"
INSERT_JIRA_CHANGELOG = "insert into jira_changelog values (?, ?, ?, ?)"
INSERT_JIRA_SPRINT_HISTORY = "insert into jira_sprint_history values (?, ?, ?, ?)"
INSERT_JIRA_COMMENT = "insert into jira_comment values (?, ?, ?, ?, ?)"
INSERT_JIRA_ISSUE_SPRINT = "insert or ignore into jira_issue_sprint values (?, ?)"
