"""Scenario files: `scenarios/*.yml` (or `PWH_SCENARIO_DIR`), parsed and validated (docs/scenarios.md).

Every problem with a file is one `ScenarioError` whose message is one line naming the file and the
field, so `pwh scenario` can print it as it is. Checks that need the warehouse (does an item id
exist?) are made when the problem is built (planning/inputs.py), with the same kind of message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

OBJECTIVES = ("priority_score", "npv", "risk_adjusted_npv")
PERIODS = ("fiscal_year", "quarter")
STARTS = ("next_fiscal_year", "next_quarter", "next_month")
BUDGET_KINDS = ("total", "capex", "opex")
SCENARIO_SUFFIXES = (".yml", ".yaml")

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ScenarioError(ValueError):
    """A scenario that cannot be solved, in one line: `invalid` (the file) or `infeasible` (no slate)."""

    def __init__(self, message: str, kind: str = "invalid") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Amount:
    """A budget figure: money, or a share of what funding every candidate would cost (`70%`)."""

    value: float
    is_share: bool = False

    def resolve(self, full_cost: float) -> float:
        return self.value * full_cost if self.is_share else self.value


@dataclass(frozen=True)
class MinimumShare:
    """At least `share` of the horizon's budget goes to a portfolio's or a theme's items."""

    group_kind: str  # "portfolio" or "theme"
    group: str
    share: float

    @property
    def label(self) -> str:
        return f"{self.group_kind} {self.group}"


@dataclass(frozen=True)
class Scenario:
    name: str
    source: str  # the file it came from, for messages
    description: str = ""
    start: str | date = "next_fiscal_year"
    period: str = "fiscal_year"
    period_count: int = 1
    fiscal_year_start_month: int = 1
    # kind → one Amount per period (a single figure in the file is repeated)
    budget: Mapping[str, tuple[Amount, ...]] = field(default_factory=dict)
    capacity_scale: float = 1.0
    # department → hours per month, replacing the warehouse's available capacity
    capacity_overrides: Mapping[str, float] = field(default_factory=dict)
    objective: str = "priority_score"
    mandatory: tuple[str, ...] = ()
    excluded: tuple[str, ...] = ()
    # item → the items it cannot be funded without
    dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    minimum_shares: tuple[MinimumShare, ...] = ()
    themes: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    demand_duration_months: int = 12
    demand_capex_share: float = 0.0
    time_limit_seconds: float = 60.0
    mip_gap: float = 1e-4

    def fail(self, message: str, kind: str = "invalid") -> ScenarioError:
        return ScenarioError(f"scenario {self.name} ({self.source}): {message}", kind)


def scenario_files(folder: Path) -> list[Path]:
    """The scenario files of a folder, by name."""
    if not folder.is_dir():
        raise ScenarioError(f"no scenario folder at {folder} (set PWH_SCENARIO_DIR to a folder of *.yml files)")
    return sorted(p for p in folder.iterdir() if p.suffix in SCENARIO_SUFFIXES and p.is_file())


def load_scenario(path: Path) -> Scenario:
    """Read and validate one file; raises ScenarioError naming the file and the field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ScenarioError(f"{path.name}: not valid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    except OSError as exc:
        raise ScenarioError(f"{path.name}: cannot be read: {exc.strerror or exc}") from None
    return parse_scenario(data, source=path.name, default_name=path.stem)


def parse_scenario(data: Any, *, source: str, default_name: str) -> Scenario:
    """A Scenario from the file's mapping; raises ScenarioError on the first problem found."""
    where = _Where(source)
    root = where.mapping(data, "", required=True)
    where.known(
        root,
        "",
        (
            "name",
            "description",
            "horizon",
            "budget",
            "capacity",
            "objective",
            "mandatory",
            "excluded",
            "dependencies",
            "minimum_shares",
            "themes",
            "demands",
            "solver",
        ),
    )
    name = where.text(root.get("name", default_name), "name")
    if not _NAME.match(name):
        raise where.error("name", f"must be letters, digits, '-', '_' or '.' (at most 64), not {name!r}")

    horizon = where.mapping(root.get("horizon", {}), "horizon")
    where.known(horizon, "horizon", ("start", "period", "count", "fiscal_year_start_month"))
    period = where.choice(horizon.get("period", "fiscal_year"), "horizon.period", PERIODS)
    count = where.integer(horizon.get("count", 1), "horizon.count", low=1, high=40)
    fy_start = where.integer(
        horizon.get("fiscal_year_start_month", 1), "horizon.fiscal_year_start_month", low=1, high=12
    )
    start = _start(horizon.get("start", "next_fiscal_year" if period == "fiscal_year" else "next_quarter"), where)

    budget_data = where.mapping(root.get("budget"), "budget", required=True)
    where.known(budget_data, "budget", BUDGET_KINDS)
    if not budget_data:
        raise where.error("budget", "needs at least one of total, capex, opex")
    budget = {
        kind: _amounts(budget_data[kind], f"budget.{kind}", count, where)
        for kind in BUDGET_KINDS
        if kind in budget_data
    }

    capacity = where.mapping(root.get("capacity", {}), "capacity")
    where.known(capacity, "capacity", ("scale", "departments"))
    scale = where.number(capacity.get("scale", 1.0), "capacity.scale", low=0.0)
    overrides_data = where.mapping(capacity.get("departments", {}), "capacity.departments")
    overrides = {
        str(dept): where.number(hours, f"capacity.departments.{dept}", low=0.0)
        for dept, hours in overrides_data.items()
    }

    objective = where.choice(root.get("objective", "priority_score"), "objective", OBJECTIVES)
    mandatory = where.ids(root.get("mandatory", []), "mandatory")
    excluded = where.ids(root.get("excluded", []), "excluded")
    both = sorted(set(mandatory) & set(excluded))
    if both:
        raise where.error("excluded", f"{both[0]} is also mandatory")

    dependencies: dict[str, tuple[str, ...]] = {}
    for index, entry in enumerate(where.sequence(root.get("dependencies", []), "dependencies")):
        at = f"dependencies[{index}]"
        entry = where.mapping(entry, at, required=True)
        where.known(entry, at, ("item", "requires"))
        item = where.text(entry.get("item"), f"{at}.item")
        requires = entry.get("requires")
        required = where.ids([requires] if isinstance(requires, str) else requires, f"{at}.requires", required=True)
        if item in required:
            raise where.error(f"{at}.requires", f"{item} cannot require itself")
        dependencies[item] = tuple(dict.fromkeys([*dependencies.get(item, ()), *required]))

    themes_data = where.mapping(root.get("themes", {}), "themes")
    themes = {
        str(theme): where.ids(members, f"themes.{theme}", required=True) for theme, members in themes_data.items()
    }

    shares: list[MinimumShare] = []
    for index, entry in enumerate(where.sequence(root.get("minimum_shares", []), "minimum_shares")):
        at = f"minimum_shares[{index}]"
        entry = where.mapping(entry, at, required=True)
        where.known(entry, at, ("portfolio", "theme", "share"))
        kinds = [k for k in ("portfolio", "theme") if k in entry]
        if len(kinds) != 1:
            raise where.error(at, "needs exactly one of portfolio or theme")
        group = where.text(entry[kinds[0]], f"{at}.{kinds[0]}")
        if kinds[0] == "theme" and group not in themes:
            raise where.error(
                f"{at}.theme", f"{group!r} is not one of the file's themes ({', '.join(themes) or 'none'})"
            )
        share = where.fraction(entry.get("share"), f"{at}.share")
        shares.append(MinimumShare(kinds[0], group, share))
    if sum(s.share for s in shares) > 1.0 + 1e-9:
        raise where.error(
            "minimum_shares", f"the shares add up to {sum(s.share for s in shares):.0%}, more than the whole budget"
        )

    demands = where.mapping(root.get("demands", {}), "demands")
    where.known(demands, "demands", ("duration_months", "capex_share"))
    duration = where.integer(demands.get("duration_months", 12), "demands.duration_months", low=1, high=120)
    capex_share = where.fraction(demands.get("capex_share", 0.0), "demands.capex_share")

    solver = where.mapping(root.get("solver", {}), "solver")
    where.known(solver, "solver", ("time_limit_seconds", "mip_gap"))
    time_limit = where.number(solver.get("time_limit_seconds", 60.0), "solver.time_limit_seconds", low=0.1)
    mip_gap = where.number(solver.get("mip_gap", 1e-4), "solver.mip_gap", low=0.0, high=0.5)

    return Scenario(
        name=name,
        source=source,
        description=str(root.get("description") or "").strip(),
        start=start,
        period=period,
        period_count=count,
        fiscal_year_start_month=fy_start,
        budget=budget,
        capacity_scale=scale,
        capacity_overrides=overrides,
        objective=objective,
        mandatory=mandatory,
        excluded=excluded,
        dependencies=dependencies,
        minimum_shares=tuple(shares),
        themes=themes,
        demand_duration_months=duration,
        demand_capex_share=capex_share,
        time_limit_seconds=time_limit,
        mip_gap=mip_gap,
    )


def _start(value: Any, where: _Where) -> str | date:
    if isinstance(value, date):
        return date(value.year, value.month, 1)
    text = where.text(value, "horizon.start")
    if text in STARTS:
        return text
    match = _MONTH.match(text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise where.error("horizon.start", f"must be a month like 2027-01 or one of {', '.join(STARTS)}, not {text!r}")
    return date(int(match.group(1)), int(match.group(2)), 1)


def _amounts(value: Any, at: str, count: int, where: _Where) -> tuple[Amount, ...]:
    if isinstance(value, list):
        if len(value) != count:
            raise where.error(at, f"a list needs one amount per period ({count}), not {len(value)}")
        return tuple(_amount(v, f"{at}[{i}]", where) for i, v in enumerate(value))
    return (_amount(value, at, where),) * count


def _amount(value: Any, at: str, where: _Where) -> Amount:
    if isinstance(value, str):
        match = _PERCENT.match(value)
        if not match:
            raise where.error(at, f"must be an amount or a percentage like 80%, not {value!r}")
        return Amount(float(match.group(1)) / 100, is_share=True)
    return Amount(where.number(value, at, low=0.0))


@dataclass(frozen=True)
class _Where:
    """Builds the one-line messages: `<file>: <field>: <what is wrong>`."""

    source: str

    def error(self, at: str, message: str) -> ScenarioError:
        return ScenarioError(f"{self.source}: {at + ': ' if at else ''}{message}")

    def mapping(self, value: Any, at: str, *, required: bool = False) -> dict[str, Any]:
        if value is None and not required:
            return {}
        if not isinstance(value, Mapping):
            raise self.error(at, "is missing" if value is None else f"must be a mapping of fields, not {_shown(value)}")
        return dict(value)

    def sequence(self, value: Any, at: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(at, f"must be a list, not {_shown(value)}")
        return value

    def known(self, data: Mapping[str, Any], at: str, fields: Sequence[str]) -> None:
        for key in data:
            if key not in fields:
                prefix = f"{at}." if at else ""
                raise self.error(f"{prefix}{key}", f"unknown field (known here: {', '.join(fields)})")

    def text(self, value: Any, at: str) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int) or str(value).strip() == "":
            raise self.error(at, "is missing" if value is None else f"must be a text, not {_shown(value)}")
        return str(value).strip()

    def choice(self, value: Any, at: str, choices: Sequence[str]) -> str:
        text = self.text(value, at)
        if text not in choices:
            raise self.error(at, f"must be one of {', '.join(choices)}, not {text!r}")
        return text

    def number(self, value: Any, at: str, *, low: float | None = None, high: float | None = None) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(at, "is missing" if value is None else f"must be a number, not {_shown(value)}")
        if (low is not None and value < low) or (high is not None and value > high):
            bounds = f"at least {low:g}" if high is None else f"between {low:g} and {high:g}"
            raise self.error(at, f"must be {bounds}, not {value:g}")
        return float(value)

    def integer(self, value: Any, at: str, *, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(at, f"must be a whole number, not {_shown(value)}")
        if not low <= value <= high:
            raise self.error(at, f"must be between {low} and {high}, not {value}")
        return value

    def fraction(self, value: Any, at: str) -> float:
        if isinstance(value, str) and _PERCENT.match(value):
            value = float(_PERCENT.match(value).group(1)) / 100
        return self.number(value, at, low=0.0, high=1.0)

    def ids(self, value: Any, at: str, *, required: bool = False) -> tuple[str, ...]:
        items = self.sequence(value, at)
        if required and not items:
            raise self.error(at, "needs at least one item id")
        return tuple(dict.fromkeys(self.text(v, f"{at}[{i}]") for i, v in enumerate(items)))


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
