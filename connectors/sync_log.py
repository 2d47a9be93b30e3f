"""The sync log: one row per source entity per sync attempt, beside the raw landing.

The landing records data, not attempts: an entity whose source was down, or that had nothing
new, lands no batch, and nothing would tell "synced an hour ago, nothing changed" from "has not
synced for three days". Every sync (Dagster asset, CLI, test) appends here what it tried and how
it ended, so the warehouse can show a "data as of" banner (kpi_source_freshness) and every run's
failures (kpi_data_quality) even when nothing landed.

``<raw root>/_sync_log/log-<id>.parquet``: append-only, each file written under a hidden temp
name and renamed, like the landing (named ``log-`` so nothing that reads landed ``batch-`` files
mistakes it for data). Messages are the one-line reasons the connectors raise,
which never carry a secret (connectors/http.py).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

SYNC_LOG_FOLDER = "_sync_log"
STATUSES = ("succeeded", "failed", "skipped")

SYNC_LOG_SCHEMA = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("entity", pa.string(), nullable=False),
        pa.field("started_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("finished_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("records", pa.int64(), nullable=False),
        pa.field("tombstones", pa.int64(), nullable=False),
        pa.field("rejects", pa.int64(), nullable=False),
        pa.field("detail", pa.string()),
        pa.field("warnings", pa.list_(pa.string())),
    ]
)

EMPTY_BATCH = "log-00000000T000000000000Z-empty.parquet"


@dataclass(frozen=True)
class SyncAttempt:
    """How one entity's sync ended."""

    run_id: str
    source: str
    entity: str
    started_at: datetime
    finished_at: datetime
    status: str
    records: int = 0
    tombstones: int = 0
    rejects: int = 0
    detail: str = ""
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, not {self.status!r}")
        for moment in (self.started_at, self.finished_at):
            if moment.tzinfo is None:
                raise ValueError("sync times must carry a time zone (they are stored as UTC)")


def new_run_id() -> str:
    """An id for a sync started outside Dagster (a script, a test): never empty, never reused."""
    return f"manual-{uuid.uuid4().hex}"


class SyncLog:
    """The append-only log of sync attempts under one raw landing root."""

    def __init__(self, raw_root: Path | str) -> None:
        self.folder = Path(raw_root) / SYNC_LOG_FOLDER

    def ensure(self) -> Path:
        """Make sure the folder holds a batch, so readers that glob it never fail."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if not any(self.folder.glob("log-*.parquet")):
            self._write(SYNC_LOG_SCHEMA.empty_table(), EMPTY_BATCH)
        return self.folder

    def append(self, attempts: Iterable[SyncAttempt]) -> Path | None:
        attempts = list(attempts)
        if not attempts:
            return None
        self.ensure()
        columns = {
            f.name: [
                getattr(a, f.name).astimezone(UTC) if f.name.endswith("_at") else getattr(a, f.name) for a in attempts
            ]
            for f in fields(SyncAttempt)
        }
        table = pa.Table.from_pydict(columns, schema=SYNC_LOG_SCHEMA)
        batch_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"
        return self._write(table, f"log-{batch_id}.parquet")

    def read(self) -> pa.Table:
        """Every attempt logged so far, in write order."""
        files = sorted(self.folder.glob("log-*.parquet")) if self.folder.is_dir() else []
        if not files:
            return SYNC_LOG_SCHEMA.empty_table()
        return pa.concat_tables([pq.read_table(p, schema=SYNC_LOG_SCHEMA) for p in files])

    def last_success(self, source: str, entity: str) -> datetime | None:
        """When the entity's newest successful sync finished (None if it never succeeded)."""
        table = self.read()
        mask = pc.and_(
            pc.and_(pc.equal(table.column("source"), source), pc.equal(table.column("entity"), entity)),
            pc.equal(table.column("status"), "succeeded"),
        )
        return pc.max(table.filter(mask).column("finished_at")).as_py()

    def _write(self, table: pa.Table, name: str) -> Path:
        final = self.folder / name
        tmp = self.folder / f".{name}.{uuid.uuid4().hex[:8]}.tmp"
        with open(tmp, "wb") as handle:
            pq.write_table(table, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, final)
        return final
