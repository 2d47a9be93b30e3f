"""The nightly scenario step solves again only when what it solves from changed.

`scenario_marts` is materialised in Dagster against a copy of the session's build file (the demo
warehouse): the first run solves and stamps, the second with the same inputs does not solve and
reports the four tables unchanged, a changed mart row or `--full` solves again. What the stamp's
digest covers (orchestration/scenarios.py ``solve_inputs``) is checked on the frames themselves.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import yaml

from orchestration.defs.ingest.landing_assets import SYNC_MODE_TAG
from orchestration.defs.planning.assets import scenario_marts
from orchestration.defs.resources import WarehouseResource
from orchestration.defs.transform.build_stamps import UNCHANGED_SINCE_RUN
from orchestration.scenarios import SHIPPED_SCENARIOS, read_frames, solve_inputs
from planning.tables import TABLE_NAMES
from quality.results import read_results
from tests.conftest import SmallWarehouse

pytestmark = pytest.mark.slow

# Not a scenario the planner can read: it fails every night with the same warning.
BROKEN = "name: broken\nobjective: the biggest number\n"
INSTANCE = dg.DagsterInstance.ephemeral()


@pytest.fixture
def setup(small_warehouse: SmallWarehouse, tmp_path: Path) -> tuple[WarehouseResource, Path]:
    home = tmp_path / "home"
    home.mkdir()
    shutil.copyfile(small_warehouse.build_db, home / "portfolio.duckdb")
    folder = tmp_path / "scenarios"
    shutil.copytree(SHIPPED_SCENARIOS, folder)
    (folder / "broken.yml").write_text(BROKEN)
    return WarehouseResource(home=str(home), scenario_dir=str(folder)), folder


def materialize(warehouse: WarehouseResource, **tags: str) -> dg.ExecuteInProcessResult:
    result = dg.materialize([scenario_marts], resources={"warehouse": warehouse}, tags=tags, instance=INSTANCE)
    assert result.success
    return result


def logged(result: dg.ExecuteInProcessResult) -> list[str]:
    return [entry.user_message for entry in INSTANCE.all_logs(result.run_id)]


def unchanged_since(result: dg.ExecuteInProcessResult) -> dict[str, str | None]:
    """Each scenario mart's "unchanged since run" (None: written by this run)."""
    notes = {}
    for event in result.get_asset_materialization_events():
        materialization = event.materialization
        note = materialization.metadata.get(UNCHANGED_SINCE_RUN)
        notes[materialization.asset_key.path[-1]] = None if note is None else note.value
    return notes


def tables(warehouse: WarehouseResource) -> dict[str, list[tuple]]:
    with duckdb.connect(str(warehouse.paths.build_db), read_only=True) as conn:
        return {name: conn.execute(f"select * from marts.{name} order by all").fetchall() for name in TABLE_NAMES}


def broken_warnings(warehouse: WarehouseResource) -> dict[str, list[str]]:
    rows = read_results(warehouse.paths.quality)
    rows = rows[rows["check_name"] == "scenario_solves:broken"]
    return {run: sorted(group["detail"]) for run, group in rows.groupby("run_id")}


def test_a_night_with_the_same_inputs_does_not_solve_and_keeps_the_warnings(setup) -> None:
    warehouse, _folder = setup
    first = materialize(warehouse)
    assert unchanged_since(first) == dict.fromkeys(TABLE_NAMES)
    solved = tables(warehouse)
    assert solved["scenario_summary"], "the shipped scenarios were solved"

    second = materialize(warehouse)
    assert unchanged_since(second) == dict.fromkeys(TABLE_NAMES, first.run_id)
    assert tables(warehouse) == solved
    assert any(f"unchanged since run {first.run_id}: not solved again" in m for m in logged(second))
    assert not any("not solved again" in m for m in logged(first))
    # a solve logs one line per scenario solved ("scenario baseline: optimal, …"); a kept night none
    assert any(m.startswith("scenario baseline: ") for m in logged(first))
    assert not any(m.startswith("scenario baseline: ") for m in logged(second))
    # the scenario that could not be read is warned about each night, in the same words
    warnings = broken_warnings(warehouse)
    assert set(warnings) == {first.run_id, second.run_id}
    assert warnings[first.run_id] == warnings[second.run_id] and "broken" in warnings[first.run_id][0]

    # one changed row of a mart the planner reads: solved again, and stamped again
    with duckdb.connect(str(warehouse.paths.build_db)) as conn:
        conn.execute(
            "update marts.kpi_prioritization set priority_score = priority_score + 1 "
            "where item_id = (select min(item_id) from marts.kpi_prioritization)"
        )
    third = materialize(warehouse)
    assert unchanged_since(third) == dict.fromkeys(TABLE_NAMES)
    assert unchanged_since(materialize(warehouse)) == dict.fromkeys(TABLE_NAMES, third.run_id)
    # a scenario mart gone from the build file: solved again, whatever the stamp says
    with duckdb.connect(str(warehouse.paths.build_db)) as conn:
        conn.execute("drop table marts.scenario_frontier")
    assert unchanged_since(materialize(warehouse)) == dict.fromkeys(TABLE_NAMES)
    assert tables(warehouse)["scenario_frontier"]
    # `pwh run --full` always solves
    assert unchanged_since(materialize(warehouse, **{SYNC_MODE_TAG: "full"})) == dict.fromkeys(TABLE_NAMES)


def test_the_digest_sees_files_rows_and_the_date_but_not_row_order(setup) -> None:
    warehouse, folder = setup
    with duckdb.connect(str(warehouse.paths.build_db), read_only=True) as conn:
        frames = read_frames(conn)
    digest = solve_inputs(frames, folder)
    assert digest is not None and solve_inputs(frames, folder) == digest
    shuffled = replace(frames, allocations=frames.allocations.sample(frac=1, random_state=1))
    assert not shuffled.allocations.equals(frames.allocations)
    assert solve_inputs(shuffled, folder) == digest
    one_row_less = replace(frames, issues=frames.issues.iloc[1:])
    assert solve_inputs(one_row_less, folder) != digest
    doubled = replace(frames, dependencies=frames.dependencies.iloc[[0, 0, *range(1, len(frames.dependencies))]])
    assert solve_inputs(doubled, folder) != digest
    assert solve_inputs(replace(frames, as_of=frames.as_of.replace(day=1)), folder) != digest
    (folder / "baseline.yml").write_text((folder / "baseline.yml").read_text() + "\n# reviewed by the board\n")
    assert solve_inputs(frames, folder) != digest
    assert solve_inputs(frames, folder / "missing") is None


def test_a_solve_with_an_infeasible_scenario_is_solved_again_the_next_night(setup) -> None:
    """Out of solver time is reported as infeasible too, and that depends on the machine's load:
    such a night is not kept, whatever its inputs."""
    warehouse, folder = setup
    with duckdb.connect(str(warehouse.paths.build_db), read_only=True) as conn:
        dearest = [
            item
            for (item,) in conn.execute(
                "select item_id from marts.kpi_prioritization where item_type = 'project' "
                "order by priority_rank limit 3"
            ).fetchall()
        ]
    (folder / "overcommitted.yml").write_text(
        yaml.safe_dump({"budget": {"total": 1}, "mandatory": dearest}), encoding="utf-8"
    )
    first = materialize(warehouse)
    with duckdb.connect(str(warehouse.paths.build_db), read_only=True) as conn:
        rows = conn.execute("select scenario_name, status from marts.scenario_summary where is_total").fetchall()
    summary = dict(rows)
    assert summary["overcommitted"] == "infeasible" and summary["baseline"] == "optimal"
    assert unchanged_since(first) == dict.fromkeys(TABLE_NAMES)
    assert unchanged_since(materialize(warehouse)) == dict.fromkeys(TABLE_NAMES)
