"""Every run is visible to BI: a source that fails leaves its rows, and "the latest run" is a run.

A night whose Jira is down must not show "0 blocking" over yesterday's numbers: kpi_data_quality
has the failed sync under that night's run id, kpi_source_freshness shows Jira stale with the
reason, the KPI marts keep their last good numbers, and the published file carries all of it.
"""

from __future__ import annotations

import re
import shutil
import socket
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from orchestration.defs.transform.project import mart_names, model_names
from simulators import start_simulators
from tests.conftest import SmallWarehouse, pwh_env, run_pwh

# one worker builds the session's small warehouse; its tests run there

KPI_MARTS = ("kpi_project_scorecard", "kpi_portfolio_summary", "kpi_capacity_utilization", "kpi_headline")
UNCHANGED = r"done {step} \(\d+ tables unchanged: nothing new since their last build\)"
DATA_QUALITY_LINE = re.compile(
    r"data quality \(latest run (\w{8}), (\d+) checks\): (?:OK|(\d+) blocking, (\d+) warnings)"
)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


def kpi_marts(published: Path) -> dict[str, pd.DataFrame]:
    with duckdb.connect(str(published), read_only=True) as conn:
        return {t: conn.execute(f"select * from marts.{t} order by all").df() for t in KPI_MARTS}


def copy_home(small_warehouse: SmallWarehouse, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(small_warehouse.home, home, ignore=shutil.ignore_patterns("logs", "exports"))
    return home


# Minutes (a failed night's data-quality publish); the same path over a wrong token and a closed
# port is in the default suite (test_nightly_operations.py), this exact scenario in make test-long.
@pytest.mark.long
def test_a_night_with_jira_down_is_recorded_and_the_numbers_stay(
    small_warehouse: SmallWarehouse, tmp_path: Path
) -> None:
    home = copy_home(small_warehouse, tmp_path)
    published = home / "published" / "portfolio.duckdb"
    before = kpi_marts(published)
    with start_simulators(small_warehouse.world_path) as sims:
        env = pwh_env(
            home,
            JIRA_URL=f"http://127.0.0.1:{closed_port()}",
            JIRA_EMAIL="pmo@example.com",
            JIRA_API_TOKEN="not-used",
            SERVICENOW_URL=sims.servicenow_url,
            SERVICENOW_USER=sims.servicenow_user,
            SERVICENOW_PASSWORD=sims.servicenow_password,
            FINANCE_EXPORT_DIR=str(home / "simulator" / "finance-drop"),
        )
        result = run_pwh(["run", "--as-of", "2026-06-30"], env, cwd=home)

    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    jira_lines = [line for line in result.stderr.splitlines() if "Jira" in line]
    assert jira_lines and "JIRA_URL" in jira_lines[0], result.stderr
    # The KPI marts are yesterday's, unchanged...
    for name, frame in kpi_marts(published).items():
        pd.testing.assert_frame_equal(frame, before[name], obj=name)
    with duckdb.connect(str(published), read_only=True) as conn:
        latest = conn.execute("select run_id from marts.kpi_run_health where is_latest_run").fetchone()[0]
        failed = conn.execute(
            "select table_name, detail from marts.kpi_data_quality "
            "where run_id = ? and check_name = 'sync' and severity = 'error' and not passed order by 1",
            [latest],
        ).fetchall()
        freshness = conn.execute(
            "select source_name, bool_and(is_stale), min(last_failure_reason), min(last_success_at) "
            "from marts.kpi_source_freshness group by 1 order by 1"
        ).fetchall()
        health = conn.execute(
            "select blocking_failure_count, failed_sources from marts.kpi_run_health where is_latest_run"
        ).fetchone()
    # ...while the data-quality marts of this very night say why.
    assert [table for table, _ in failed] == [
        f"jira/{e}"
        for e in sorted(
            (
                "projects",
                "statuses",
                "fields",
                "users",
                "versions",
                "boards",
                "sprints",
                "issues",
                "issue_changelogs",
                "worklogs",
            )
        )
    ]
    assert all(detail.startswith("failed: Jira ") and "JIRA_URL" in detail for _, detail in failed)
    by_source = {source: rest for source, *rest in freshness}
    stale, reason, last_success = by_source["jira"]
    assert stale and "JIRA_URL" in reason and last_success is not None  # the demo's sync is the last success
    assert by_source["servicenow"][0] is False and by_source["finance"][0] is False
    assert health[0] >= 7 and health[1] == "jira"
    assert result.stdout.count("data quality (latest run") == 1 and latest[:8] in result.stdout


def all_kpi_marts(published: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(published), read_only=True) as conn:
        return {name: conn.execute(f"select * from marts.{name} order by all").fetchall() for name in mart_names("kpi")}


def dbt_outcomes(published: Path) -> list[list[tuple]]:
    """Each run's dbt test outcomes in kpi_data_quality, oldest run first: those of the star schema
    and the KPI marts (the data-quality step's own tests are recorded after it built the mart, so
    a run's are in the mart from the next run on)."""
    data_quality = set(model_names("data_quality"))
    with duckdb.connect(str(published), read_only=True) as conn:
        runs = conn.execute(
            "select run_id from marts.kpi_data_quality group by 1 order by min(run_started_at)"
        ).fetchall()
        return [
            [
                row
                for row in conn.execute(
                    "select layer, table_name, check_name, severity, passed, failing_rows from marts.kpi_data_quality "
                    "where run_id = ? and check_name like 'dbt:%' order by all",
                    [run_id],
                ).fetchall()
                if row[1] not in data_quality
            ]
            for (run_id,) in runs
        ]


# Also the nights with nothing new (orchestration/defs/transform/build_stamps.py): in this copy of
# the demo's home (another PWH_HOME, whose dbt views read other raw paths) the first night builds;
# the four after it land no batch, so the star schema and KPI marts are reported unchanged without
# dbt, keep every row, and record the same dbt test outcomes as the first night's build.
@pytest.mark.long
def test_after_five_runs_the_cli_reports_the_last_runs_counts_exactly(
    small_warehouse: SmallWarehouse, tmp_path: Path
) -> None:
    home = copy_home(small_warehouse, tmp_path)
    published = home / "published" / "portfolio.duckdb"
    seen: list[str] = []
    with start_simulators(small_warehouse.world_path) as sims:
        # ServiceNow answers (nothing new); Jira and finance are skipped, with a warning each night.
        env = pwh_env(
            home,
            SERVICENOW_URL=sims.servicenow_url,
            SERVICENOW_USER=sims.servicenow_user,
            SERVICENOW_PASSWORD=sims.servicenow_password,
        )
        for night in range(5):
            result = run_pwh(["run", "--as-of", "2026-06-30"], env, cwd=home)
            assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
            match = DATA_QUALITY_LINE.search(result.stdout)
            assert match, result.stdout[-2000:]
            short_id, checks = match.group(1), int(match.group(2))
            blocking, warnings = int(match.group(3) or 0), int(match.group(4) or 0)
            with duckdb.connect(str(published), read_only=True) as conn:
                runs = conn.execute(
                    "select run_id, count(*) filter (where severity <> 'info'), "
                    "count(*) filter (where severity = 'error' and not passed), "
                    "count(*) filter (where severity = 'warn' and not passed), count(distinct run_started_at) "
                    "from marts.kpi_data_quality group by 1 order by min(run_started_at)"
                ).fetchall()
            assert len(runs) == night + 2  # the demo's run and each of these
            run_id, run_checks, run_blocking, run_warnings, starts = runs[-1]
            assert starts == 1  # every row of a run carries the run's start
            assert run_id.startswith(short_id) and run_id not in seen
            assert (checks, blocking, warnings) == (run_checks, run_blocking, run_warnings)
            seen.append(run_id)
            for step in ("dbt_core_models", "dbt_kpi_marts"):
                unchanged = re.search(UNCHANGED.format(step=step), result.stdout)
                assert bool(unchanged) == (night > 0), result.stdout
            if night == 0:
                first_night_marts = all_kpi_marts(published)
    assert all_kpi_marts(published) == first_night_marts
    _demo, *nights = dbt_outcomes(published)
    assert len(nights) == 5 and len(nights[0]) > 400 and all(night == nights[0] for night in nights)
