"""The check-results log that kpi_data_quality reads (docs/internals.md, "Check results").

``<quality_root>/check_results/batch-<id>.parquet``, append-only like the raw landing: each batch
is written under a hidden temp name and renamed, so dbt never reads half a file. One row per
expectation outcome of a suite run.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from quality.runner import SuiteResult
from quality.suites.marts import ROW_COUNT_CHECK

CHECK_RESULTS_FOLDER = "check_results"
# `planning` holds the scenario solves that failed (orchestration/defs/planning); dbt's
# accepted_values test on kpi_data_quality.layer lists the same names.
LAYERS = ("raw", "warehouse", "marts", "planning")
SEVERITIES = ("error", "warn")

CHECK_RESULTS_SCHEMA = pa.schema(
    [
        pa.field("checked_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("layer", pa.string(), nullable=False),
        pa.field("table_name", pa.string(), nullable=False),
        pa.field("check_name", pa.string(), nullable=False),
        pa.field("severity", pa.string(), nullable=False),
        pa.field("passed", pa.bool_(), nullable=False),
        pa.field("failing_rows", pa.int64(), nullable=False),
        pa.field("detail", pa.string()),
        # When the pipeline run started (every row of one run carries the same); older batches
        # without the column read as NULL.
        pa.field("run_started_at", pa.timestamp("us", tz="UTC")),
    ]
)

# The zero-row batch that keeps the folder readable before any check ran; sorts first.
EMPTY_BATCH = "batch-00000000T000000000000Z-empty.parquet"
_ROW_COUNT = re.compile(r"^(\d+) rows")


@dataclass(frozen=True)
class CheckRow:
    """One row of the check-results log: one expectation of one suite run."""

    checked_at: datetime
    run_id: str
    layer: str
    table_name: str
    check_name: str
    severity: str
    passed: bool
    failing_rows: int
    detail: str
    run_started_at: datetime | None = None

    def __post_init__(self) -> None:
        # Checked here, for every row however it was made: a value dbt's accepted_values test
        # rejects would fail kpi_data_quality on every later night.
        if self.layer not in LAYERS:
            raise ValueError(f"layer must be one of {LAYERS}, not {self.layer!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, not {self.severity!r}")


def to_check_rows(
    result: SuiteResult,
    layer: str,
    table_name: str,
    severity: str,
    run_id: str,
    checked_at: datetime,
    *,
    run_started_at: datetime | None = None,
) -> list[CheckRow]:
    """One row per expectation outcome; a suite that never got to its expectations gives one row
    named after the suite, carrying the error."""
    if checked_at.tzinfo is None:
        raise ValueError("checked_at must carry a time zone (it is stored as UTC)")
    at = checked_at.astimezone(UTC)

    def row(name: str, passed: bool, failing: int, detail: str) -> CheckRow:
        return CheckRow(at, run_id, layer, table_name, name, severity, passed, failing, detail, run_started_at)

    if not result.outcomes:
        return [row(result.suite, result.passed, result.failing_rows, result.error or "no expectations ran")]
    return [row(o.name, o.passed, o.failing_rows, o.detail) for o in result.outcomes]


def results_folder(quality_root: Path | str) -> Path:
    """``<quality_root>/check_results``, the folder dbt's ``quality.check_results`` source globs."""
    return Path(quality_root) / CHECK_RESULTS_FOLDER


def ensure_results_folder(quality_root: Path | str) -> Path:
    """Make sure the folder holds at least one batch, so dbt's ``read_parquet`` glob never fails."""
    folder = results_folder(quality_root)
    folder.mkdir(parents=True, exist_ok=True)
    if not any(folder.glob("batch-*.parquet")):
        _write_atomically(CHECK_RESULTS_SCHEMA.empty_table(), folder, EMPTY_BATCH)
    return folder


def write_check_rows(quality_root: Path | str, rows: Iterable[CheckRow]) -> Path | None:
    """Append one batch file with ``rows`` (None when there are none); returns its path."""
    rows = list(rows)
    if not rows:
        return None
    folder = results_folder(quality_root)
    folder.mkdir(parents=True, exist_ok=True)
    columns = {f.name: [getattr(r, f.name) for r in rows] for f in fields(CheckRow)}
    columns["run_started_at"] = [t.astimezone(UTC) if t is not None else None for t in columns["run_started_at"]]
    table = pa.Table.from_pydict(columns, schema=CHECK_RESULTS_SCHEMA)
    return _write_atomically(table, folder, f"batch-{_batch_id()}.parquet")


def read_results(quality_root: Path | str) -> pd.DataFrame:
    """Every check row written so far, oldest first (an empty frame with the columns if none)."""
    files = sorted(results_folder(quality_root).glob("batch-*.parquet"))
    if not files:
        return CHECK_RESULTS_SCHEMA.empty_table().to_pandas()
    table = pa.concat_tables([pq.read_table(p, schema=CHECK_RESULTS_SCHEMA) for p in files])
    frame = table.to_pandas()
    return frame.sort_values(["checked_at", "run_id"], kind="stable").reset_index(drop=True)


def latest_row_counts(quality_root: Path | str) -> dict[str, int]:
    """Each mart's row count at its most recent check, by table name (for ``previous_row_count``).

    Mart suites always record an outcome named ``row_count_vs_previous_run`` whose detail starts
    with the count ("25 rows; ..."): that is where the count is read from.
    """
    frame = read_results(quality_root)
    counts = frame[frame["check_name"] == ROW_COUNT_CHECK]
    latest: dict[str, int] = {}
    for table_name, detail in zip(counts["table_name"], counts["detail"], strict=True):
        match = _ROW_COUNT.match(detail or "")
        if match:
            latest[table_name] = int(match.group(1))  # later rows overwrite: sorted oldest first
    return latest


def _batch_id() -> str:
    # Sorts in write order, like the raw landing's batch ids.
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"


def _write_atomically(table: pa.Table, folder: Path, name: str) -> Path:
    final = folder / name
    tmp = folder / f".{name}.tmp"
    with open(tmp, "wb") as handle:
        pq.write_table(table, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, final)
    return final
