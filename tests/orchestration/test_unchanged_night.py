"""A night with nothing new does not rebuild the warehouse and keeps every number.

In a copy of the demo's home (another PWH_HOME: dbt's views read the raw files by their absolute
path, so the first night there builds), a second `pwh run` over the same world lands no batch:
the dbt steps of the star schema and the KPI marts find their inputs unchanged since the first
night's build (orchestration/defs/transform/build_stamps.py), report their tables unchanged,
replay that build's dbt test outcomes for this run, and the KPI marts stay exactly what they were.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.defs.transform.project import mart_names, model_names
from simulators import start_simulators
from tests.conftest import SmallWarehouse, run_pwh, sims_env

pytestmark = pytest.mark.long
UNCHANGED = r"done {step} \(\d+ tables unchanged: nothing new since their last build\)"


def kpi_marts(database: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(database), read_only=True) as conn:
        return {name: conn.execute(f"select * from marts.{name} order by all").fetchall() for name in mart_names("kpi")}


def dbt_outcomes(database: Path) -> list[list[tuple]]:
    """Each run's dbt test outcomes in kpi_data_quality, oldest run first: those of the star schema
    and the KPI marts (the data-quality step's own tests are recorded after it built the mart, so
    a run's are in the mart from the next run on)."""
    data_quality = set(model_names("data_quality"))
    with duckdb.connect(str(database), read_only=True) as conn:
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


def test_a_night_with_nothing_new_builds_nothing_and_keeps_every_number(
    small_warehouse: SmallWarehouse, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(small_warehouse.home, home, ignore=shutil.ignore_patterns("logs", "exports"))
    as_of = ["run", "--as-of", small_warehouse.as_of.isoformat()]

    with start_simulators(small_warehouse.world_path) as sims:
        first = run_pwh(as_of, sims_env(home, sims), cwd=home)
        assert first.returncode == 0, first.stdout[-2000:] + first.stderr[-2000:]
        assert not re.search(UNCHANGED.format(step="dbt_core_models"), first.stdout), first.stdout
        before = kpi_marts(home / "published" / "portfolio.duckdb")
        second = run_pwh(as_of, sims_env(home, sims), cwd=home)

    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-2000:]
    for step in ("dbt_core_models", "dbt_kpi_marts"):
        assert re.search(UNCHANGED.format(step=step), second.stdout), second.stdout
    # The data-quality mart reads this run's check results: it is built every night.
    assert re.search(r"done dbt_data_quality \(\d+ tables\)", second.stdout), second.stdout
    assert kpi_marts(home / "published" / "portfolio.duckdb") == before
    # The dbt tests' outcomes are on record for this night too, the same as the build's own.
    _demo, first_night, second_night = dbt_outcomes(home / "published" / "portfolio.duckdb")
    assert len(second_night) > 400 and second_night == first_night
