"""Two Jira sites, as a group that grew by acquisition runs them: the same project keys, the same
issue ids, the same people. The second site is the small world's Jira served a second time, so
every key and id collides and every person is on both: the hardest case for keeping them apart.

One `pwh run` on a copy of the small warehouse (whose first site landed already) with JIRA_SITES
naming the second: it lands in its own folder, its raw checks run, dbt builds, and the marts must
hold each site's rows under its own keys, with one resource for one person.
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


def test_two_jira_sites_with_the_same_keys_stay_apart_and_a_person_on_both_is_one_resource(
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
        env = sims_env(
            home,
            sims,
            FINANCE_EXPORT_DIR=str(home / "simulator" / "finance-drop"),
            JIRA_SITES="acme",
            JIRA_ACME_URL=acme.jira_url,
            JIRA_ACME_EMAIL=acme.jira_email,
            JIRA_ACME_API_TOKEN=acme.jira_api_token,
        )
        check = run_pwh(["check"], env, cwd=home, timeout=120)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "Jira acme" in check.stdout
        result = run_pwh(["run", "--as-of", TEST_ANCHOR.isoformat()], env, cwd=home)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    # The second site landed in its own change log, whole.
    assert any((home / "raw" / "jira.acme" / "issues").glob("batch-*.parquet"))

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
