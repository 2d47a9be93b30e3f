"""Expectation suites on raw landing batches, one per source entity (all blocking: severity error).

A raw suite validates the batch files one run landed (the caller passes them). It checks what
would silently corrupt the warehouse if it got through: keys missing or duplicated within a batch,
timestamps staging cannot parse, codes the KPIs do not know, hours and amounts that are not
numbers or not plausible, and currencies that cannot be converted. Field names and value shapes
are those of docs/contract.md §3–4.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from quality.inputs import SuiteData, add_numbers, flatten_records, load_frame, number_column
from quality.suites.spec import (
    ExpectationSpec,
    Prepared,
    SuiteInfo,
    between,
    in_set,
    matches,
    no_rows,
    not_null,
    parses_as,
    unique,
)

# --- value shapes ---------------------------------------------------------------------------------
# Regex groups are non-capturing: GX runs patterns through str.contains, which warns on captures.

GLIDE_DATE_TIME = "%Y-%m-%d %H:%M:%S"  # ServiceNow glide_date_time, UTC
GLIDE_DATE = "%Y-%m-%d"  # ServiceNow glide_date; also finance ISO dates and Jira duedate
# Jira Cloud datetimes: yyyy-MM-ddTHH:mm:ss.SSS±HHMM, milliseconds and an offset without a colon.
JIRA_DATETIME = r"^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}[+-]\d{4}$"
# A plain decimal as ServiceNow and our finance parser write it: optional sign, '.' for decimals.
DECIMAL = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$"
# Jira Software's Agile API (sprint dates): ISO 8601 in UTC (`Z`) or with an offset, colon or not.
AGILE_DATETIME = (
    r"^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,6})?"
    r"(?:Z|[+-]\d{2}:?\d{2})$"
)
ISO_CURRENCY = r"^[A-Z]{3}$"
YEAR_MONTH = r"^\d{4}-(?:0[1-9]|1[0-2])$"
# Business dates (planned and actual dates, week_starts_on, as_on, ...) are glide_date or
# glide_date_time depending on how an instance configures the field; staging (macros sn_date and
# sn_timestamp) accepts both, so the check does too. sys_created_on/sys_updated_on stay strict.
GLIDE_DATE_OR_DATE_TIME = r"^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])(?: (?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d)?$"

# --- code values (docs/contract.md §3.3) ------------------------------------------------------------

TASK_STATES = ("-5", "1", "2", "3", "4", "7")
HEALTH_COLOURS = ("green", "yellow", "red")
TIME_CARD_STATES = ("pending", "submitted", "approved", "processed", "rejected", "recalled")
# pm_project_task.phase_type: empty on ordinary tasks, the kind of phase on a phase
PHASE_TYPES = ("waterfall", "agile", "test")
RISK_STATES = ("open", "monitoring", "mitigating", "closed", "retired")
RISK_SCALE = ("1", "2", "3", "4", "5")
SERVICENOW_EXPENSE_TYPES = ("capex", "opex")
FINANCE_EXPENSE_TYPES = ("CAPEX", "OPEX")
JIRA_STATUS_CATEGORIES = ("new", "indeterminate", "done")
JIRA_BOARD_TYPES = ("scrum", "kanban", "simple")
JIRA_SPRINT_STATES = ("future", "active", "closed")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FORECAST_MONTHS = tuple(f"P{m:02d}" for m in range(1, 13))

# Bounds for a number field: (low, high), either may be None; None alone means "any number".
Bounds = tuple[float | None, float | None] | None


@dataclass(frozen=True)
class RawEntity:
    """What one raw entity's records must look like, as data; ``expectations()`` spells it out."""

    source: str
    entity: str
    id_fields: tuple[str, ...]
    has_updated_at: bool
    required: tuple[str, ...] = ()
    jira_datetimes: tuple[str, ...] = ()
    # field -> (strftime format, what to call it)
    formats: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    patterns: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    enums: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    numbers: Mapping[str, Bounds] = field(default_factory=dict)
    currencies: tuple[str, ...] = ()
    # Whether a currency without any FX rate blocks. GL lines do not: a line whose month has no
    # rate is rejected in the warehouse with its reason (finance_rejects) and the rest loads.
    currencies_need_rates: bool = True

    @property
    def target(self) -> str:
        return f"{self.source}/{self.entity}"

    @property
    def suite_name(self) -> str:
        return f"raw_{self.source}_{self.entity}"

    @property
    def fields(self) -> list[str]:
        """Every record field the suite reads, in a stable order."""
        seen: dict[str, None] = {}
        for group in (
            self.id_fields,
            self.required,
            self.jira_datetimes,
            tuple(self.formats),
            tuple(self.patterns),
            tuple(self.enums),
            tuple(self.numbers),
            self.currencies,
        ):
            for name in group:
                seen.setdefault(name, None)
        return list(seen)

    def expectations(self, params: Mapping[str, Any]) -> list[ExpectationSpec]:
        specs: list[ExpectationSpec] = [
            not_null("natural_key"),
            unique(
                ("batch_id", "natural_key"),
                name="natural_key_unique_in_batch",
                what="natural_key is unique within a batch",
            ),
        ]
        if self.has_updated_at:
            specs.append(not_null("source_updated_at", live=True))
        for name in dict.fromkeys((*self.id_fields, *self.required)):
            specs.append(not_null(name, live=True))
        for name in self.jira_datetimes:
            specs.append(matches(name, JIRA_DATETIME, "jira datetime"))
        for name, (fmt, what) in self.formats.items():
            specs.append(parses_as(name, fmt, what))
        for name, (regex, what) in self.patterns.items():
            specs.append(matches(name, regex, what))
        for name, values in self.enums.items():
            specs.append(in_set(name, values))
        for name, bounds in self.numbers.items():
            specs.append(matches(name, DECIMAL, "a number", name=f"{name}_is_numeric"))
            if bounds is not None:
                specs.append(between(number_column(name), *bounds, shown_as=name))
        known = _known_currencies(params)
        for name in self.currencies:
            specs.append(matches(name, ISO_CURRENCY, "an ISO currency code", name=f"{name}_is_iso_code"))
            if known is not None and self.currencies_need_rates:
                specs.append(
                    ExpectationSpec(
                        name=f"{name}_has_fx_rate",
                        description=f"{name} is the reporting currency or has an FX rate",
                        gx_type="ExpectColumnValuesToBeInSet",
                        kwargs={"column": name, "value_set": sorted(known)},
                        columns=(name,),
                    )
                )
        return specs


def _known_currencies(params: Mapping[str, Any]) -> set[str] | None:
    """Currencies that convert: those with FX rates plus the reporting currency (rate 1)."""
    rates = params.get("fx_currencies")
    if rates is None:
        return None
    known = set(rates)
    reporting = params.get("reporting_currency")
    if reporting:
        known.add(reporting)
    return known


def _servicenow(table: str, **kwargs: Any) -> RawEntity:
    formats = {
        "sys_created_on": (GLIDE_DATE_TIME, "glide_date_time"),
        "sys_updated_on": (GLIDE_DATE_TIME, "glide_date_time"),
    }
    formats.update(kwargs.pop("formats", {}))
    return RawEntity("servicenow", table, id_fields=("sys_id",), has_updated_at=True, formats=formats, **kwargs)


def _glide_dates(*names: str) -> dict[str, tuple[str, str]]:
    return {name: (GLIDE_DATE_OR_DATE_TIME, "glide_date_or_date_time") for name in names}


SCORES = ("u_strategic_alignment", "u_business_value", "u_time_criticality", "u_risk_reduction", "u_job_size")
FILE_FIELDS = ("file_sha256", "line")

RAW_ENTITIES: tuple[RawEntity, ...] = (
    # Jira ------------------------------------------------------------------------------------
    RawEntity("jira", "projects", id_fields=("id",), has_updated_at=False, required=("key",)),
    RawEntity(
        "jira",
        "statuses",
        id_fields=("id",),
        has_updated_at=False,
        enums={"statusCategory.key": JIRA_STATUS_CATEGORIES},
    ),
    RawEntity("jira", "fields", id_fields=("id",), has_updated_at=False),
    RawEntity("jira", "users", id_fields=("accountId",), has_updated_at=False),
    # Releases, boards and sprints: what dim_release and kpi_sprint_predictability key and date by.
    RawEntity(
        "jira",
        "versions",
        id_fields=("id",),
        has_updated_at=False,
        required=("name", "projectId"),
        formats={"releaseDate": (GLIDE_DATE, "iso_date"), "startDate": (GLIDE_DATE, "iso_date")},
    ),
    RawEntity(
        "jira", "boards", id_fields=("id",), has_updated_at=False, required=("type",), enums={"type": JIRA_BOARD_TYPES}
    ),
    RawEntity(
        "jira",
        "sprints",
        id_fields=("id",),
        has_updated_at=False,
        required=("name", "state", "originBoardId"),
        patterns={
            name: (AGILE_DATETIME, "agile datetime") for name in ("startDate", "endDate", "completeDate", "createdDate")
        },
        enums={"state": JIRA_SPRINT_STATES},
    ),
    RawEntity(
        "jira",
        "issues",
        id_fields=("id",),
        has_updated_at=True,
        required=("key", "fields.project.id", "fields.created", "fields.updated"),
        jira_datetimes=("fields.created", "fields.updated", "fields.resolutiondate"),
        formats={"fields.duedate": (GLIDE_DATE, "iso_date")},
        enums={"fields.status.statusCategory.key": JIRA_STATUS_CATEGORIES},
        numbers={"fields.timespent": (0, None), "fields.timeoriginalestimate": (0, None)},
    ),
    RawEntity(
        "jira",
        "issue_changelogs",
        id_fields=("id",),
        has_updated_at=True,
        required=("issueId", "created"),
        jira_datetimes=("created",),
    ),
    RawEntity(
        "jira",
        "worklogs",
        id_fields=("id",),
        has_updated_at=True,
        required=("issueId", "started"),
        jira_datetimes=("started", "created", "updated"),
        numbers={"timeSpentSeconds": (0, None)},
    ),
    # ServiceNow (docs/contract.md §3) -------------------------------------------------------------
    _servicenow("fiscal_period", patterns=_glide_dates("fiscal_start_date", "fiscal_end_date")),
    _servicenow("pm_portfolio"),
    _servicenow("pm_program"),
    _servicenow(
        "pm_project",
        patterns=_glide_dates("start_date", "end_date", "work_start", "work_end"),
        enums={"state": TASK_STATES},
        numbers={"percent_complete": (0, 100), "cost": None, "work_cost": None, **{score: None for score in SCORES}},
    ),
    _servicenow(
        "pm_project_task",
        patterns=_glide_dates("start_date", "end_date", "work_start", "work_end"),
        enums={"state": TASK_STATES, "phase_type": PHASE_TYPES},
        numbers={"percent_complete": (0, 100)},
    ),
    _servicenow(
        "dmn_demand",
        patterns=_glide_dates("submitted_date"),
        numbers={
            "u_estimated_cost": None,
            "u_estimated_benefit": None,
            "u_estimated_effort_hours": (0, None),
            **{score: None for score in SCORES},
        },
    ),
    _servicenow("sys_user", numbers={"u_hourly_cost_rate": (0, None), "u_weekly_capacity_hours": (0, 168)}),
    _servicenow("cmn_department"),
    _servicenow("cmn_cost_center"),
    _servicenow(
        "time_card",
        patterns=_glide_dates("week_starts_on"),
        enums={"state": TIME_CARD_STATES},
        numbers={**{day: (0, 24) for day in WEEKDAYS}, "total": (0, 168)},
    ),
    # one per person and week; the submission stamp is a date-time, the week a Monday's date
    _servicenow(
        "time_sheet",
        required=("user", "week_starts_on"),
        patterns=_glide_dates("week_starts_on", "u_submitted_on"),
        enums={"state": TIME_CARD_STATES},
        numbers={"total_hours": (0, 168)},
    ),
    _servicenow("resource_plan", patterns=_glide_dates("start_date", "end_date"), numbers={"planned_hours": (0, None)}),
    _servicenow("cost_plan", enums={"expense_type": SERVICENOW_EXPENSE_TYPES}, numbers={"total_planned_cost": None}),
    _servicenow("cost_plan_breakdown", numbers={"cost": None, "actual": None}),
    _servicenow("benefit_plan"),
    _servicenow("benefit_plan_breakdown", numbers={"planned_benefit": None, "actual_benefit": None}),
    _servicenow(
        "risk",
        enums={"state": RISK_STATES, "probability": RISK_SCALE, "impact": RISK_SCALE},
        numbers={"estimated_cost": (0, None)},
    ),
    _servicenow(
        "project_status",
        patterns=_glide_dates("as_on"),
        enums={name: HEALTH_COLOURS for name in ("overall_health", "schedule", "cost", "scope", "resources")},
        numbers={"percent_complete": (0, 100)},
    ),
    _servicenow("planned_task_baseline"),
    _servicenow("planned_task_baseline_item", patterns=_glide_dates("start_date", "end_date")),
    _servicenow("planned_task_rel_planned_task", required=("parent", "child")),
    # Finance (docs/contract.md §4; records hold parsed canonical values) --------------------------
    # fiscal_period runs to 16: SAP's special (year-end adjustment) periods 13-16 are real postings,
    # and the finance parser accepts them; blocking the marts on them would stop every year end.
    RawEntity(
        "finance",
        "gl_actuals",
        id_fields=FILE_FIELDS,
        has_updated_at=True,
        required=("fiscal_year", "fiscal_period", "wbs_code", "amount", "currency"),
        formats={"posting_date": (GLIDE_DATE, "iso_date")},
        enums={"expense_type": FINANCE_EXPENSE_TYPES},
        numbers={"fiscal_year": (1900, 2999), "fiscal_period": (1, 16), "amount": None},
        currencies=("currency",),
        currencies_need_rates=False,
    ),
    RawEntity(
        "finance",
        "forecast",
        id_fields=FILE_FIELDS,
        has_updated_at=True,
        required=("fiscal_year", "version", "wbs_code", "currency"),
        patterns={"version": (YEAR_MONTH, "year_month")},
        enums={"expense_type": FINANCE_EXPENSE_TYPES},
        numbers={"fiscal_year": (1900, 2999), **{month: None for month in FORECAST_MONTHS}},
        currencies=("currency",),
    ),
    RawEntity(
        "finance",
        "fx_rates",
        id_fields=FILE_FIELDS,
        has_updated_at=True,
        required=("period", "currency", "rate_to_reporting"),
        patterns={"period": (YEAR_MONTH, "year_month"), "currency": (ISO_CURRENCY, "iso_code")},
        numbers={"rate_to_reporting": (0, None)},
    ),
    RawEntity(
        "finance", "finance_rejects", id_fields=FILE_FIELDS, has_updated_at=True, required=("file_name", "reason")
    ),
    RawEntity("finance", "files", id_fields=("file_sha256",), has_updated_at=True, required=("file_name",)),
)


@dataclass(frozen=True)
class RawSuite:
    """Blocking checks on the batches one run landed for one raw entity."""

    entity: RawEntity

    @property
    def info(self) -> SuiteInfo:
        e = self.entity
        return SuiteInfo(
            name=e.suite_name,
            layer="raw",
            target=e.target,
            severity="error",
            description=(
                f"Raw {e.target} batches of this run: keys present and unique per batch, "
                "timestamps parseable, codes known, numbers numeric and in range."
            ),
        )

    def prepare(self, data: SuiteData, params: Mapping[str, Any]) -> Prepared:
        frame = flatten_raw(load_frame(data), self.entity.fields)
        frame = add_numbers(frame, self.entity.numbers)
        sample = ["natural_key", "batch_id", "is_deleted", *self.entity.fields]
        return Prepared(frame, self.entity.expectations(params), sample_columns=sample)


def flatten_raw(frame: pd.DataFrame, fields: list[str]) -> pd.DataFrame:
    """A raw batch frame with the record parsed into ``fields``; the JSON text itself is dropped."""
    for name, default in (("batch_id", ""), ("is_deleted", False), ("source_updated_at", None)):
        if name not in frame.columns:
            frame = frame.assign(**{name: default})
    flat = flatten_records(frame, fields)
    return flat.drop(columns=["record", "loaded_at", "sync_mode"], errors="ignore")


# --- finance rejects ------------------------------------------------------------------------------
# The blocking rule "no file in force with more than 5 % of its rows rejected" is not a raw suite:
# whether a file is still in force (a corrected re-export supersedes it) is decided in the
# warehouse, so the rule lives there too — dbt model int_finance_files and its error-severity
# test, which fails the core dbt step and so holds the KPI marts back (docs/contract.md §4).


@dataclass(frozen=True)
class RejectCountSuite:
    """Warning: every finance row that could not be parsed, counted (failing_rows = rejects)."""

    info: SuiteInfo = SuiteInfo(
        name="raw_finance_reject_count",
        layer="raw",
        target="finance/finance_rejects",
        severity="warn",
        description="Counts finance rows that could not be parsed and went to finance_rejects.",
    )

    def prepare(self, data: SuiteData, params: Mapping[str, Any]) -> Prepared:
        fields = ["file_name", "line", "reason"]
        rejects = _live(flatten_raw(load_frame(data), fields)).reset_index(drop=True)
        spec = no_rows("no_rejected_rows", "finance rows rejected (file, line and reason in finance_rejects)")
        return Prepared(rejects, [spec], sample_columns=fields)


def _live(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[~frame["is_deleted"].astype(bool)]


RAW_SUITES: tuple[RawSuite | RejectCountSuite, ...] = (
    *(RawSuite(entity) for entity in RAW_ENTITIES),
    RejectCountSuite(),
)
