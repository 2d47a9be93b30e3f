"""The same world built as of two dates: the KPIs move the way docs/kpis.md "As of" says they must.

The late build is the world's anchor (2026-06-30): the demo warehouse's build file, shared with
test_dbt_build. The early build, a plain `dbt build` of the same world landed by the same
connectors, is as of Wednesday 2026-03-18, mid-month and mid-week, so every cut (fiscal month, day, ISO week)
falls inside a period. Expected values are recomputed here from the star schema of the same build
(facts are never cut), so each assertion pins the cut rule, not a number copied from the mart.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

pytestmark = pytest.mark.slow

EARLY = date(2026, 3, 18)
EARLY_MONTH = date(2026, 3, 1)
EARLY_WEEK = EARLY - timedelta(days=EARLY.weekday())


@pytest.fixture(scope="module")
def early_build(mid_month_build):
    assert mid_month_build.as_of == EARLY
    assert mid_month_build.returncode == 0, mid_month_build.output[-6000:]
    return mid_month_build


@pytest.fixture(scope="module")
def late_build(small_build):
    assert small_build.returncode == 0, small_build.output[-6000:]
    return small_build


def rows(build, sql: str, params: list | None = None) -> list[tuple]:
    with build.connect() as con:
        return con.execute(sql, params or []).fetchall()


def close(left, right) -> bool:
    if left is None or right is None:
        return left is None and right is None
    return math.isclose(float(left), float(right), rel_tol=1e-9, abs_tol=1e-6)


def test_every_kpi_mart_says_which_day_it_is_as_of(early_build, late_build) -> None:
    for build in (early_build, late_build):
        for mart in ("kpi_project_scorecard", "kpi_portfolio_summary", "kpi_capacity_utilization"):
            assert rows(build, f"select distinct as_of_date from marts.{mart}") == [(build.as_of,)]


def test_actual_cost_to_date_counts_only_gl_months_up_to_the_as_of_month(early_build, late_build) -> None:
    def expected(build, month: date) -> dict[str, float]:
        return dict(
            rows(
                build,
                """
            select p.project_id, coalesce(sum(s.spend_amount), 0)
            from marts.dim_project as p
            left join marts.dim_project as v on v.project_sys_id = p.project_sys_id
            left join marts.fct_spend as s on s.project_key = v.project_key and s.month_start_date <= ?
            where p.is_current and p.project_sys_id is not null
            group by 1
        """,
                [month],
            )
        )

    early = dict(rows(early_build, "select project_id, actual_cost_to_date_amount from marts.kpi_project_scorecard"))
    late = dict(rows(late_build, "select project_id, actual_cost_to_date_amount from marts.kpi_project_scorecard"))
    early_expected = expected(early_build, EARLY_MONTH)
    late_expected = expected(late_build, date(2026, 6, 1))
    assert early.keys() == early_expected.keys()
    assert all(close(early[p], early_expected[p]) for p in early), {
        p: (early[p], early_expected[p]) for p in early if not close(early[p], early_expected[p])
    }
    assert all(close(late[p], late_expected[p]) for p in late)
    # April to June were posted in the world, so fewer GL months make a smaller total somewhere
    assert any(float(early[p]) < float(late[p]) - 1 for p in early)


def test_budget_vs_actual_blanks_months_after_the_as_of_month(early_build, late_build) -> None:
    def split(build, month: date) -> tuple[int, int, int]:
        ((to_date_nulls, later_values, later_rows),) = rows(
            build,
            """
            select
                count(*) filter (where month_start_date <= ? and (actual_amount is null
                                                                  or cumulative_actual_amount is null
                                                                  or variance_amount is null)),
                count(*) filter (where month_start_date > ? and (actual_amount is not null
                                                                 or cumulative_actual_amount is not null
                                                                 or variance_amount is not null)),
                count(*) filter (where month_start_date > ?)
            from marts.kpi_budget_vs_actual
        """,
            [month, month, month],
        )
        return to_date_nulls, later_values, later_rows

    early_nulls_to_date, early_values_later, early_rows_later = split(early_build, EARLY_MONTH)
    assert early_nulls_to_date == 0
    assert early_values_later == 0
    assert early_rows_later > 0
    # the months April-June have actuals once the as-of date has passed them
    ((april_to_june_with_actuals,),) = rows(
        late_build,
        """
        select count(*) from marts.kpi_budget_vs_actual
        where month_start_date between date '2026-04-01' and date '2026-06-01' and actual_amount is not null
    """,
    )
    assert april_to_june_with_actuals > 0


def test_benefits_after_the_as_of_month_are_not_realised_yet(early_build) -> None:
    ((later_values,),) = rows(
        early_build,
        """
        select count(*) from marts.kpi_benefits_realization
        where month_start_date > ? and (actual_benefit_amount is not null or cumulative_actual_amount is not null
                                          or benefit_realization_ratio is not null)
    """,
        [EARLY_MONTH],
    )
    assert later_values == 0


def test_status_reports_after_the_as_of_date_are_ignored(early_build, late_build) -> None:
    latest_by_date = """
        select project_id, overall_health from (
            select p.project_id, r.overall_health,
                   row_number() over (partition by p.project_sys_id
                                      order by r.status_date desc, r.created_at desc,
                                               r.project_status_sys_id desc) as rn
            from marts.fct_project_status as r
            join marts.dim_project as v on v.project_key = r.project_key
            join marts.dim_project as p on p.project_sys_id = v.project_sys_id and p.is_current
            where r.status_date <= ?
        ) where rn = 1
    """
    early = dict(rows(early_build, "select project_id, overall_health from marts.kpi_project_scorecard"))
    expected = dict(rows(early_build, latest_by_date, [EARLY]))
    assert {p: h for p, h in early.items() if h is not None} == expected
    # reports were filed between the two dates, so the cut changes what some projects show
    ((later_reports,),) = rows(
        late_build, "select count(*) from marts.fct_project_status where status_date > ?", [EARLY]
    )
    assert later_reports > 0
    late = dict(rows(late_build, "select project_id, overall_health from marts.kpi_project_scorecard"))
    assert early != late


def test_issues_resolved_after_the_as_of_date_count_as_unresolved(early_build, late_build) -> None:
    ((resolved_by_as_of,),) = rows(
        early_build, "select count(*) from marts.fct_issue where resolved_date <= ?", [EARLY]
    )
    ((resolved_later,),) = rows(early_build, "select count(*) from marts.fct_issue where resolved_date > ?", [EARLY])
    assert resolved_later > 0
    ((throughput, last_week),) = rows(
        early_build, "select sum(throughput), max(week_start_date) from marts.kpi_delivery_flow"
    )
    assert throughput == resolved_by_as_of
    assert last_week == EARLY_WEEK
    # the as-of week is cut on the as-of day: the late build sees the rest of that week
    week = "select sum(throughput) from marts.kpi_delivery_flow where week_start_date = ?"
    ((early_week,),) = rows(early_build, week, [EARLY_WEEK])
    ((late_week,),) = rows(late_build, week, [EARLY_WEEK])
    ((resolved_in_week_by_as_of,),) = rows(
        early_build,
        """
        select count(*) from marts.fct_issue where resolved_date between ? and ?
    """,
        [EARLY_WEEK, EARLY],
    )
    ((resolved_in_week,),) = rows(
        late_build,
        """
        select count(*) from marts.fct_issue where resolved_date between ? and ?
    """,
        [EARLY_WEEK, EARLY_WEEK + timedelta(days=6)],
    )
    assert early_week == resolved_in_week_by_as_of
    assert late_week == resolved_in_week


def test_capacity_and_portfolio_rows_stop_at_the_as_of_month(early_build) -> None:
    for mart in ("kpi_capacity_utilization", "kpi_portfolio_summary"):
        assert rows(early_build, f"select max(month_start_date) from marts.{mart}") == [(EARLY_MONTH,)]


def test_time_card_days_after_the_as_of_date_are_not_hours_yet(early_build, late_build) -> None:
    march = "select sum(actual_hours) from marts.kpi_capacity_utilization where month_start_date = ?"
    ((early_march,),) = rows(early_build, march, [EARLY_MONTH])
    ((late_march,),) = rows(late_build, march, [EARLY_MONTH])
    ((expected_early,),) = rows(
        early_build,
        """
        select sum(h.hours) from marts.fct_timesheet_hours as h
        join marts.dim_resource as r on r.resource_key = h.resource_key and r.source_system = 'servicenow'
        where h.work_date between ? and ?
    """,
        [EARLY_MONTH, EARLY],
    )
    assert close(early_march, expected_early)
    assert float(late_march) > float(early_march)


def test_forecast_at_completion_uses_the_latest_version_not_after_the_as_of_month(early_build, late_build) -> None:
    for build, month in ((early_build, EARLY_MONTH), (late_build, date(2026, 6, 1))):
        label = month.strftime("%Y-%m")
        ((version,),) = rows(build, "select max(version) from marts.fct_forecast where version <= ?", [label])
        assert version == label
        remaining = dict(
            rows(
                build,
                """
            select p.project_id, coalesce(sum(f.forecast_amount), 0)
            from marts.dim_project as p
            left join marts.dim_project as v on v.project_sys_id = p.project_sys_id
            left join marts.fct_forecast as f
                on f.project_key = v.project_key and f.version = ? and f.month_start_date > ?
            where p.is_current and p.project_sys_id is not null
            group by 1
        """,
                [version, month],
            )
        )
        scorecard = rows(
            build,
            """
            select project_id, forecast_at_completion_amount - actual_cost_to_date_amount
            from marts.kpi_project_scorecard
        """,
        )
        assert all(close(to_come, remaining[p]) for p, to_come in scorecard), [
            (p, to_come, remaining[p]) for p, to_come in scorecard if not close(to_come, remaining[p])
        ]
