"""Fixtures for the dbt tests: the small world landed once, and real `dbt build`s over it.

The raw landing (``small_landing``, tests/conftest.py) is produced the way production produces it.
Each build gets its own PWH_HOME (its own DuckDB file) and its own dbt target/log folders, so builds
never share state with each other or with a developer's ``dbt_project/target``. The build as of
the world's anchor date is the demo warehouse's (``small_build``): the pipeline's dbt steps over
the same landing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DBT_PROJECT = REPO / "dbt_project"
DBT = Path(sys.executable).with_name("dbt")

# The as-of date the small world is generated around (tests/conftest.py TEST_ANCHOR).
ANCHOR_AS_OF = date(2026, 6, 30)
# An as-of date in the middle of a month and a week: the month in progress counts to date.
MID_MONTH_AS_OF = date(2026, 3, 18)
# The finance side of the project (spend, its rejects, and the data-quality mart that reports
# superseded files), with everything upstream: the builds of hand-written finance exports. The KPI
# marts that read spend (cost reconciliation, vendors) are left out: these exports name no
# project, so they would be built empty; the whole-world builds test them.
FINANCE_NODES = ["+fct_spend", "+finance_rejects", "+kpi_data_quality"]


@dataclass(frozen=True)
class DbtBuild:
    """A finished `dbt build`: its warehouse file, what dbt reported, and the as-of date used."""

    home: Path
    database: Path
    as_of: date
    returncode: int
    output: str
    run_results: dict

    def results_by_status(self) -> dict[str, list[str]]:
        by_status: dict[str, list[str]] = {}
        for result in self.run_results.get("results", []):
            by_status.setdefault(result["status"], []).append(result["unique_id"])
        return by_status

    def connect(self):
        import duckdb

        return duckdb.connect(str(self.database), read_only=True)


def _shared_build(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str, name: str, landing: Path, as_of: date
) -> DbtBuild:
    """``run_dbt_build`` once per session for all xdist workers (see tests/conftest.py shared_once)."""
    from tests.conftest import shared_once

    def build(home: Path) -> dict:
        done = run_dbt_build(landing, home, as_of)
        return {"returncode": done.returncode, "output": done.output, "run_results": done.run_results}

    home, outcome = shared_once(tmp_path_factory, worker_id, name, build)
    return DbtBuild(
        home, home / "portfolio.duckdb", as_of, outcome["returncode"], outcome["output"], outcome["run_results"]
    )


def run_dbt_build(landing_home: Path, home: Path, as_of: date, select: list[str] | None = None) -> DbtBuild:
    """`dbt build` into `home/portfolio.duckdb` from the landing in `landing_home`, as of `as_of`
    (only the `select`ed nodes when given, with the tests whose every parent they include: dbt's
    cautious indirect selection, since a test on a model left out would find no table)."""
    home.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PWH_HOME": str(home),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_TARGET": "dev",
    }
    env.pop("PWH_AS_OF", None)
    dbt_vars = {
        "as_of_date": as_of.isoformat(),
        "raw_root": str(landing_home / "raw"),
        "quality_root": str(landing_home / "quality"),
    }
    target = home / "dbt_target"
    completed = subprocess.run(
        [
            str(DBT),
            "build",
            "--project-dir",
            str(DBT_PROJECT),
            "--profiles-dir",
            str(DBT_PROJECT),
            "--target-path",
            str(target),
            "--log-path",
            str(home / "dbt_logs"),
            "--vars",
            json.dumps(dbt_vars),
            *(["--select", *select, "--indirect-selection", "cautious"] if select else []),
        ],
        cwd=DBT_PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    results_file = target / "run_results.json"
    run_results = json.loads(results_file.read_text()) if results_file.exists() else {}
    return DbtBuild(
        home=home,
        database=home / "portfolio.duckdb",
        as_of=as_of,
        returncode=completed.returncode,
        output=completed.stdout + completed.stderr,
        run_results=run_results,
    )


@pytest.fixture(scope="session")
def dbt_builder():
    """`run_dbt_build` itself, for tests that build at their own as-of date (conftest modules are
    not imported by name: pytest may hold several modules called `conftest`)."""
    return run_dbt_build


@pytest.fixture(scope="session")
def small_build(small_warehouse) -> DbtBuild:
    """The small world as of its anchor date, as the pipeline built it: the demo warehouse's build
    file (staging, intermediate and marts; tests/conftest.py ``small_warehouse``).

    A `dbt build` of its own would compute the same tables from the same world, landed by the same
    connectors, at the same date, for about 45 s of a core. Its ``run_results`` are empty (three
    dbt steps of the pipeline built it): what only a plain `dbt build` from an empty PWH_HOME
    shows (green, unit tests included) is asserted on ``mid_month_build``, which is one.
    """
    assert small_warehouse.as_of == ANCHOR_AS_OF
    return DbtBuild(
        home=small_warehouse.home,
        database=small_warehouse.build_db,
        as_of=small_warehouse.as_of,
        returncode=small_warehouse.returncode,
        output=small_warehouse.stdout + small_warehouse.stderr,
        run_results={},
    )


@pytest.fixture(scope="session")
def mid_month_build(small_landing: Path, tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> DbtBuild:
    """The small world built as of Wednesday 18 March 2026: mid-month and mid-week, so the month in
    progress counts to date (docs/kpis.md "To date") and every cut falls inside a period."""
    return _shared_build(tmp_path_factory, worker_id, "build_mid_month", small_landing, MID_MONTH_AS_OF)
