"""The raw landing: an append-only Parquet change log, one folder per source entity.

docs/architecture.md decision 1. Every sync appends batch files to
``<root>/<source>/<entity>/batch-<batch_id>.parquet``; nothing is ever rewritten. A batch is
written to a hidden temp name and renamed into place, so a reader (dbt, a check, the next sync)
sees either the whole batch or nothing, and a sync killed mid-write leaves no partial batch.

Every row carries the natural key, the source's own updated time (UTC), the load time, the batch
id, a tombstone flag and the whole source record as JSON text, so a new source field never breaks
a load. Staging dedups to the latest version per key (``source_updated_at``, then ``loaded_at``,
then ``batch_id``) and drops tombstones.

The incremental cursor is derived from what landed (decision 2): ``max_source_updated_at``.
:class:`LandedVersions` answers "did exactly this version already land?" so a sync that
re-reads an overlap window lands nothing twice; it is Arrow-backed so that even millions of keys
stay a few bytes each.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

try:
    import fcntl
except ImportError:  # Windows: no flock; one sync per source at a time is then up to the scheduler.
    fcntl = None  # type: ignore[assignment]

RAW_SCHEMA = pa.schema(
    [
        pa.field("natural_key", pa.string(), nullable=False),
        pa.field("source_updated_at", pa.timestamp("us", tz="UTC")),
        pa.field("loaded_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("batch_id", pa.string(), nullable=False),
        pa.field("sync_mode", pa.string(), nullable=False),
        pa.field("is_deleted", pa.bool_(), nullable=False),
        pa.field("record", pa.string()),
    ]
)

# Rows per batch file. Bounded so a sync of any size keeps memory flat: a writer never holds
# more than this many records before they go to disk.
DEFAULT_BATCH_ROWS = 50_000

SYNC_MODES = ("incremental", "full")

# The current version of a key: the greatest (source_updated_at, loaded_at, batch_id), a version
# without a source time sorting oldest. The one rule for "which version counts": the landing's
# own reads below, the raw checks' scope (quality/raw_scope.py, through CURRENT_VERSION_SQL) and
# dbt's latest_versions macro (macros/latest_versions.sql, the same order written in SQL;
# tests/warehouse/test_current_version_rule.py proves the two agree on the same batches).
CURRENT_VERSION_ORDER = (("source_updated_at", "descending"), ("loaded_at", "descending"), ("batch_id", "descending"))
CURRENT_VERSION_SQL = ", ".join(f"{column} desc nulls last" for column, _ in CURRENT_VERSION_ORDER)

BATCH_GLOB = "batch-*.parquet"


class LandingBusy(RuntimeError):
    """Another process is syncing the same entity into this landing."""


@dataclass(frozen=True)
class RawRecord:
    """One version of one source record, as it will land."""

    natural_key: str
    source_updated_at: datetime | None
    record: dict[str, Any] | None
    is_deleted: bool = False
    # The record's canonical JSON when it was serialised up front (see `compact`).
    record_json: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        ts = self.source_updated_at
        if ts is not None and ts.tzinfo is None:
            raise ValueError(
                f"source_updated_at for key {self.natural_key!r} has no time zone; "
                "connectors must parse source timestamps offset-aware"
            )

    @classmethod
    def compact(cls, natural_key: str, source_updated_at: datetime | None, record: dict[str, Any]) -> RawRecord:
        """A live record held as its canonical JSON text only.

        A parsed Jira issue costs several times its JSON size as Python objects; buffering the
        text instead keeps a full batch of big records affordable.
        """
        return cls(natural_key, source_updated_at, None, False, canonical_json(record))

    def json_text(self) -> str | None:
        """The JSON text this version lands with (None for a tombstone)."""
        return self.record_json if self.record_json is not None else canonical_json(self.record)


def new_batch_id(now: datetime | None = None) -> str:
    """A batch id that sorts in load order: UTC time to the microsecond, then a random suffix."""
    now = now or datetime.now(UTC)
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:8]}"


@dataclass
class BatchStats:
    """What one writer put on disk."""

    files: list[Path] = field(default_factory=list)
    records: int = 0
    tombstones: int = 0
    max_source_updated_at: datetime | None = None


class RawLanding:
    """The landing folder tree under ``PWH_HOME/raw``."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def instances(self, source: str) -> list[str]:
        """The folders of a source's instances: ``source`` itself (the first, always listed), then
        ``source.<name>`` for each further instance that has landed (a Jira site of JIRA_SITES)."""
        further = sorted(path.name for path in self.root.glob(f"{source}.*") if path.is_dir())
        return [source, *further]

    def entity_dir(self, source: str, entity: str) -> Path:
        return self.root / source / entity

    def batch_files(self, source: str, entity: str) -> list[Path]:
        """Completed batch files of an entity, oldest first (temp files are never listed)."""
        folder = self.entity_dir(source, entity)
        if not folder.is_dir():
            return []
        return sorted(folder.glob(BATCH_GLOB))

    @staticmethod
    def batch_id_of(path: Path) -> str:
        """The batch id a batch file is named after (ids sort like their load times)."""
        return path.name.removeprefix("batch-").removesuffix(".parquet")

    def batches_digest(self) -> str:
        """A digest of every completed batch of every source entity (its path and size). Batches
        are never rewritten and never reuse a name, so an equal digest means nothing has landed,
        and nothing been removed, since: what was read from the landing would read the same."""
        digest = hashlib.sha256()
        for path in sorted(self.root.glob(f"*/*/{BATCH_GLOB}")):
            digest.update(f"{path.relative_to(self.root).as_posix()} {path.stat().st_size}\n".encode())
        return digest.hexdigest()

    def newest_load(self, source: str, entity: str) -> datetime | None:
        """The load time of the newest batch that holds rows (the placeholder batch holds none)."""
        for path in reversed(self.batch_files(source, entity)):
            table = pq.read_table(path, columns=["loaded_at"])
            if table.num_rows:
                return max(table.column(0).to_pylist())
        return None

    def ensure_entity(self, source: str, entity: str) -> None:
        """Make sure an entity has at least one (possibly empty) batch file.

        Readers glob ``batch-*.parquet``; an entity that was never synced (a source not configured
        yet, a table with no rows) must still read as an empty table with the raw schema rather
        than fail. The empty batch sorts first and carries no rows, so it changes nothing.
        """
        if self.batch_files(source, entity):
            return
        folder = self.entity_dir(source, entity)
        folder.mkdir(parents=True, exist_ok=True)
        batch_id = "00000000T000000000000Z-empty"
        final = folder / f"batch-{batch_id}.parquet"
        # A unique temp name: two processes may ensure the same entity at once.
        tmp = folder / f".batch-{batch_id}-{uuid.uuid4().hex[:8]}.parquet.tmp"
        pq.write_table(RAW_SCHEMA.empty_table(), tmp)
        os.replace(tmp, final)

    @contextmanager
    def lock(self, source: str, entities: Iterable[str]) -> Iterator[None]:
        """Hold an exclusive lock on each entity for the duration of a sync.

        One writer per entity: a second sync of the same entity (another Dagster run, a CLI run)
        would otherwise delete the first one's temp files as stale. The lock is an ``flock`` on
        ``<entity>/.lock``: never waited for (a clear error instead), and released by the OS
        when the holder dies, so a killed sync never leaves a lock behind.
        """
        with ExitStack() as stack:
            for entity in entities:
                folder = self.entity_dir(source, entity)
                folder.mkdir(parents=True, exist_ok=True)
                handle = stack.enter_context(open(folder / ".lock", "a+b"))
                if fcntl is not None:
                    try:
                        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    except BlockingIOError:
                        raise LandingBusy(
                            f"another sync is writing {source}/{entity} under {self.root}; "
                            "wait for it to finish (run one sync per source at a time)"
                        ) from None
            yield

    def remove_stale_temp_files(self, source: str, entity: str) -> int:
        """Delete temp files left by a writer that was killed. Only call when no writer runs."""
        folder = self.entity_dir(source, entity)
        removed = 0
        if folder.is_dir():
            for tmp in folder.glob(".batch-*.tmp"):
                tmp.unlink(missing_ok=True)
                removed += 1
        return removed

    def writer(
        self,
        source: str,
        entity: str,
        *,
        sync_mode: str = "incremental",
        batch_rows: int = DEFAULT_BATCH_ROWS,
    ) -> BatchWriter:
        return BatchWriter(self, source, entity, sync_mode=sync_mode, batch_rows=batch_rows)

    def max_source_updated_at(self, source: str, entity: str) -> datetime | None:
        """The newest source-updated time that landed for an entity (None before the first load).

        Read from the Parquet footers' column statistics where present, so it costs one footer
        read per batch file rather than a scan.
        """
        best: datetime | None = None
        for path in self.batch_files(source, entity):
            value = _file_max_updated(path)
            if value is not None and (best is None or value > best):
                best = value
        return best

    def newest_update_until(
        self, source: str, entity: str, until: datetime
    ) -> tuple[datetime | None, list[tuple[str, datetime]]]:
        """The newest landed source-updated time at or before ``until``, and every (key, time) after it.

        A source whose clock is off can date a record years ahead; taken as the cursor, it would
        make every later incremental read start in the future and land nothing. Footer statistics
        answer for the files with nothing after ``until``; only a file holding such a row is read.
        """
        best: datetime | None = None
        beyond: dict[str, datetime] = {}
        for path in self.batch_files(source, entity):
            newest = _file_max_updated(path)
            if newest is None:
                continue
            if newest <= until:
                best = newest if best is None or newest > best else best
                continue
            table = pq.read_table(path, columns=["natural_key", "source_updated_at"], schema=RAW_SCHEMA)
            for key, updated in zip(
                table.column("natural_key").to_pylist(), table.column("source_updated_at").to_pylist(), strict=True
            ):
                if updated is None:
                    continue
                if updated > until:
                    beyond[key] = max(updated, beyond.get(key, updated))
                elif best is None or updated > best:
                    best = updated
        return best, sorted(beyond.items(), key=lambda item: (item[1], item[0]))

    def read(self, source: str, entity: str, columns: list[str] | None = None) -> pa.Table:
        """Every landed row of an entity (all versions, tombstones included)."""
        files = self.batch_files(source, entity)
        if not files:
            return RAW_SCHEMA.empty_table().select(columns or RAW_SCHEMA.names)
        tables = [pq.read_table(p, columns=columns, schema=RAW_SCHEMA) for p in files]
        return pa.concat_tables(tables)

    def live_keys(self, source: str, entity: str) -> set[str]:
        """Keys whose latest landed version is not a tombstone."""
        latest = self.latest_versions(source, entity)
        return set(latest.filter(pc.invert(latest.column("is_deleted"))).column("natural_key").to_pylist())

    def latest_versions(
        self, source: str, entity: str, *, since: datetime | None = None, with_batch: bool = False
    ) -> pa.Table:
        """The current version of every key: ``natural_key, source_updated_at, is_deleted``.

        Current = first in CURRENT_VERSION_ORDER, the order staging uses. With ``since``, only rows updated at or
        after it are considered (files whose newest row is older are not even opened); that is
        exact for questions about versions at or after ``since``, which is all an incremental
        sync asks. ``with_batch`` adds the winning version's ``batch_id`` (which copy won).
        """
        columns = ["natural_key", "source_updated_at", "loaded_at", "batch_id", "is_deleted"]
        tables = []
        for path in self.batch_files(source, entity):
            if since is not None:
                newest = _file_max_updated(path)
                if newest is None or newest < since:
                    continue
                table = pq.read_table(
                    path,
                    columns=columns,
                    schema=RAW_SCHEMA,
                    filters=[("source_updated_at", ">=", since)],
                )
            else:
                table = pq.read_table(path, columns=columns, schema=RAW_SCHEMA)
            if table.num_rows:
                tables.append(table)
        out = ["natural_key", "source_updated_at", "is_deleted", *(["batch_id"] if with_batch else [])]
        if not tables:
            return pa.schema([RAW_SCHEMA.field(c) for c in out]).empty_table()
        # nulls at the end of a descending order: a version without a source time sorts oldest
        table = pa.concat_tables(tables).sort_by(
            [("natural_key", "ascending", "at_end"), *((c, order, "at_end") for c, order in CURRENT_VERSION_ORDER)]
        )
        keys = table.column("natural_key").combine_chunks()
        if len(keys) > 1:
            differs = pc.not_equal(keys.slice(1), keys.slice(0, len(keys) - 1))
            first = pa.concat_arrays([pa.array([True]), differs])
            table = table.filter(first)
        return table.select(out)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def canonical_json(record: dict[str, Any] | None) -> str | None:
    """The exact JSON text a record lands as (sorted keys, no spaces): comparable byte for byte."""
    return None if record is None else json.dumps(record, separators=(",", ":"), sort_keys=True)


def _version_tokens(keys: Iterable[str], updated: Iterable[datetime | None], deleted: Iterable[bool]) -> pa.Array:
    # One string per (key, updated, deleted) so set lookups in Arrow compare whole versions.
    return pa.array(
        [
            f"{k}\x1f{'' if u is None else (u - _EPOCH) // _MICROSECOND}\x1f{int(d)}"
            for k, u, d in zip(keys, updated, deleted, strict=True)
        ],
        type=pa.string(),
    )


def _table_tokens(latest: pa.Table) -> pa.Array:
    # The same tokens as _version_tokens, computed in Arrow: no Python object per key.
    if latest.num_rows == 0:
        return pa.array([], type=pa.string())
    micros = pc.cast(pc.cast(latest.column("source_updated_at"), pa.int64()), pa.string())
    flags = pc.cast(pc.cast(latest.column("is_deleted"), pa.int8()), pa.string())
    tokens = pc.binary_join_element_wise(latest.column("natural_key"), pc.fill_null(micros, ""), flags, "\x1f")
    return tokens.combine_chunks() if isinstance(tokens, pa.ChunkedArray) else tokens


class LandedVersions:
    """Which versions of an entity already landed, to skip records a sync re-reads.

    Built once per sync from :meth:`RawLanding.latest_versions`; records landed during the run
    are remembered as they go, so a record returned twice (overlapping pages) lands once.
    Lookups are vectorised (one Arrow set lookup per batch), never a Python dict per key.
    """

    def __init__(self, latest: pa.Table) -> None:
        self._latest = latest
        self._base = _table_tokens(latest)
        self._run: list[pa.Array] = []

    @classmethod
    def load(cls, landing: RawLanding, source: str, entity: str, *, since: datetime | None = None) -> LandedVersions:
        return cls(landing.latest_versions(source, entity, since=since))

    def __len__(self) -> int:
        return self._latest.num_rows

    def already_landed(self, records: list[RawRecord]) -> list[bool]:
        """For each record: is it the latest landed version of its key, or landed in this run?"""
        if not records:
            return []
        tokens = _version_tokens(
            (r.natural_key for r in records),
            (r.source_updated_at for r in records),
            (r.is_deleted for r in records),
        )
        hit = pc.is_in(tokens, value_set=self._base)
        if self._run:
            run = pa.concat_arrays(self._run) if len(self._run) > 1 else self._run[0]
            self._run = [run]
            hit = pc.or_(hit, pc.is_in(tokens, value_set=run))
        return hit.to_pylist()

    def remember(self, records: list[RawRecord]) -> None:
        """Record versions landed during this run."""
        if records:
            self._run.append(
                _version_tokens(
                    (r.natural_key for r in records),
                    (r.source_updated_at for r in records),
                    (r.is_deleted for r in records),
                )
            )

    def live(self) -> pa.Table:
        """``natural_key, source_updated_at`` of keys whose latest landed version is not deleted."""
        table = self._latest
        return table.filter(pc.invert(table.column("is_deleted"))).select(["natural_key", "source_updated_at"])


def _file_max_updated(path: Path) -> datetime | None:
    meta = pq.ParquetFile(path).metadata
    index = meta.schema.to_arrow_schema().get_field_index("source_updated_at")
    best = None
    for rg in range(meta.num_row_groups):
        stats = meta.row_group(rg).column(index).statistics
        if stats is None or not stats.has_min_max:
            # No statistics (another writer): fall back to reading the column.
            column = pq.read_table(path, columns=["source_updated_at"]).column(0)
            value = pc.max(column).as_py()
            return value
        value = stats.max
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        if best is None or value > best:
            best = value
    return best


class BatchWriter:
    """Buffers records and writes them as bounded, atomically renamed batch files.

    Use as a context manager. On a clean exit the last partial buffer is flushed; on an
    exception nothing more is written (batches already renamed stay: they are complete,
    and the next sync's dedup makes re-fetching them harmless).
    """

    def __init__(
        self,
        landing: RawLanding,
        source: str,
        entity: str,
        *,
        sync_mode: str = "incremental",
        batch_rows: int = DEFAULT_BATCH_ROWS,
    ) -> None:
        if sync_mode not in SYNC_MODES:
            raise ValueError(f"sync_mode must be one of {SYNC_MODES}, not {sync_mode!r}")
        if batch_rows < 1:
            raise ValueError("batch_rows must be at least 1")
        self.landing = landing
        self.source = source
        self.entity = entity
        self.sync_mode = sync_mode
        self.batch_rows = batch_rows
        self.stats = BatchStats()
        self._buffer: list[RawRecord] = []
        self._folder = landing.entity_dir(source, entity)

    def __enter__(self) -> BatchWriter:
        self._folder.mkdir(parents=True, exist_ok=True)
        self.landing.remove_stale_temp_files(self.source, self.entity)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.flush()
        else:
            self._buffer.clear()

    def add(self, record: RawRecord) -> None:
        self._buffer.append(record)
        if len(self._buffer) >= self.batch_rows:
            self.flush()

    def add_all(self, records: Iterable[RawRecord]) -> None:
        for record in records:
            self.add(record)

    def flush(self) -> Path | None:
        if not self._buffer:
            return None
        rows, self._buffer = self._buffer, []
        batch_id = new_batch_id()
        loaded_at = datetime.now(UTC)
        table = pa.Table.from_pydict(
            {
                "natural_key": [r.natural_key for r in rows],
                "source_updated_at": [
                    r.source_updated_at.astimezone(UTC) if r.source_updated_at else None for r in rows
                ],
                "loaded_at": [loaded_at] * len(rows),
                "batch_id": [batch_id] * len(rows),
                "sync_mode": [self.sync_mode] * len(rows),
                "is_deleted": [r.is_deleted for r in rows],
                "record": [r.json_text() for r in rows],
            },
            schema=RAW_SCHEMA,
        )
        final = self._folder / f"batch-{batch_id}.parquet"
        tmp = self._folder / f".batch-{batch_id}.parquet.tmp"
        with open(tmp, "wb") as handle:
            pq.write_table(table, handle, compression="zstd", write_statistics=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, final)
        _fsync_dir(self._folder)

        self.stats.files.append(final)
        self.stats.records += sum(1 for r in rows if not r.is_deleted)
        self.stats.tombstones += sum(1 for r in rows if r.is_deleted)
        newest = max((r.source_updated_at for r in rows if r.source_updated_at), default=None)
        if newest is not None and (
            self.stats.max_source_updated_at is None or newest > self.stats.max_source_updated_at
        ):
            self.stats.max_source_updated_at = newest
        return final


def _fsync_dir(folder: Path) -> None:
    # The rename is only durable once the directory entry is; cheap on local disks.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
