"""Solving the scenario files against a warehouse file: the marts in, the four scenario marts out.

Shared by the Dagster asset (the build file, in the `duckdb` pool, after the KPI marts) and by
`pwh scenario` (the published file, read-only; the result is published through serving/publish.py).
planning/ never opens a DuckDB file: this module reads the marts it needs into data frames and
writes back the frames it returns (docs/architecture.md "Scenario marts are written by the planner").
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from importlib.metadata import version
from pathlib import Path
from typing import TextIO

import duckdb
import numpy as np
import pandas as pd

from planning.analysis import ScenarioResult, run_scenario
from planning.inputs import FRAME_COLUMNS, WarehouseFrames, build_inputs
from planning.scenario import ScenarioError, load_scenario, scenario_files
from planning.tables import DescribedFrame, ScenarioFailure, scenario_tables
from serving.marts import quote_identifier, table_ref

SHIPPED_SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
# The planner as code: its package, this module, the step and the writer of its tables, and the
# libraries that solve, read and parse.
_REPOSITORY = Path(__file__).resolve().parents[1]
_PLANNER_CODE = (
    _REPOSITORY / "planning",
    Path(__file__).resolve(),
    _REPOSITORY / "orchestration" / "defs" / "planning",
    _REPOSITORY / "serving" / "marts.py",
)
_PLANNER_LIBRARIES = ("highspy", "scipy", "numpy", "pandas", "pyyaml", "duckdb")

# frame → (mart, filter): the planner reads these columns (planning/inputs.py FRAME_COLUMNS) and
# nothing else; every figure it uses is a mart's own (docs/scenarios.md "Where the inputs come from").
SOURCES: dict[str, tuple[str, str]] = {
    "prioritization": ("kpi_prioritization", ""),
    "scorecard": ("kpi_project_scorecard", ""),
    "projects": ("dim_project", "where is_current"),
    "cost_plan": ("fct_cost_plan", ""),
    "demands": ("fct_demand", ""),
    "allocations": ("fct_resource_allocation", ""),
    # the people kpi_capacity_utilization counts capacity for
    "people": (
        "dim_resource",
        "where resource_id in (select resource_id from {catalog}marts.kpi_capacity_utilization)",
    ),
    "dependencies": ("fct_issue_dependency", ""),
    "issues": ("fct_issue", ""),
}


def scenario_folder(folder: Path | str | None) -> Path:
    """The folder PWH_SCENARIO_DIR names, or the scenarios shipped with the project."""
    return Path(folder).expanduser().resolve() if folder else SHIPPED_SCENARIOS


def read_frames(conn: duckdb.DuckDBPyConnection, catalog: str | None = None) -> WarehouseFrames:
    """The marts the planner needs, as data frames (columns exactly FRAME_COLUMNS)."""
    prefix = f"{quote_identifier(catalog)}." if catalog else ""
    frames = {}
    for name, (mart, where) in SOURCES.items():
        columns = ", ".join(quote_identifier(c) for c in FRAME_COLUMNS[name])
        sql = f"select {columns} from {table_ref(mart, catalog)} {where.format(catalog=prefix)}"
        frames[name] = conn.execute(sql).df()
    as_of = conn.execute(f"select max(as_of_date) from {table_ref('kpi_capacity_utilization', catalog)}").fetchall()[0][
        0
    ]
    return WarehouseFrames(as_of=as_of or datetime.now(UTC).date(), **frames)


def solve_inputs(frames: WarehouseFrames, folder: Path) -> str | None:
    """A digest of everything solving ``folder`` against ``frames`` depends on: the planner's code
    and libraries, the scenario files (names and bytes) and the frames' contents, as of their
    date. Equal digests solve the same problems (a solve stopped by its time limit may still end
    elsewhere; either slate is a valid answer). None when there is no scenario folder.

    Row order is left out (DuckDB returns rows in no fixed order): each frame counts as its
    columns, their types and the sorted hashes of its rows, so a duplicated row still counts.
    """
    try:
        paths = scenario_files(folder)
    except ScenarioError:
        return None
    digest = hashlib.sha256()
    digest.update(f"python {sys.version}\n".encode())
    for library in _PLANNER_LIBRARIES:
        digest.update(f"{library} {version(library)}\n".encode())
    for root in _PLANNER_CODE:
        for path in sorted(root.rglob("*.py")) if root.is_dir() else [root]:
            digest.update(f"code {path.relative_to(_REPOSITORY)}\n".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    for path in paths:
        digest.update(f"scenario {path.name}\n".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    digest.update(f"as_of {frames.as_of.isoformat()}\n".encode())
    for field in fields(frames):
        if field.name == "as_of":
            continue
        frame: pd.DataFrame = getattr(frames, field.name)
        digest.update(f"frame {field.name} {len(frame)} {list(zip(frame.columns, map(str, frame.dtypes)))}\n".encode())
        rows = pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)
        digest.update(np.sort(rows).tobytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class ScenarioRun:
    results: list[ScenarioResult]
    failures: list[ScenarioFailure]
    tables: list[DescribedFrame]
    as_of: date


def solve_folder(frames: WarehouseFrames, folder: Path, names: Sequence[str] = ()) -> ScenarioRun:
    """Every scenario file of the folder (or only those named), each solved or failed with one line."""
    paths = scenario_files(folder)
    if names:
        by_name = {}
        for path in paths:
            try:
                by_name[load_scenario(path).name] = path
            except ScenarioError:
                by_name.setdefault(path.stem, path)
        unknown = [n for n in names if n not in by_name]
        if unknown:
            known = ", ".join(sorted(by_name)) or "none"
            raise ScenarioError(f"no scenario named {unknown[0]} in {folder} (scenarios: {known})")
        paths = [by_name[n] for n in names]
    results, failures = [], []
    for path in paths:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            failures.append(ScenarioFailure(path.stem, exc.kind, str(exc)))
            continue
        try:
            results.append(run_scenario(build_inputs(frames, scenario)))
        except ScenarioError as exc:
            message = str(exc) if str(exc).startswith("scenario ") else f"scenario {scenario.name} ({path.name}): {exc}"
            failures.append(ScenarioFailure(scenario.name, exc.kind, message))
    return ScenarioRun(results, failures, scenario_tables(results, failures, frames.as_of), frames.as_of)


# --- pwh scenario ------------------------------------------------------------------------------------------


def publish_run(published_db: Path, run: ScenarioRun, names: Sequence[str]) -> None:
    """Put the run's scenario marts into the published file, atomically (serving/publish.py).

    With names, only those scenarios' rows are replaced; without, the four tables are replaced whole.
    """
    from serving.publish import NewTable, publish_tables

    tables = [
        NewTable(
            t.spec.name, t.frame, [(c.name, c.sql_type, c.description) for c in t.spec.columns], t.spec.description
        )
        for t in run.tables
    ]
    solved = [r.inputs.scenario.name for r in run.results] + [f.name for f in run.failures]
    publish_tables(published_db, tables, replace_where=("scenario_name", [*names, *solved]) if names else None)


def print_run(run: ScenarioRun, out: TextIO) -> None:
    """Each slate's summary: objective against greedy, gap, time, money and hours per period,
    the frontier and what moves at −10 % / +10 % budget and −10 % capacity."""
    for result in run.results:
        scenario, slate, baseline = result.inputs.scenario, result.slate, result.greedy
        gain = slate.objective - baseline.objective
        ratio = f", {gain / baseline.objective:+.1%}" if baseline.objective else ""
        gap = "n/a" if slate.mip_gap is None else f"{slate.mip_gap:.2%}"
        print(
            f"{scenario.name} ({scenario.objective}): {slate.status}, {slate.count} of "
            f"{result.inputs.problem.size} funded, objective {_figure(slate.objective)} — greedy "
            f"{_figure(baseline.objective)} with {baseline.count} ({'+' if gain >= 0 else ''}{_figure(gain)}{ratio}); "
            f"gap {gap}; solved in {slate.seconds:.2f} s ({result.seconds:.1f} s with frontier and sensitivity)",
            file=out,
        )
        summary = next(t.frame for t in run.tables if t.spec.name == "scenario_summary")
        rows = summary[(summary["scenario_name"] == scenario.name)]
        for row in rows.itertuples():
            budget = (
                row.budget_amount
                if row.budget_amount == row.budget_amount and row.budget_amount is not None
                else ((row.capex_budget_amount or 0) + (row.opex_budget_amount or 0))
            )
            print(
                f"  {row.period_label:<18} cost {row.cost_amount:>16,.0f} of budget {budget:>16,.0f} "
                f"({_share(row.budget_used_ratio)}); hours {row.effort_hours:>12,.0f} of {row.capacity_hours:>12,.0f} "
                f"({_share(row.capacity_used_ratio)})",
                file=out,
            )
        levels = " · ".join(
            f"{p.level:.0%} {_figure(p.slate.objective) if p.slate.status != 'infeasible' else '—'}"
            for p in result.frontier[::2]
        )
        print(f"  frontier: {levels}", file=out)
        for change in result.sensitivities:
            if change.slate.status == "infeasible":
                print(f"  {change.name}: infeasible", file=out)
                continue
            ids = result.inputs.problem.item_ids
            enters = ", ".join(ids[k] for k in change.entering) or "none"
            leaves = ", ".join(ids[k] for k in change.leaving) or "none"
            print(
                f"  {change.name}: objective {_figure(change.slate.objective)}; enter {enters}; leave {leaves}",
                file=out,
            )


def _figure(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.3f}"


def _share(value: float | None) -> str:
    return "—" if value is None or value != value else f"{value:.0%}"
