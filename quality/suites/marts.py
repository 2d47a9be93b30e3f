"""Expectation suites on the KPI marts (warnings: they flag, they never hold a mart back).

Column names are the BI contract of docs/kpis.md. Each suite checks that natural ids are present and
the grain is unique, that ratios and buckets are within sane bounds, that keys resolve to the
dimensions (read from the same DuckDB file, or given as params), that the row count moved no
more than a tolerance since the previous run, and, for the scorecard, that every active project
is in it.

Params (all optional):
  ``previous_row_count``   the mart's row count at the previous run (``results.latest_row_counts``)
  ``tolerance``            allowed relative change of the row count, default 0.5
  ``known_keys``           {column: keys} instead of reading the dimension for that column
  ``active_project_ids``   project_ids that must be in the scorecard, instead of reading dim_project
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb

from quality.inputs import DuckDBTable, SuiteData, load_frame, quote_identifier, read_table
from quality.suites.spec import (
    ExpectationSpec,
    Prepared,
    SuiteInfo,
    a_at_least_b,
    between,
    contains_all,
    in_set,
    not_null,
    row_count_between,
    unique,
)

DEFAULT_TOLERANCE = 0.5
# The outcome that records a mart's row count; results.latest_row_counts reads it back.
ROW_COUNT_CHECK = "row_count_vs_previous_run"

STATE_LABELS = ("pending", "open", "work in progress", "closed complete", "closed incomplete", "closed skipped")
HEALTH_LABELS = ("green", "amber", "red")
EXPENSE_TYPES = ("capex", "opex")

Bounds = tuple[float | None, float | None]


@dataclass(frozen=True)
class ForeignKey:
    """A mart column whose values must exist in a dimension column (``marts.<dim>``)."""

    column: str
    dimension: str
    dimension_column: str


@dataclass(frozen=True)
class MartRules:
    """What one KPI mart must satisfy, as data."""

    table: str
    grain: tuple[str, ...]
    ids: tuple[str, ...]
    ranges: Mapping[str, Bounds] = field(default_factory=dict)
    enums: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    at_least: tuple[tuple[str, str], ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    requires_active_projects: bool = False


PROJECT = ForeignKey("project_key", "dim_project", "project_key")
PORTFOLIO = ForeignKey("portfolio_key", "dim_portfolio", "portfolio_key")

MART_RULES: tuple[MartRules, ...] = (
    MartRules(
        "kpi_project_scorecard",
        grain=("project_key",),
        ids=("project_key", "project_id", "project_name"),
        ranges={
            "percent_complete": (0, 100),
            "cpi": (0, None),
            "spi": (0, None),
            "budget_variance_ratio": (-1, None),
            "benefit_realization_ratio": (0, None),
            "roi_ratio": (-1, None),
            "open_risk_count": (0, None),
            "risk_exposure_amount": (0, None),
            "bac_amount": (0, None),
            "priority_score": (0, 1),
            "priority_rank": (1, None),
            "blocking_dependency_count": (0, None),
            "at_risk_dependency_count": (0, None),
            "payback_months": (0, None),
        },
        enums={"state": STATE_LABELS, "overall_health": HEALTH_LABELS},
        foreign_keys=(PROJECT,),
        requires_active_projects=True,
    ),
    MartRules(
        "kpi_portfolio_summary",
        grain=("portfolio_key", "month_start_date"),
        ids=("portfolio_key", "portfolio_name", "month_start_date"),
        ranges={
            "on_time_delivery_rate": (0, 1),
            "active_project_count": (0, None),
            "projects_closed_count": (0, None),
            "projects_closed_on_time_count": (0, None),
            "budget_variance_ratio": (-1, None),
            "benefit_realization_ratio": (0, None),
            "allocated_hours": (0, None),
            "actual_hours": (0, None),
            "hours_vs_allocation_ratio": (0, None),
            "risk_exposure_amount": (0, None),
            "red_project_count": (0, None),
            "amber_project_count": (0, None),
            "green_project_count": (0, None),
        },
        at_least=(("projects_closed_count", "projects_closed_on_time_count"),),
        foreign_keys=(PORTFOLIO,),
    ),
    MartRules(
        "kpi_capacity_utilization",
        grain=("resource_key", "month_start_date"),
        ids=("resource_key", "resource_id", "month_start_date"),
        ranges={
            "capacity_utilization": (0, 3),
            "allocation_ratio": (0, 3),
            "capacity_hours": (0, None),
            "allocated_hours": (0, None),
            "actual_hours": (0, None),
        },
        foreign_keys=(ForeignKey("resource_key", "dim_resource", "resource_key"),),
    ),
    MartRules(
        "kpi_budget_vs_actual",
        grain=("project_key", "month_start_date", "expense_type"),
        ids=("project_key", "project_id", "month_start_date", "expense_type"),
        ranges={"planned_amount": (0, None), "cumulative_planned_amount": (0, None)},
        enums={"expense_type": EXPENSE_TYPES},
        foreign_keys=(PROJECT,),
    ),
    MartRules(
        "kpi_benefits_realization",
        grain=("project_key", "month_start_date"),
        ids=("project_key", "project_id", "month_start_date"),
        ranges={
            "planned_benefit_amount": (0, None),
            "cumulative_planned_amount": (0, None),
            "benefit_realization_ratio": (0, None),
        },
        foreign_keys=(PROJECT,),
    ),
    MartRules(
        "kpi_risk_heatmap",
        grain=("portfolio_key", "probability_bucket", "impact_bucket"),
        ids=("portfolio_key", "portfolio_name", "probability_bucket", "impact_bucket"),
        ranges={
            "probability_bucket": (1, 5),
            "impact_bucket": (1, 5),
            "open_risk_count": (1, None),
            "exposure_amount": (0, None),
        },
        foreign_keys=(PORTFOLIO,),
    ),
    MartRules(
        "kpi_delivery_flow",
        grain=("jira_project_key", "week_start_date"),
        ids=("jira_project_key", "week_start_date"),
        ranges={
            "throughput": (0, None),
            "wip": (0, None),
            "cycle_time_p50_days": (0, None),
            "cycle_time_p85_days": (0, None),
            "lead_time_p50_days": (0, None),
        },
        at_least=(("cycle_time_p85_days", "cycle_time_p50_days"),),
        foreign_keys=(ForeignKey("jira_project_key", "dim_jira_project", "jira_project_key"),),
    ),
    MartRules(
        "kpi_prioritization",
        grain=("item_type", "item_id"),
        ids=("item_type", "item_id", "portfolio_name"),
        ranges={
            "priority_score": (0, 1),
            "priority_rank": (1, None),
            "wsjf": (0, None),
            **{
                c: (1, 10)
                for c in ("strategic_alignment", "business_value", "time_criticality", "risk_reduction", "job_size")
            },
        },
        enums={"item_type": ("project", "demand")},
        foreign_keys=(ForeignKey("portfolio_name", "dim_portfolio", "portfolio_name"),),
    ),
    MartRules(
        "kpi_headline",
        grain=("portfolio_name",),
        ids=("portfolio_name", "month_start_date"),
        ranges={
            "on_time_delivery_rate": (0, 1),
            "active_project_count": (0, None),
            "projects_closed_count": (0, None),
            "projects_closed_on_time_count": (0, None),
            "budget_variance_ratio": (-1, None),
            "benefit_realization_ratio": (0, None),
            "risk_exposure_amount": (0, None),
            "capacity_utilization": (0, 3),
        },
        at_least=(("projects_closed_count", "projects_closed_on_time_count"),),
    ),
    MartRules(
        "kpi_cost_reconciliation",
        grain=("project_key", "month_start_date", "expense_type"),
        ids=("project_key", "month_start_date"),
        ranges={"gl_line_count": (0, None), "tolerance_amount": (0, None)},
        enums={"expense_type": EXPENSE_TYPES},
        foreign_keys=(PROJECT,),
    ),
)

# Governance (docs/kpis.md "Governance"): counts never negative, shares within 0–1, keys in their
# dimensions. Ratios of counts are shares; hours against capacity may run over (overtime).
RESOURCE = ForeignKey("resource_key", "dim_resource", "resource_key")
GOVERNANCE_RULES: tuple[MartRules, ...] = (
    MartRules(
        "fct_stage_gate",
        grain=("stage_gate_key",),
        ids=("stage_gate_key", "project_key", "project_id", "phase"),
        ranges={"phase_order": (1, None), "days_in_phase": (0, None), "days_overdue": (1, None)},
        enums={"state": STATE_LABELS, "project_state": STATE_LABELS, "phase_type": ("waterfall", "agile", "test")},
        foreign_keys=(PROJECT, PORTFOLIO),
    ),
    MartRules(
        "kpi_stage_gates",
        grain=("portfolio_key", "phase", "month_start_date"),
        ids=("portfolio_key", "portfolio_name", "phase", "month_start_date"),
        ranges={
            "gates_due_count": (0, None),
            "gates_passed_count": (0, None),
            "gates_passed_late_count": (0, None),
            "gates_overdue_count": (0, None),
            "on_time_gate_ratio": (0, 1),
            "median_days_in_phase": (0, None),
            "p85_days_in_phase": (0, None),
        },
        at_least=(("gates_passed_count", "gates_passed_late_count"), ("p85_days_in_phase", "median_days_in_phase")),
        foreign_keys=(PORTFOLIO,),
    ),
    MartRules(
        "kpi_demand_pipeline",
        grain=("portfolio_key", "month_start_date"),
        ids=("portfolio_key", "portfolio_name", "month_start_date"),
        ranges={
            **{
                c: (0, None)
                for c in (
                    "submitted_count",
                    "screened_count",
                    "qualified_count",
                    "approved_count",
                    "rejected_count",
                    "deferred_count",
                    "converted_count",
                    "decided_count",
                    "open_backlog_count",
                    "open_backlog_effort_hours",
                    "median_open_age_days",
                    "p85_open_age_days",
                    "uncommitted_capacity_hours",
                    "backlog_capacity_ratio",
                    "median_days_to_decision",
                )
            },
            "approval_ratio": (0, 1),
        },
        at_least=(("decided_count", "approved_count"), ("p85_open_age_days", "median_open_age_days")),
        foreign_keys=(PORTFOLIO,),
    ),
    MartRules(
        "kpi_timesheet_compliance",
        grain=("resource_key", "week_start_date"),
        ids=("resource_key", "week_start_date", "deadline_at"),
        ranges={"hours_logged": (0, None), "capacity_hours": (0, None), "hours_vs_capacity_ratio": (0, 3)},
        enums={"time_sheet_state": ("pending", "submitted", "approved", "processed", "rejected", "recalled")},
        foreign_keys=(RESOURCE,),
    ),
    MartRules(
        "kpi_timesheet_compliance_by_department",
        grain=("department", "month_start_date"),
        ids=("department", "month_start_date"),
        ranges={
            **{
                c: (0, None)
                for c in (
                    "expected_count",
                    "due_count",
                    "submitted_on_time_count",
                    "submitted_late_count",
                    "missing_count",
                    "rejected_count",
                    "recalled_count",
                    "hours_logged",
                    "capacity_hours",
                )
            },
            "on_time_ratio": (0, 1),
            "missing_ratio": (0, 1),
            "hours_vs_capacity_ratio": (0, 3),
        },
        at_least=(("expected_count", "due_count"), ("due_count", "missing_count")),
    ),
    MartRules(
        "kpi_vendor_performance",
        grain=("vendor_key", "month_start_date"),
        ids=("vendor_key", "vendor_id", "vendor_name", "month_start_date"),
        # spend may be negative in a month of credit notes; the counts may not
        ranges={"line_count": (0, None), "project_count": (0, None), "portfolio_count": (0, None)},
        at_least=(("project_count", "portfolio_count"),),
        foreign_keys=(ForeignKey("vendor_key", "dim_vendor", "vendor_key"),),
    ),
    MartRules(
        "kpi_vendor_concentration",
        grain=("portfolio_key", "month_start_date"),
        ids=("portfolio_key", "portfolio_name", "month_start_date"),
        ranges={"vendor_count": (0, None), "top_5_vendor_share_ratio": (0, 1), "largest_vendor_share_ratio": (0, 1)},
        at_least=(("top_5_vendor_share_ratio", "largest_vendor_share_ratio"),),
        foreign_keys=(PORTFOLIO,),
    ),
    MartRules(
        "kpi_dependency_risk",
        grain=("blocked_project_key", "blocking_project_key"),
        ids=("blocked_project_key", "blocked_project_id", "blocking_project_key", "blocking_project_id"),
        ranges={
            "open_jira_link_count": (0, None),
            "open_task_dependency_count": (0, None),
            "open_dependency_count": (1, None),
        },
        enums={"blocker_overall_health": HEALTH_LABELS},
        at_least=(
            ("open_dependency_count", "open_task_dependency_count"),
            ("open_dependency_count", "open_jira_link_count"),
        ),
        foreign_keys=(
            ForeignKey("blocked_project_key", "dim_project", "project_key"),
            ForeignKey("blocking_project_key", "dim_project", "project_key"),
        ),
    ),
    MartRules(
        "kpi_governance_headline",
        grain=("topic",),
        ids=("topic_order", "topic", "headline"),
        ranges={"primary_count": (0, None), "scope_count": (0, None)},
        enums={"topic": ("stage_gates", "demand_intake", "time_sheets", "vendors", "dependencies")},
    ),
)
JIRA_PROJECT = ForeignKey("jira_project_key", "dim_jira_project", "jira_project_key")
# docs/kpis.md "Releases" and "Sprints"
AGILE_RULES: tuple[MartRules, ...] = (
    MartRules(
        "kpi_release_plan",
        grain=("release_key",),
        ids=("release_key", "version_id", "jira_project_key"),
        ranges={
            "scope_issue_count": (0, None),
            "done_issue_count": (0, None),
            "scope_points": (0, None),
            "done_points": (0, None),
            "remaining_points": (0, None),
            "done_issue_ratio": (0, 1),
            "done_points_ratio": (0, 1),
            "days_late": (1, None),
            "days_to_go": (0, None),
            "throughput_points_per_day": (0, None),
        },
        at_least=(("scope_issue_count", "done_issue_count"), ("scope_points", "done_points")),
        foreign_keys=(JIRA_PROJECT, ForeignKey("release_key", "dim_release", "release_key")),
    ),
    MartRules(
        "kpi_sprint_predictability",
        grain=("sprint_id",),
        ids=("sprint_id", "board_id", "jira_project_key", "started_at"),
        ranges={
            **{
                f"{measure}_{unit}": (0, None)
                for measure in ("committed", "added", "removed", "completed")
                for unit in ("issue_count", "points")
            },
            "completed_committed_points": (0, None),
            "say_do_ratio": (0, 1),
        },
        at_least=(("committed_points", "completed_committed_points"),),
        foreign_keys=(JIRA_PROJECT,),
    ),
    MartRules(
        "kpi_sprint_predictability_by_quarter",
        grain=("jira_project_key", "quarter_start_date"),
        ids=("jira_project_key", "quarter_start_date"),
        ranges={
            "completed_sprint_count": (1, None),
            "committed_points": (0, None),
            "completed_committed_points": (0, None),
            "say_do_ratio": (0, 1),
        },
        at_least=(("committed_points", "completed_committed_points"),),
        foreign_keys=(JIRA_PROJECT,),
    ),
)

MART_RULES = MART_RULES + GOVERNANCE_RULES + AGILE_RULES

ACTIVE_PROJECTS_SQL = """
select distinct project_id from {schema}."dim_project"
where is_current and is_active_state and project_id is not null
"""


@dataclass(frozen=True)
class MartSuite:
    """Warning-level checks on one KPI mart."""

    rules: MartRules

    @property
    def info(self) -> SuiteInfo:
        return SuiteInfo(
            name=f"marts_{self.rules.table}",
            layer="marts",
            target=self.rules.table,
            severity="warn",
            description=(
                f"{self.rules.table}: natural ids present, grain unique, ratios and buckets in "
                "bounds, keys found in their dimensions, row count close to the previous run"
                + (", every active project present." if self.rules.requires_active_projects else ".")
            ),
        )

    def prepare(self, data: SuiteData, params: Mapping[str, Any]) -> Prepared:
        if isinstance(data, DuckDBTable):
            # One read-only connection for the mart and its dimensions: the same snapshot.
            with data.connect() as conn:
                frame = read_table(conn, data.schema, data.table)
                return Prepared(frame, self._expectations(params, Dimensions(conn, data.schema)))
        return Prepared(load_frame(data), self._expectations(params, None))

    def _expectations(self, params: Mapping[str, Any], dims: Dimensions | None) -> list[ExpectationSpec]:
        rules = self.rules
        specs: list[ExpectationSpec] = [not_null(c) for c in rules.ids]
        specs.append(unique(rules.grain, name="grain_unique", what=f"one row per {' × '.join(rules.grain)}"))
        specs += [in_set(c, values) for c, values in rules.enums.items()]
        specs += [between(c, low, high) for c, (low, high) in rules.ranges.items()]
        specs += [a_at_least_b(a, b) for a, b in rules.at_least]
        known = params.get("known_keys") or {}
        for fk in rules.foreign_keys:
            keys = known.get(fk.column)
            if keys is None and dims is not None:
                keys = dims.keys(fk)
            if keys is not None:
                specs.append(
                    ExpectationSpec(
                        name=f"{fk.column}_in_{fk.dimension}",
                        description=f"{fk.column} exists in {fk.dimension}.{fk.dimension_column}",
                        gx_type="ExpectColumnValuesToBeInSet",
                        kwargs={"column": fk.column, "value_set": sorted(set(keys), key=str)},
                        columns=(fk.column,),
                    )
                )
        if rules.requires_active_projects:
            active = params.get("active_project_ids")
            if active is None and dims is not None:
                active = dims.active_project_ids()
            if active is not None:
                specs.append(
                    contains_all(
                        "project_id",
                        set(active),
                        "every active project is in the scorecard",
                        name="every_active_project_present",
                    )
                )
        specs.append(_row_count_spec(params))
        return specs


@dataclass(frozen=True)
class Dimensions:
    """Key lookups in the dimensions next to a mart (same DuckDB file and schema)."""

    conn: duckdb.DuckDBPyConnection
    schema: str

    def keys(self, fk: ForeignKey) -> list[Any]:
        column, table = quote_identifier(fk.dimension_column), quote_identifier(fk.dimension)
        sql = f"select distinct {column} from {quote_identifier(self.schema)}.{table} where {column} is not null"
        return [row[0] for row in self.conn.execute(sql).fetchall()]

    def active_project_ids(self) -> list[str]:
        sql = ACTIVE_PROJECTS_SQL.format(schema=quote_identifier(self.schema))
        return [row[0] for row in self.conn.execute(sql).fetchall()]


def _row_count_spec(params: Mapping[str, Any]) -> ExpectationSpec:
    """Always present, so every run records its row count; unbounded when there is no previous run."""
    previous = params.get("previous_row_count")
    if previous is None:
        return row_count_between(ROW_COUNT_CHECK, "row count (no previous run to compare)", 0, None)
    tolerance = float(params.get("tolerance", DEFAULT_TOLERANCE))
    # |count - previous| <= tolerance * previous, in whole rows; rounding first keeps float noise
    # (10 * 0.9 = 9.000000000000002) from moving a bound by one.
    low = max(0, math.ceil(round(previous * (1 - tolerance), 9)))
    high = math.floor(round(previous * (1 + tolerance), 9))
    return row_count_between(
        ROW_COUNT_CHECK,
        f"row count within {tolerance:.0%} of the previous run's {previous} ({low}–{high})",
        low,
        high,
    )


MART_SUITES: tuple[MartSuite, ...] = tuple(MartSuite(rules) for rules in MART_RULES)
