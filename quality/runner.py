"""Run one expectation suite on a DataFrame, raw Parquet batches or a DuckDB table.

great-expectations is imported on the first run, not at import time: it costs several seconds
(docs/architecture.md "Import costs"), and Dagster imports this module whenever it loads its
definitions. GX does not raise when an expectation breaks (a missing column, a type error): it
marks the expectation failed and puts the exception in ``exception_info``. Those become failed
outcomes here, and the suite's ``error`` names them, so a broken check never reads as clean data.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import ModuleType
from typing import Any

import pandas as pd

from quality.inputs import SuiteData
from quality.suites import get_suite
from quality.suites.spec import ExpectationSpec, Prepared

SAMPLE_ROWS = 5
EXAMPLE_VALUES = 3
MAX_TEXT = 200  # characters of one sampled value: a sample is for a glance in the UI, not the data


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's verdict: ``failing_rows`` is how many rows (or missing items) it blames."""

    name: str
    passed: bool
    failing_rows: int
    detail: str


@dataclass(frozen=True)
class SuiteResult:
    """A suite's verdict on one input, as plain data (no GX objects).

    ``failing_rows`` counts distinct rows failing any expectation, plus items an expectation found
    missing (an active project absent from the scorecard). ``sample`` holds up to five failing
    rows. ``error`` is set when the data could not be read or an expectation raised inside GX.
    """

    suite: str
    passed: bool
    failing_rows: int
    sample: list[dict[str, Any]]
    outcomes: list[ExpectationOutcome]
    evaluated_rows: int
    error: str | None


def run_suite(suite_name: str, data: SuiteData, *, params: Mapping[str, Any] | None = None) -> SuiteResult:
    """Validate ``data`` with the suite ``suite_name`` and return a plain, deterministic result.

    ``data``: a DataFrame; a raw batch file or list of them (raw suites parse the JSON record into
    the fields they check); or a ``DuckDBTable`` (mart suites then read their dimensions from the
    same file). ``params``: per-suite inputs such as FX currencies or the previous row count (see
    the suite modules). An unknown suite name raises KeyError; anything else failing comes back as
    ``passed=False`` with ``error`` set.
    """
    suite = get_suite(suite_name)
    try:
        prepared = suite.prepare(data, dict(params or {}))
    except Exception as exc:  # unreadable input must fail the check, not crash the caller
        return _failed(suite_name, f"could not prepare the data: {type(exc).__name__}: {exc}")
    try:
        results = _validate(prepared)
    except Exception as exc:  # GX raising outright (rare: most errors come back in exception_info)
        return _failed(
            suite_name, f"great-expectations failed: {type(exc).__name__}: {exc}", evaluated_rows=len(prepared.frame)
        )
    return _summarise(suite_name, prepared, results)


def _failed(suite: str, error: str, evaluated_rows: int = 0) -> SuiteResult:
    return SuiteResult(suite, False, 0, [], [], evaluated_rows, error)


# --- the GX side --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Gx:
    expectations: ModuleType
    suite_class: type
    column_class: type
    batch_definition: Any


# The one piece of module state: GX imported and an ephemeral context with a pandas data source,
# built on first use and reused, so a process (or a test session) pays the import once. The lock
# serialises runs, because a context and its batch definition are not safe to share between threads.
_GX_CACHE: _Gx | None = None
_GX_LOCK = threading.Lock()


def _gx() -> _Gx:
    global _GX_CACHE
    if _GX_CACHE is None:
        import great_expectations as gx
        import great_expectations.expectations as gxe
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.expectations.row_conditions import Column

        context = gx.get_context(mode="ephemeral")
        # Never usage reporting, said in the context rather than in the process environment
        # (great-expectations 1.24 sends none; the pwh entry point sets GX_ANALYTICS_ENABLED too).
        context.variables.analytics_enabled = False
        # Progress bars ("Calculating Metrics") would go to stderr on every run; turned off in the
        # context instead of redirecting stderr, which is process-wide and not thread-safe.
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        batch_definition = (
            context.data_sources.add_pandas("quality")
            .add_dataframe_asset("frame")
            .add_batch_definition_whole_dataframe("whole frame")
        )
        _GX_CACHE = _Gx(gxe, gx.ExpectationSuite, Column, batch_definition)
    return _GX_CACHE


def _validate(prepared: Prepared) -> dict[str, Any]:
    """GX results keyed by our expectation name (GX does not keep the suite's order)."""
    with _GX_LOCK:
        gx = _gx()
        has_tombstones = "is_deleted" in prepared.frame.columns
        expectations = []
        for spec in prepared.expectations:
            kwargs = dict(spec.kwargs)
            if spec.live_rows_only and has_tombstones:
                kwargs["row_condition"] = gx.column_class("is_deleted") == False  # noqa: E712 (a GX condition, not a comparison)
            cls = getattr(gx.expectations, spec.gx_type)
            expectations.append(cls(**kwargs, meta={"check": spec.name}))
        suite = gx.suite_class(name="run", expectations=expectations)
        batch = gx.batch_definition.get_batch(batch_parameters={"dataframe": prepared.frame})
        validation = batch.validate(
            suite,
            result_format={"result_format": "COMPLETE", "return_unexpected_index_query": False},
        )
    return {r.expectation_config.meta["check"]: r for r in validation.results}


def _exception_message(info: Mapping[str, Any]) -> str | None:
    """GX nests exception_info by metric when a metric raised, and keeps it flat otherwise."""
    if not info:
        return None
    entries = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, Mapping)]
    messages = sorted({str(e.get("exception_message")) for e in entries if e.get("raised_exception")})
    return "; ".join(messages) or None


# --- turning GX results into outcomes -----------------------------------------------------------


@dataclass(frozen=True)
class _Verdict:
    """One expectation judged: its outcome and what it adds to the suite's totals."""

    outcome: ExpectationOutcome
    rows: tuple[int, ...] = ()
    missing: int = 0
    error: str | None = None


def _summarise(suite_name: str, prepared: Prepared, results: Mapping[str, Any]) -> SuiteResult:
    frame = prepared.frame
    verdicts = [_judge(spec, results.get(spec.name), frame) for spec in prepared.expectations]
    failing_index = sorted({row for v in verdicts for row in v.rows})
    errors = [f"{v.outcome.name}: {v.error}" for v in verdicts if v.error]
    return SuiteResult(
        suite=suite_name,
        passed=all(v.outcome.passed for v in verdicts) and not errors,
        failing_rows=len(failing_index) + sum(v.missing for v in verdicts),
        sample=_sample(frame, failing_index, prepared.sample_columns),
        outcomes=[v.outcome for v in verdicts],
        evaluated_rows=len(frame),
        error="; ".join(errors) or None,
    )


def _judge(spec: ExpectationSpec, result: Any, frame: pd.DataFrame) -> _Verdict:
    message = (
        "great-expectations returned no result for this expectation"
        if result is None
        else _exception_message(result.exception_info)
    )
    if message is not None:
        return _Verdict(
            ExpectationOutcome(spec.name, False, 0, f"{spec.description}: GX error: {message}"), error=message
        )
    passed = bool(result.success)
    details = result.result or {}
    if spec.failing == "rows":
        rows = () if passed else tuple(sorted(set(details.get("unexpected_index_list") or [])))
        detail = _rows_detail(spec, frame, list(rows), details.get("element_count", len(frame)))
        return _Verdict(ExpectationOutcome(spec.name, passed, len(rows), detail), rows=rows)
    if spec.failing == "all_rows":
        rows = () if passed else tuple(range(len(frame)))
        detail = f"{spec.description}: {len(rows)} found" if rows else f"{spec.description}: none"
        return _Verdict(ExpectationOutcome(spec.name, passed, len(rows), detail), rows=rows)
    if spec.failing == "missing":
        missing = [] if passed else _missing(spec, frame)
        detail = (
            f"{spec.description}: {len(missing)} missing, e.g. {_examples(missing)}"
            if missing
            else f"{spec.description}: ok"
        )
        return _Verdict(ExpectationOutcome(spec.name, passed, len(missing), detail), missing=len(missing))
    # A row count: no row to blame. The detail starts with the count, which is where
    # results.latest_row_counts reads it back for the next run's comparison.
    detail = f"{details.get('observed_value')} rows; {spec.description}" + ("" if passed else ": outside the range")
    return _Verdict(ExpectationOutcome(spec.name, passed, 0, detail))


def _rows_detail(spec: ExpectationSpec, frame: pd.DataFrame, rows: list[int], element_count: int) -> str:
    if not rows:
        return f"{spec.description}: ok ({element_count} rows)"
    columns = [c for c in spec.columns if c in frame.columns]
    values: list[Any] = []
    for row in rows:
        value = tuple(_plain(frame.at[row, c]) for c in columns)
        value = value[0] if len(value) == 1 else value
        if value not in values:
            values.append(value)
        if len(values) == EXAMPLE_VALUES:
            break
    return f"{spec.description}: {len(rows)} of {element_count} rows fail, e.g. {_examples(values)}"


def _missing(spec: ExpectationSpec, frame: pd.DataFrame) -> list[Any]:
    column = spec.kwargs["column"]
    present = set(frame[column].dropna().tolist()) if column in frame.columns else set()
    return sorted((v for v in spec.kwargs["value_set"] if v not in present), key=str)


def _examples(values: list[Any]) -> str:
    shown = ", ".join(repr(v) for v in values[:EXAMPLE_VALUES])
    return shown + (", …" if len(values) > EXAMPLE_VALUES else "")


def _sample(frame: pd.DataFrame, rows: list[int], columns: list[str] | None) -> list[dict[str, Any]]:
    keep = [c for c in (columns or list(frame.columns)) if c in frame.columns]
    return [{c: _plain(frame.at[row, c]) for c in keep} for row in rows[:SAMPLE_ROWS]]


def _plain(value: Any) -> Any:
    """A JSON-friendly Python value: no numpy scalars, NaN/NA/NaT or pandas timestamps."""
    if isinstance(value, (list, tuple, dict)):
        return _plain(str(value))
    if pd.api.types.is_scalar(value) and pd.isna(value):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalar -> Python
    if isinstance(value, (datetime, date)):  # pd.Timestamp is a datetime
        return value.isoformat()
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return value[:MAX_TEXT] + "…"
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)
