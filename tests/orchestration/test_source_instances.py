"""Two Jira sites and two ServiceNow instances, as a group that grew by acquisition runs them: the
same project keys and numbers, the same ids and sys_ids, the same people. The second site and
instance are the small world's Jira and ServiceNow served a second time, so every key and id
collides and every person is on both: the hardest case for keeping them apart.

One `pwh run` on a copy of the small warehouse (whose first site and instance landed already) with
JIRA_SITES and SERVICENOW_INSTANCES naming the second: each lands in its own folder, its raw checks
run, dbt builds, and the marts must hold each instance's rows under its own keys, with one resource
for one person.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from simulators import start_simulators
from tests.conftest import TEST_ANCHOR, SmallWarehouse, run_pwh, sims_env

pytestmark = pytest.mark.long


@pytest.fixture
def home(small_warehouse: SmallWarehouse, tmp_path: Path) -> Path:
    copy = tmp_path / "home"
    shutil.copytree(small_warehouse.home, copy, ignore=shutil.ignore_patterns("logs", "exports"))
    return copy


def rows(conn: duckdb.DuckDBPyConnection, sql: str, parameters: list[object] | None = None) -> list[tuple]:
    return conn.execute(sql, parameters).fetchall()


def test_two_sites_and_instances_with_the_same_keys_stay_apart_and_a_person_on_both_is_one_resource(
    home: Path, small_warehouse: SmallWarehouse
) -> None:
    with (
        duckdb.connect(str(small_warehouse.home / "published" / "portfolio.duckdb"), read_only=True) as one_site,
        start_simulators(small_warehouse.world_path) as sims,
        start_simulators(small_warehouse.world_path) as acme,
    ):
        resources = "select source_system, count(*) from marts.dim_resource group by 1 order by 1"
        before_resources = rows(one_site, resources)
        before_sprints = rows(
            one_site,
            "select sprint_id, committed_points, added_points, removed_points, completed_points, say_do_ratio "
            "from marts.kpi_sprint_predictability order by sprint_id",
        )
        before_releases = rows(
            one_site,
            "select version_id, scope_issue_count, scope_points, done_points, is_at_risk "
            "from marts.kpi_release_plan order by version_id",
        )
        hours = "select count(distinct resource_key), sum(hours) from marts.fct_timesheet_hours"
        before_hours = rows(one_site, hours)[0]
        sheets = "select count(*), count(*) filter (where is_submitted) from marts.kpi_timesheet_compliance"
        before_sheets = rows(one_site, sheets)
        before_projects = rows(one_site, "select count(*) from marts.dim_project where is_current")[0][0]
        env = sims_env(
            home,
            sims,
            FINANCE_EXPORT_DIR=str(home / "simulator" / "finance-drop"),
            JIRA_SITES="acme",
            JIRA_ACME_URL=acme.jira_url,
            JIRA_ACME_EMAIL=acme.jira_email,
            JIRA_ACME_API_TOKEN=acme.jira_api_token,
            SERVICENOW_INSTANCES="emea",
            SERVICENOW_EMEA_URL=acme.servicenow_url,
            SERVICENOW_EMEA_USER=acme.servicenow_user,
            SERVICENOW_EMEA_PASSWORD=acme.servicenow_password,
        )
        check = run_pwh(["check"], env, cwd=home, timeout=120)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "Jira acme" in check.stdout and "ServiceNow emea" in check.stdout
        result = run_pwh(["run", "--as-of", TEST_ANCHOR.isoformat()], env, cwd=home)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # The second site and instance landed in their own change logs.
    assert any((home / "raw" / "jira.acme" / "issues").glob("batch-*.parquet"))
    assert any((home / "raw" / "servicenow.emea" / "time_card").glob("batch-*.parquet"))

    with duckdb.connect(str(home / "published" / "portfolio.duckdb"), read_only=True) as conn:
        # Every issue of both sites, each once, under its own key: the same Jira id is two issues.
        by_site = dict(rows(conn, "select source_instance, count(*) from marts.fct_issue group by 1"))
        assert set(by_site) == {"jira", "jira.acme"} and by_site["jira"] == by_site["jira.acme"] > 0
        assert rows(conn, "select count(*) = count(distinct issue_key) from marts.fct_issue") == [(True,)]
        assert rows(
            conn,
            "select count(*) from marts.fct_issue as first join marts.fct_issue as second "
            "on second.issue_id = 'ACME:' || first.issue_id where first.source_instance = 'jira'",
        ) == [(by_site["jira"],)]
        # Both sites have the same project keys; the second's are its own Jira projects, which no
        # ServiceNow project claims (a claim names `ACME:<key>`).
        projects = rows(
            conn,
            "select source_instance, jira_project_key, project_id from marts.dim_jira_project "
            "where source_instance is not null",
        )
        first_keys = {key for site, key, _ in projects if site == "jira"}
        assert {key.removeprefix("ACME:") for site, key, _ in projects if site == "jira.acme"} == first_keys
        assert all(project_id is None for site, _, project_id in projects if site == "jira.acme")

        # A person on both sites is one resource: as many people as with one site, and the
        # worklogs of both sites count for the same resource.
        assert rows(conn, resources) == before_resources
        on_both = rows(
            conn,
            "select count(*) from (select resource_key from marts.fct_worklog group by 1 "
            "having count(distinct source_instance) = 2)",
        )[0][0]
        assert on_both > 0
        assert (
            rows(
                conn,
                "select count(*) from marts.dim_resource where jira_account_id is not null "
                "and resource_key in (select resource_key from marts.fct_worklog where source_instance = 'jira.acme')",
            )[0][0]
            > 0
        )

        # The agile marts hold each site's releases and sprints apart, each with the figures of a
        # one-site warehouse (the two sites serve the same data).
        for site, prefix in (("jira", ""), ("jira.acme", "ACME:")):
            sprints = rows(
                conn,
                "select substr(sprint_id, length(?) + 1), committed_points, added_points, removed_points, "
                "completed_points, say_do_ratio from marts.kpi_sprint_predictability where source_instance = ? "
                "order by 1",
                [prefix, site],
            )
            assert sprints == before_sprints, site
            releases = rows(
                conn,
                "select substr(version_id, length(?) + 1), scope_issue_count, scope_points, done_points, is_at_risk "
                "from marts.kpi_release_plan where source_instance = ? order by 1",
                [prefix, site],
            )
            assert releases == before_releases, site
        quarters = dict(
            rows(conn, "select source_instance, count(*) from marts.kpi_sprint_predictability_by_quarter group by 1")
        )
        assert quarters["jira"] == quarters["jira.acme"] > 0

        # Both ServiceNow instances have the same projects, numbers and sys_ids: each instance's
        # are its own, the second's under its name.
        projects_by_instance = dict(
            rows(conn, "select source_instance, count(*) from marts.dim_project where is_current group by 1")
        )
        assert projects_by_instance == {
            "servicenow": before_projects - 1,
            "servicenow.emea": before_projects - 1,
            None: 1,  # the unknown member
        }
        assert rows(
            conn,
            "select count(*) from marts.dim_project as first join marts.dim_project as second "
            "on second.project_id = 'EMEA:' || first.project_id and second.is_current "
            "where first.source_instance = 'servicenow' and first.is_current",
        ) == [(before_projects - 1,)]
        # Two instances' portfolios of one name are two portfolios: the second's named for it.
        first, second = rows(
            conn,
            "select count(*) filter (where source_instance = 'servicenow'), "
            "count(*) filter (where source_instance = 'servicenow.emea' and portfolio_name like 'EMEA:%') "
            "from marts.dim_portfolio",
        )[0]
        assert first == second > 0
        # Every person is on both instances: still one resource each (asserted above), and the
        # hours booked on both count for them — twice the hours, the same people.
        after_people, after_hours = rows(conn, hours)[0]
        assert after_people == before_hours[0] and after_hours == 2 * before_hours[1]
        # each card-day is one fact row, under the instance it was booked on
        by_instance = dict(rows(conn, "select source_instance, count(*) from marts.fct_timesheet_hours group by 1"))
        assert set(by_instance) == {"servicenow", "servicenow.emea"}
        assert by_instance["servicenow"] == by_instance["servicenow.emea"] > 0
        # One time sheet a week is owed, not one per instance.
        assert rows(conn, sheets) == before_sheets
