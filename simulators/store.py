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
- Finance truth (what the CSV exports encode) is kept in ``fin_*`` tables in canonical form, so
  tests can recompute KPIs from the simulator's own records instead of from our staging.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA_VERSION = "1"

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
    export_file     text not null,   -- the file it was written to
    export_line     integer not null,-- physical line in that file (header = 1)
    primary key (company_code, fiscal_year, document_number, line_number)
);
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
create table if not exists fin_broken_row (
    export_file text not null,
    export_line integer not null,
    raw_text    text not null,
    reason      text not null,
    primary key (export_file, export_line)
);
"""

# ServiceNow tables the simulator serves: every field of SOURCE_SCHEMA.md, and which of them are
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
            "user_name", "name", "email", "title", "active", "department", "cost_center",
            "u_hourly_cost_rate", "u_weekly_capacity_hours", "u_employment_type",
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
            "number", "short_description", "portfolio", "program", "project_manager", "department",
            "state", "phase", "priority", "execution_type", "start_date", "end_date", "work_start",
            "work_end", "percent_complete", "cost", "work_cost", "approval", "u_jira_project_key",
            "u_wbs_code", "u_strategic_alignment", "u_business_value", "u_time_criticality",
            "u_risk_reduction", "u_job_size",
        ],
        "references": {
            "portfolio": "pm_portfolio", "program": "pm_program",
            "project_manager": "sys_user", "department": "cmn_department",
        },
    },
    "pm_project_task": {
        "fields": [
            "number", "short_description", "top_task", "parent", "milestone", "state",
            "start_date", "end_date", "work_start", "work_end", "percent_complete",
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
            "number", "short_description", "portfolio", "state", "submitted_date", "project",
            "u_estimated_cost", "u_estimated_benefit", "u_strategic_alignment", "u_business_value",
            "u_time_criticality", "u_risk_reduction", "u_job_size",
        ],
        "references": {"portfolio": "pm_portfolio", "project": "pm_project"},
    },
    "time_card": {
        "fields": [
            "user", "task", "week_starts_on", "monday", "tuesday", "wednesday", "thursday",
            "friday", "saturday", "sunday", "total", "state", "category",
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
            "cost_plan": "cost_plan", "task": "pm_project", "fiscal_period": "fiscal_period",
        },
    },
    "benefit_plan": {
        "fields": ["name", "task", "benefit_type"],
        "references": {"task": "pm_project"},
    },
    "benefit_plan_breakdown": {
        "fields": ["benefit_plan", "task", "fiscal_period", "planned_benefit", "actual_benefit"],
        "references": {
            "benefit_plan": "benefit_plan", "task": "pm_project", "fiscal_period": "fiscal_period",
        },
    },
    "risk": {
        "fields": [
            "number", "short_description", "task", "probability", "impact", "estimated_cost", "state",
        ],
        "references": {"task": "pm_project"},
    },
    "project_status": {
        "fields": [
            "number", "project", "as_on", "overall_health", "schedule", "cost", "scope", "resources",
            "percent_complete",
        ],
        "references": {"project": "pm_project"},
    },
}

SYSTEM_FIELDS = ("sys_id", "sys_created_on", "sys_updated_on")

# Jira datetimes stored as epoch milliseconds and rendered in the API user's offset by the server.
JIRA_DATETIME_FIELDS = {
    "issue": ("created", "updated", "resolutiondate", "statuscategorychangedate"),
    "worklog": ("started", "created", "updated"),
    "changelog": ("created",),
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
