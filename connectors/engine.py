"""The sync engine the three sources share: cursor → fetch → land → tombstones. No Dagster here.

Each source's sync (``connectors.jira.sync``, ``connectors.servicenow.sync``,
``connectors.finance.sync``) is built from these parts: :class:`EntityResult`, what one entity's
sync did, which the Dagster assets and the CLI turn into run metadata; the incremental cursor;
``_Lander``, which skips versions that already landed and writes bounded batches; the tombstones
of a full read and the guards on them; and ``_logged``, which appends every entity's outcome to
the sync log. The names with a leading underscore are for those three modules only.

How an entity syncs (docs/internals.md, docs/architecture.md decisions 1–2):

- The cursor is what landed: the newest landed source-updated time minus an overlap window (Jira
  issues and worklogs 5 min: JQL and the worklog feed are minute-grained and eventually
  consistent; ServiceNow 1 s: ``sys_updated_on`` has second precision). Times beyond now +
  ``CLOCK_SKEW_TOLERANCE`` are a source clock problem: left out of the cursor, with a warning
  naming the keys. Re-read records whose exact version already landed are skipped, so a second
  sync right after lands nothing.
- Snapshot entities (Jira projects, statuses, fields, users) are read in full every run; only
  records whose JSON differs from the latest landed version land, plus tombstones for keys that
  vanished.
- ``full=True`` re-reads everything and tombstones keys live in the landing but absent from the
  source (issues and their changelogs, every ServiceNow table). Worklog deletions come from
  ``/worklog/deleted`` in both modes. Only a complete read may tombstone: one that saw fewer
  records than the source's own count (ServiceNow ``X-Total-Count``, Jira's project ``total``)
  lands what it read, tombstones nothing and fails the entity; the other entities still sync,
  and the sync raises at the end. (A redirect to another site never gets this far: the HTTP
  client refuses it.)
- A tombstone written by a full sync carries the key's latest landed ``source_updated_at`` (not
  the wall clock): it wins the staging order by ``loaded_at`` without moving the cursor.
- Batches are bounded (``batch_rows``); every write is an atomic batch file. Ordering makes a
  killed sync safe to resume: records land oldest first, an issue's changelogs land before the
  issue itself, a file's finance rows before its ``finance/files`` row, and worklog deletions
  are read before updates (both feeds hide the last minute; reading deletions first keeps the
  cursor behind any update the update feed could not yet show).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from connectors.http import RequestStats, SourceConfigError, SourceError
from connectors.landing import BatchWriter, LandedVersions, RawLanding, RawRecord
from connectors.sync_log import SyncAttempt, SyncLog, new_run_id

__all__ = ["CLOCK_SKEW_TOLERANCE", "EntityResult", "Progress", "built_client", "one_line_reason", "sync_instances"]

log = logging.getLogger(__name__)

# A record dated further ahead of our clock than this is a clock problem at the source, not an
# update: the incremental cursor ignores it (and says so), or it would start every later read in
# the future and land nothing (docs/internals.md "Raw entities").
CLOCK_SKEW_TOLERANCE = timedelta(days=1)
SKEWED_KEYS_SHOWN = 10
# A batch is also cut at this much record JSON, so a batch of big records (Jira issues run to
# several KB) keeps memory flat whatever batch_rows says.
MAX_BUFFER_BYTES = 32 * 1024 * 1024

Progress = Callable[[str, int], None]


@dataclass
class EntityResult:
    """What one entity's sync did, for run metadata and the CLI."""

    source: str
    entity: str
    records: int = 0
    tombstones: int = 0
    pages: int = 0
    requests: int = 0
    retries: int = 0
    watermark: datetime | None = None
    rejects: int = 0
    files: int = 0
    skipped_unchanged: int = 0
    warnings: list[str] = field(default_factory=list)
    # Why the entity failed although what it read has landed (a --full read that cannot be
    # trusted to detect deletions); empty when it succeeded. The sync raises once every entity ran.
    failure: str = ""

    def as_metadata(self) -> dict[str, Any]:
        """Plain values (no secrets are ever held here) for Dagster metadata or JSON."""
        return {
            "source": self.source,
            "entity": self.entity,
            "records": self.records,
            "tombstones": self.tombstones,
            "pages": self.pages,
            "requests": self.requests,
            "retries": self.retries,
            "watermark": self.watermark.isoformat() if self.watermark else None,
            "rejects": self.rejects,
            "files": self.files,
            "skipped_unchanged": self.skipped_unchanged,
            "warnings": list(self.warnings),
            "failure": self.failure,
        }

    @classmethod
    def combined(cls, source: str, entity: str, parts: Sequence[EntityResult]) -> EntityResult:
        """One entity synced from several instances of a source (Jira sites, ServiceNow instances)
        as one result: the counts add up, the watermark is the oldest (the instance furthest
        behind), and each warning and failure names the instance it came from."""
        marks = [part.watermark for part in parts if part.watermark is not None]

        def named(part: EntityResult) -> str:
            return f"{part.source}: " if len(parts) > 1 else ""

        return cls(
            source,
            entity,
            records=sum(part.records for part in parts),
            tombstones=sum(part.tombstones for part in parts),
            pages=sum(part.pages for part in parts),
            requests=sum(part.requests for part in parts),
            retries=sum(part.retries for part in parts),
            watermark=min(marks) if marks else None,
            rejects=sum(part.rejects for part in parts),
            files=sum(part.files for part in parts),
            skipped_unchanged=sum(part.skipped_unchanged for part in parts),
            warnings=[f"{named(part)}{warning}" for part in parts for warning in part.warnings],
            failure="; ".join(f"{named(part)}{part.failure}" for part in parts if part.failure),
        )


def sync_instances(
    instances: Sequence[tuple[str, Any]],
    sync_one: Callable[[str, Any], Sequence[EntityResult]],
    *,
    source: str,
    label: str,
) -> list[EntityResult]:
    """Sync several instances of one source (Jira sites, ServiceNow instances), each
    ``(landing folder, config)`` with ``sync_one(folder, config)``, in turn; one result per entity
    for all of them together, under ``source`` (``jira``), the name its assets have.

    An instance that fails does not keep the others from syncing. Once every instance had its turn,
    a failure is raised naming each instance that failed and why (each instance's outcome is also in
    the sync log under its own folder name); with one instance, its own error, unchanged. ``label``
    (``Jira``) names the source in that error.
    """
    parts: list[EntityResult] = []
    failures: list[tuple[str, Exception]] = []
    for folder, config in instances:
        try:
            parts.extend(sync_one(folder, config))
        except Exception as exc:  # noqa: BLE001 (raised below, after the other instances)
            failures.append((folder, exc))
    if len(instances) == 1 and failures:
        raise failures[0][1]
    if failures:
        reasons = "; ".join(f"{folder}: {getattr(exc, 'message', None) or exc}" for folder, exc in failures)
        if all(isinstance(exc, SourceConfigError) for _, exc in failures):
            raise SourceConfigError(reasons) from failures[0][1]
        raise SourceError(reasons, source=label) from failures[0][1]
    names = list(dict.fromkeys(part.entity for part in parts))
    return [EntityResult.combined(source, name, [p for p in parts if p.entity == name]) for name in names]


def built_client(
    landing: RawLanding, source: str, entities: Sequence[str], run_id: str | None, build: Callable[[], Any]
) -> Any:  # noqa: ANN401 (the source's client)
    """One instance's client from ``build``. A client that cannot even be built (a setting it
    refuses, such as a JQL scope that would escape its bound) fails the sync of every selected
    entity: that is recorded in the sync log under ``source``, as a failure while reading would be,
    and raised."""
    with _logged(landing, source, entities, run_id):
        return build()


# --- landing with skip-if-landed ------------------------------------------------------------


class _Lander:
    """Buffers fetched records, drops versions that already landed, writes bounded batches.

    ``before_write`` runs on the records about to land, before their batch is written (issues
    use it to land their changelogs first).
    """

    def __init__(
        self,
        writer: BatchWriter,
        versions: LandedVersions,
        *,
        batch_rows: int,
        label: str,
        progress: Progress | None,
        collect_seen: bool,
        before_write: Callable[[list[RawRecord]], None] | None = None,
        max_buffer_bytes: int = MAX_BUFFER_BYTES,
    ) -> None:
        self.max_buffer_bytes = max_buffer_bytes
        self._buffered_bytes = 0
        self.writer = writer
        self.versions = versions
        self.batch_rows = batch_rows
        self.label = label
        self.progress = progress
        self.before_write = before_write
        self.collect_seen = collect_seen
        self.seen: list[pa.Array] = []
        self.skipped = 0
        self._buffer: list[RawRecord] = []

    def add(self, records: Iterable[RawRecord]) -> None:
        for record in records:
            self._buffer.append(record)
            self._buffered_bytes += len(record.record_json or "")
            if len(self._buffer) >= self.batch_rows or self._buffered_bytes >= self.max_buffer_bytes:
                self.flush()

    def flush(self) -> None:
        rows, self._buffer = self._buffer, []
        self._buffered_bytes = 0
        if not rows:
            return
        if self.collect_seen:
            self.seen.append(pa.array([r.natural_key for r in rows], type=pa.string()))
        landed = self.versions.already_landed(rows)
        keep = [r for r, done in zip(rows, landed, strict=True) if not done]
        # The same version twice in one buffer (overlapping pages) lands once.
        unique: dict[tuple[str, datetime | None, bool], RawRecord] = {}
        for r in keep:
            unique.setdefault((r.natural_key, r.source_updated_at, r.is_deleted), r)
        keep = list(unique.values())
        self.skipped += len(rows) - len(keep)
        if not keep:
            return
        if self.before_write is not None:
            self.before_write(keep)
        self.writer.add_all(keep)
        self.writer.flush()
        self.versions.remember(keep)
        if self.progress is not None:
            self.progress(self.label, self.writer.stats.records + self.writer.stats.tombstones)

    def seen_keys(self) -> pa.Array:
        if not self.seen:
            return pa.array([], type=pa.string())
        return pa.concat_arrays(self.seen)


def _vanished(versions: LandedVersions, seen: pa.Array) -> list[RawRecord]:
    """Tombstones for keys live in the landing but not seen in a full read."""
    live = versions.live()
    if live.num_rows == 0:
        return []
    gone = live.filter(pc.invert(pc.is_in(live.column("natural_key"), value_set=seen)))
    return [
        RawRecord(natural_key=key, source_updated_at=updated, record=None, is_deleted=True)
        for key, updated in zip(
            gone.column("natural_key").to_pylist(), gone.column("source_updated_at").to_pylist(), strict=True
        )
    ]


def _cursor(landing: RawLanding, result: EntityResult, overlap: timedelta) -> datetime | None:
    """Where an incremental read of the entity starts: its newest trusted update minus the overlap.

    Records dated beyond now + CLOCK_SKEW_TOLERANCE are left out, and named in a warning (which
    the sync log carries into kpi_data_quality), so one skewed record cannot freeze the entity.
    """
    newest = _newest_trusted_update(landing, result, warn=True)
    return None if newest is None else newest - overlap


def _newest_trusted_update(landing: RawLanding, result: EntityResult, *, warn: bool = False) -> datetime | None:
    limit = datetime.now(UTC) + CLOCK_SKEW_TOLERANCE
    newest, beyond = landing.newest_update_until(result.source, result.entity, limit)
    if beyond and warn:
        shown = ", ".join(f"{key} ({updated:%Y-%m-%d %H:%M:%S})" for key, updated in beyond[:SKEWED_KEYS_SHOWN])
        more = f" and {len(beyond) - SKEWED_KEYS_SHOWN} more" if len(beyond) > SKEWED_KEYS_SHOWN else ""
        result.warnings.append(
            f"{result.source}/{result.entity}: {len(beyond)} record{'s' if len(beyond) > 1 else ''} dated after "
            f"{limit:%Y-%m-%d %H:%M} UTC (now + {CLOCK_SKEW_TOLERANCE.days} day) left out of the incremental "
            f"cursor, which would otherwise start in the future: {shown}{more} — check the source's clock "
            "and these records"
        )
    return newest


def _raise_failures(source: str, results: Sequence[EntityResult]) -> None:
    """Fail the sync once every entity ran if any of them failed (their results say which)."""
    failed = [r for r in results if r.failure]
    if failed:
        raise SourceError("; ".join(r.failure for r in failed), source=source)


def _start(landing: RawLanding, source: str, every: Iterable[str], locked: Iterable[str]) -> None:
    """Every entity readable (an empty batch at least); temp files of killed syncs removed.

    Only call with the ``locked`` entities' locks held: their temp files are stale by definition.
    """
    for entity in every:
        landing.ensure_entity(source, entity)
    for entity in locked:
        landing.remove_stale_temp_files(source, entity)


class _Meter:
    """Request counter deltas for one entity."""

    def __init__(self, stats: RequestStats) -> None:
        self.stats = stats
        self.before = stats.snapshot()

    def apply(self, result: EntityResult) -> None:
        delta = self.stats.since(self.before)
        result.requests += delta.requests
        result.retries += delta.retries


def _selected(requested: Sequence[str] | None, known: Sequence[str], what: str) -> list[str]:
    if requested is None:
        return list(known)
    unknown = [e for e in requested if e not in known]
    if unknown:
        raise ValueError(f"unknown {what} {unknown}; known: {', '.join(known)}")
    return [e for e in known if e in requested]


def _distinct(keys: pa.Array) -> int:
    return pc.count_distinct(keys).as_py() if len(keys) else 0


def _incomplete_read(result: EntityResult, seen: int, counted: int | None, count_name: str) -> str:
    """Why a full read cannot be trusted to detect deletions (empty when it can).

    Deletion detection turns every live key a full read did not see into a tombstone, so it
    needs the read to be complete: fewer records than the source's own count means rows were
    hidden (ACLs) or lost, and tombstoning them would delete real records from the warehouse.
    """
    if counted is None or seen >= counted:
        return ""
    return (
        f"{result.source}/{result.entity}: the full read saw {seen} of the {counted} records the source "
        f"counted ({count_name}), so no deletions were recorded from it — grant the integration user read "
        "access to every record (ACLs hide the rest), or sync again if records were deleted meanwhile"
    )


def _guard_empty_read(result: EntityResult, tombstones: list[RawRecord], seen: int, live: int) -> list[RawRecord]:
    # A read that returned nothing while the landing holds live keys is far more likely a lost
    # permission or a wrong scope than a source emptied overnight: keep the data, say so.
    if tombstones and seen == 0 and live > 0:
        result.warnings.append(
            f"{result.source}/{result.entity}: the source returned no records but {live} are live in the "
            "landing; no tombstones written — check the account's permissions and scope"
        )
        return []
    return tombstones


# --- the sync log ---------------------------------------------------------------------------


def one_line_reason(exc: BaseException) -> str:
    """The first line of what went wrong, as a user should read it (never a secret: connectors
    raise messages without credentials, connectors/http.py)."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    text = (getattr(exc, "message", None) or str(exc)).strip()
    first = text.splitlines()[0] if text else ""
    return first or type(exc).__name__


def _attempt(result: EntityResult, run_id: str, started: datetime, finished: datetime) -> SyncAttempt:
    detail = f"landed {result.records} records"
    if result.tombstones:
        detail += f" and {result.tombstones} tombstones"
    if result.files:
        detail += f" from {result.files} files"
    if result.failure:
        detail = f"{result.failure} ({detail})"
    return SyncAttempt(
        run_id,
        result.source,
        result.entity,
        started,
        finished,
        "failed" if result.failure else "succeeded",
        records=result.records,
        tombstones=result.tombstones,
        rejects=result.rejects,
        detail=detail,
        warnings=list(result.warnings),
    )


@contextmanager
def _logged(
    landing: RawLanding, source: str, entities: Sequence[str], run_id: str | None
) -> Iterator[list[EntityResult]]:
    """Collect a source's entity results and append how each ended to the sync log.

    Entities that finished before a failure are logged as succeeded; the one that failed and
    those never reached are logged as failed with the one-line reason. The failure itself is
    re-raised untouched: logging never hides it.
    """
    run = run_id or new_run_id()
    started = datetime.now(UTC)
    results: list[EntityResult] = []
    sync_log = SyncLog(landing.root)
    try:
        yield results
    except BaseException as exc:
        finished = datetime.now(UTC)
        done = {r.entity for r in results}
        reason = one_line_reason(exc)
        attempts = [_attempt(r, run, started, finished) for r in results]
        attempts += [
            SyncAttempt(run, source, entity, started, finished, "failed", detail=reason)
            for entity in entities
            if entity not in done
        ]
        try:
            sync_log.append(attempts)
        except OSError as log_error:  # the original failure matters more than its record
            log.warning("could not record the failed %s sync in the sync log: %s", source, log_error)
        raise
    sync_log.append(_attempt(r, run, started, datetime.now(UTC)) for r in results)
