"""What a suite is made of, written without importing great-expectations.

Suites are listed when Dagster loads its definitions, and ``import great_expectations`` costs
seconds; so a suite is plain data here (the GX class name and its arguments) and the runner
builds the real GX objects only when a suite runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

Layer = Literal["raw", "marts", "warehouse"]
Severity = Literal["error", "warn"]

# How the runner turns a failed expectation into failing rows:
#   rows      the rows GX lists as unexpected (column-map and multicolumn expectations)
#   all_rows  every row of the frame (an expectation that the frame is empty)
#   missing   values the frame should contain but does not: they count, but are no frame rows
#   none      a table-level fact (a row count) that no row can be blamed for
FailingRows = Literal["rows", "all_rows", "missing", "none"]


@dataclass(frozen=True)
class ExpectationSpec:
    """One expectation, as data: a stable name, a sentence for people, and the GX call to make."""

    name: str
    description: str
    gx_type: str
    kwargs: Mapping[str, Any]
    columns: tuple[str, ...] = ()
    failing: FailingRows = "rows"
    # Raw batches carry tombstones (is_deleted) whose record fields are all null. GX skips nulls in
    # every expectation except "not null", so only that one needs to skip tombstones explicitly
    # (a row condition: it costs a filtered copy of the frame per expectation, so it is used there only).
    live_rows_only: bool = False


@dataclass(frozen=True)
class SuiteInfo:
    """A suite as the orchestrator sees it: what it checks and whether a failure blocks."""

    name: str
    layer: Layer
    target: str
    severity: Severity
    description: str


@dataclass(frozen=True)
class Prepared:
    """The frame a suite validates and the expectations to validate it with."""

    frame: pd.DataFrame
    expectations: list[ExpectationSpec]
    # Columns worth showing in the failing-row sample (None: all of the frame's columns).
    sample_columns: list[str] | None = None
    notes: list[str] = field(default_factory=list)


# --- constructors: one per kind of expectation the suites use -----------------------------------


def not_null(column: str, *, live: bool = False, name: str | None = None) -> ExpectationSpec:
    """``column`` is never null (on live rows only with ``live``: tombstones carry no record)."""
    return ExpectationSpec(
        name=name or f"{column}_not_null",
        description=f"{column} is present",
        gx_type="ExpectColumnValuesToNotBeNull",
        kwargs={"column": column},
        columns=(column,),
        live_rows_only=live,
    )


def unique(columns: Iterable[str], *, name: str | None = None, what: str | None = None) -> ExpectationSpec:
    """No two rows share ``columns`` (one column or a compound key)."""
    cols = tuple(columns)
    label = " + ".join(cols)
    if len(cols) == 1:
        return ExpectationSpec(
            name=name or f"{cols[0]}_unique",
            description=what or f"{label} is unique",
            gx_type="ExpectColumnValuesToBeUnique",
            kwargs={"column": cols[0]},
            columns=cols,
        )
    return ExpectationSpec(
        name=name or f"{'_'.join(cols)}_unique",
        description=what or f"{label} is unique",
        gx_type="ExpectCompoundColumnsToBeUnique",
        kwargs={"column_list": list(cols)},
        columns=cols,
    )


def in_set(column: str, values: Iterable[Any], *, what: str | None = None) -> ExpectationSpec:
    """``column`` holds only known codes (nulls pass: presence is ``not_null``'s job)."""
    allowed = sorted(values, key=str)
    return ExpectationSpec(
        name=f"{column}_known_value",
        description=what or f"{column} is one of {', '.join(map(str, allowed))}",
        gx_type="ExpectColumnValuesToBeInSet",
        kwargs={"column": column, "value_set": allowed},
        columns=(column,),
    )


def between(
    column: str,
    low: float | None,
    high: float | None,
    *,
    shown_as: str | None = None,
    name: str | None = None,
) -> ExpectationSpec:
    """``low <= column <= high`` where present; ``shown_as`` names the source field of a derived column."""
    label = shown_as or column
    if low is not None and high is not None:
        bounds = f"between {low:g} and {high:g}"
    elif low is not None:
        bounds = f"at least {low:g}"
    else:
        bounds = f"at most {high:g}"
    return ExpectationSpec(
        name=name or f"{label}_in_range",
        description=f"{label} is {bounds}",
        gx_type="ExpectColumnValuesToBeBetween",
        kwargs={"column": column, "min_value": low, "max_value": high},
        columns=(shown_as or column,),
    )


def matches(column: str, regex: str, what: str, *, name: str | None = None) -> ExpectationSpec:
    """``column`` matches ``regex`` where present; ``what`` names the shape for people."""
    return ExpectationSpec(
        name=name or f"{column}_is_{what.replace(' ', '_').replace('-', '_')}",
        description=f"{column} is {what}",
        gx_type="ExpectColumnValuesToMatchRegex",
        kwargs={"column": column, "regex": regex},
        columns=(column,),
    )


def parses_as(column: str, strftime_format: str, what: str) -> ExpectationSpec:
    """``column`` parses with ``strftime_format`` where present (a real date, not just its shape)."""
    return ExpectationSpec(
        name=f"{column}_is_{what.replace(' ', '_').replace('-', '_')}",
        description=f"{column} parses as {what} ({strftime_format})",
        gx_type="ExpectColumnValuesToMatchStrftimeFormat",
        kwargs={"column": column, "strftime_format": strftime_format},
        columns=(column,),
    )


def a_at_least_b(column_a: str, column_b: str) -> ExpectationSpec:
    """``column_a >= column_b`` on rows where both are present."""
    return ExpectationSpec(
        name=f"{column_a}_at_least_{column_b}",
        description=f"{column_a} >= {column_b} where both are present",
        gx_type="ExpectColumnPairValuesAToBeGreaterThanB",
        kwargs={
            "column_A": column_a,
            "column_B": column_b,
            "or_equal": True,
            "ignore_row_if": "either_value_is_missing",
        },
        columns=(column_a, column_b),
    )


def contains_all(column: str, values: Iterable[Any], what: str, *, name: str) -> ExpectationSpec:
    """Every one of ``values`` occurs in ``column``; each absent value counts as a failing row."""
    return ExpectationSpec(
        name=name,
        description=what,
        gx_type="ExpectColumnDistinctValuesToContainSet",
        kwargs={"column": column, "value_set": sorted(values, key=str)},
        columns=(column,),
        failing="missing",
    )


def no_rows(name: str, what: str) -> ExpectationSpec:
    """The frame holds offending rows only: each one counts as failing. ``what`` names the
    offending rows ("GL lines whose wbs_code maps to no project"): the detail reads "<what>: 2 found"."""
    return ExpectationSpec(
        name=name,
        description=what,
        gx_type="ExpectTableRowCountToEqual",
        kwargs={"value": 0},
        failing="all_rows",
    )


def row_count_between(name: str, what: str, low: int, high: int | None) -> ExpectationSpec:
    """The frame has ``low``..``high`` rows (``high`` None: no upper bound); blames no row."""
    return ExpectationSpec(
        name=name,
        description=what,
        gx_type="ExpectTableRowCountToBeBetween",
        kwargs={"min_value": low, "max_value": high},
        failing="none",
    )
