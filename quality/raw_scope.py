"""Which raw rows a blocking check validates: the not-yet-validated rows that still count.

A raw check looks at every batch landed since the entity last passed (not only this run's
batches: a batch that failed stays in scope, and so does one dropped in by hand), restricted to
rows that are still the current version of their key — the rows staging would build from. So a
bad batch blocks the KPI marts until a newer version of its records lands (the source was fixed)
or the batch is removed, and then the block lifts by itself. Rows of the current batch that share
a key all stay in scope, so a key duplicated within a batch is seen.

The "validated through" mark per entity is the last batch id that passed, kept in
``<quality_root>/raw_validated/<source>__<entity>`` (one small file per entity, written
atomically, so checks of different sources never race on one file).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd

from connectors.landing import CURRENT_VERSION_SQL, RawLanding

STATE_FOLDER = "raw_validated"
RAW_COLUMNS = ["natural_key", "source_updated_at", "loaded_at", "batch_id", "sync_mode", "is_deleted", "record"]


def pending_rows(
    landing: RawLanding, source: str, entity: str, validated_through: str | None
) -> tuple[pd.DataFrame, str | None]:
    """Rows to validate and the newest batch id among the entity's batches (None: no batches).

    "Still the current version" is the landing's rule (CURRENT_VERSION_SQL)."""
    _batch_id = landing.batch_id_of
    files = landing.batch_files(source, entity)
    if not files:
        return pd.DataFrame(columns=RAW_COLUMNS), None
    newest = _batch_id(files[-1])
    candidates = [p for p in files if validated_through is None or _batch_id(p) > validated_through]
    if not candidates:
        return pd.DataFrame(columns=RAW_COLUMNS), newest
    # Only batches from the oldest candidate on can supersede a candidate row.
    scope = [p for p in files if _batch_id(p) >= _batch_id(candidates[0])]
    conn = duckdb.connect()
    try:
        frame = conn.execute(
            f"""
            with rows as (
                select * from read_parquet($files, union_by_name = true)
            ),
            current_batch as (
                select natural_key, batch_id
                from rows
                qualify row_number() over (partition by natural_key order by {CURRENT_VERSION_SQL}) = 1
            )
            select rows.*
            from rows
            join current_batch using (natural_key, batch_id)
            where $through is null or rows.batch_id > $through
            order by rows.batch_id, rows.natural_key
            """,
            {"files": [str(p) for p in scope], "through": validated_through},
        ).df()
    finally:
        conn.close()
    return frame[[c for c in RAW_COLUMNS if c in frame.columns]], newest


def _state_path(quality_root: Path, target: str) -> Path:
    return quality_root / STATE_FOLDER / target.replace("/", "__")


def read_validated(quality_root: Path, target: str) -> str | None:
    """The last batch id of `target` (e.g. "jira/issues") that passed its checks, if any."""
    path = _state_path(quality_root, target)
    return path.read_text().strip() or None if path.exists() else None


def mark_validated(quality_root: Path, target: str, batch_id: str) -> None:
    """Record that `target` passed its checks through `batch_id`."""
    path = _state_path(quality_root, target)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(batch_id)
    os.replace(tmp, path)
