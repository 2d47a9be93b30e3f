"""A run killed hard (OOM, reboot, kill -9) never wedges the nights after it.

The kill takes the whole process group at a real moment — while dbt builds, while the published
file is written — so nothing gets to clean up. The next `pwh run` must notice the dead run, free
the `duckdb` pool slot it held (without that, every later run waits forever at "Step blocked by
limit for pool duckdb"), remove what the killed publish left, and end with the same marts an
uninterrupted run gives.
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from simulators import start_simulators
from tests.conftest import SmallWarehouse, run_pwh, sims_env

pytestmark = pytest.mark.long

PWH = Path(sys.executable).with_name("pwh")
COMPARED = (
    "kpi_project_scorecard",
    "kpi_portfolio_summary",
    "kpi_capacity_utilization",
    "kpi_budget_vs_actual",
    "kpi_headline",
    "kpi_cost_reconciliation",
    "fct_spend",
    "fct_timesheet_hours",
)


def marts(published: Path) -> dict[str, list[tuple]]:
    """The compared marts, every row, in one order."""
    with duckdb.connect(str(published), read_only=True) as conn:
        return {t: conn.execute(f"select * from marts.{t} order by all").fetchall() for t in COMPARED}


def differences(after: dict[str, list[tuple]], before: dict[str, list[tuple]]) -> list[str]:
    """Where two sets of marts differ beyond build-to-build noise.

    DuckDB sums doubles in parallel, so two builds of the same data may differ in a double's last
    bits (1.0 vs 1.0000000000000002): doubles are equal to 1e-9 relative. Money stays DECIMAL
    through every sum (macros/partial_month.sql), so decimals, like everything else, are equal
    exactly.
    """

    def same(a: object, b: object) -> bool:
        if isinstance(a, float) and isinstance(b, float):
            return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
        return a == b

    found = []
    for table in COMPARED:
        rows_after, rows_before = after[table], before[table]
        if len(rows_after) != len(rows_before):
            found.append(f"{table}: {len(rows_after)} rows, {len(rows_before)} before")
            continue
        for row_after, row_before in zip(rows_after, rows_before, strict=True):
            if len(row_after) != len(row_before) or not all(map(same, row_after, row_before)):
                found.append(f"{table}: {row_after} != {row_before}")
                break
    return found


@pytest.mark.parametrize("moment", ["▶ dbt_core_models", "▶ serving__published_warehouse"])
def test_a_run_killed_hard_is_cleaned_up_by_the_next_one(
    small_warehouse: SmallWarehouse, tmp_path: Path, moment: str
) -> None:
    home = tmp_path / "home"
    shutil.copytree(small_warehouse.home, home, ignore=shutil.ignore_patterns("logs", "exports"))
    uninterrupted = marts(home / "published" / "portfolio.duckdb")
    with start_simulators(small_warehouse.world_path) as sims:
        env = sims_env(
            home,
            sims,
        )
        victim = subprocess.Popen(
            [str(PWH), "run", "--as-of", "2026-06-30"],
            env=env,
            cwd=home,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        for line in victim.stdout:  # type: ignore[union-attr]
            if line.strip().startswith(moment.strip()):
                break
        os.killpg(victim.pid, signal.SIGKILL)  # pwh, its steps, dbt: all at once, as an OOM kill or a reboot
        victim.wait(timeout=30)

        survivor = run_pwh(["run", "--as-of", "2026-06-30"], env, cwd=home, timeout=900)

    assert survivor.returncode == 0, survivor.stdout[-2000:] + survivor.stderr[-2000:]
    notes = [line for line in survivor.stderr.splitlines() if "left unfinished" in line]
    assert len(notes) == 1 and "marked failed, pool slots freed" in notes[0], survivor.stderr
    assert not list((home / "published").glob(".portfolio.duckdb.*")), "a killed publish left files behind"
    assert differences(marts(home / "published" / "portfolio.duckdb"), uninterrupted) == []
