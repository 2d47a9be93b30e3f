"""The sync driver: for each raw entity, cursor → fetch → land → tombstones. No Dagster here.

The Dagster assets (and the CLI) call :func:`sync_jira`, :func:`sync_servicenow` and
:func:`sync_finance` and turn the returned :class:`EntityResult` list into run metadata.

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

import json
import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from connectors.finance_csv import (
    FinanceConfig,
    FinanceFileReader,
    NotARegularFile,
    copy_regular_file,
    hash_and_sniff_encoding,
    scan_drop_folder,
)
from connectors.http import HttpPolicy, RequestStats, SourceError
from connectors.jira import JiraClient, JiraConfig, parse_jira_datetime
from connectors.landing import (
    DEFAULT_BATCH_ROWS,
    BatchWriter,
    LandedVersions,
    RawLanding,
    RawRecord,
)
from connectors.servicenow import TABLE_FIELDS, ServiceNowClient, ServiceNowConfig, parse_glide_datetime
from connectors.sync_log import SyncAttempt, SyncLog, new_run_id

__all__ = [
    "EntityResult",
    "FINANCE_ENTITIES",
    "FinanceConfig",
    "HttpPolicy",
    "JIRA_ENTITIES",
    "JiraClient",
    "JiraConfig",
    "SERVICENOW_TABLES",
    "ServiceNowClient",
    "ServiceNowConfig",
    "SourceError",
    "jira_client",
    "servicenow_client",
    "sync_finance",
    "sync_jira",
    "sync_servicenow",
]

log = logging.getLogger(__name__)

JIRA_ENTITIES: tuple[str, ...] = (
    "projects",
    "statuses",
    "fields",
    "users",
    "issues",
    "issue_changelogs",
    "worklogs",
)
SERVICENOW_TABLES: tuple[str, ...] = (
    "fiscal_period",
    "pm_portfolio",
    "pm_program",
    "pm_project",
    "pm_project_task",
    "dmn_demand",
    "sys_user",
    "cmn_department",
    "cmn_cost_center",
    "time_card",
    "time_sheet",
    "resource_plan",
    "cost_plan",
    "cost_plan_breakdown",
    "benefit_plan",
    "benefit_plan_breakdown",
    "risk",
    "project_status",
    "planned_task_baseline",
    "planned_task_baseline_item",
    "planned_task_rel_planned_task",
)
FINANCE_ENTITIES: tuple[str, ...] = ("gl_actuals", "forecast", "fx_rates", "finance_rejects", "files")

JIRA_OVERLAP = timedelta(minutes=5)
SERVICENOW_OVERLAP = timedelta(seconds=1)
# A record dated further ahead of our clock than this is a clock problem at the source, not an
# update: the incremental cursor ignores it (and says so), or it would start every later read in
# the future and land nothing (docs/internals.md "Raw entities").
CLOCK_SKEW_TOLERANCE = timedelta(days=1)
SKEWED_KEYS_SHOWN = 10
# A batch is also cut at this much record JSON, so a batch of big records (Jira issues run to
# several KB) keeps memory flat whatever batch_rows says.
MAX_BUFFER_BYTES = 32 * 1024 * 1024

Progress = Callable[[str, int], None]

assert set(SERVICENOW_TABLES) == set(TABLE_FIELDS), "every ServiceNow table needs a field list"


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


def jira_client(config: JiraConfig, policy: HttpPolicy | None = None) -> JiraClient:
    """A Jira client from its config (verify = CA bundle path or bool)."""
    return JiraClient(config, policy=policy)


def servicenow_client(config: ServiceNowConfig, policy: HttpPolicy | None = None) -> ServiceNowClient:
    """A ServiceNow client from its config (verify = CA bundle path or bool)."""
    return ServiceNowClient(config, policy=policy)


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


# --- Jira -----------------------------------------------------------------------------------


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


def _require(record: dict[str, Any], key: str, what: str) -> str:
    value = record.get(key)
    if value is None or value == "":
        raise SourceError(f"Jira returned a {what} without {key!r}: cannot key it", source="Jira")
    return str(value)


def _jira_time(value: Any, what: str, key: str) -> datetime:
    try:
        parsed = parse_jira_datetime(value)
    except ValueError as exc:
        raise SourceError(f"Jira {what} {key}: {exc}", source="Jira") from None
    if parsed is None:
        raise SourceError(f"Jira {what} {key} has no timestamp to order it by", source="Jira")
    return parsed


# Links to the site itself: they change with the URL the site is reached by (a proxy, a renamed
# site, the simulator's port), not with the record.
_LINK_FIELDS = frozenset({"self", "avatarUrls", "iconUrl", "nextPage"})


def _without_links(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_links(v) for k, v in value.items() if k not in _LINK_FIELDS}
    if isinstance(value, list):
        return [_without_links(v) for v in value]
    return value


def _same_content(landed_json: str | None, record: dict[str, Any]) -> bool:
    """Whether a snapshot record says the same as its landed version, links aside."""
    if landed_json is None:
        return False
    return _without_links(json.loads(landed_json)) == _without_links(record)


def _sync_snapshot(
    landing: RawLanding,
    source: str,
    entity: str,
    batches: Iterator[list[dict[str, Any]]],
    key_field: str,
    *,
    batch_rows: int,
    progress: Progress | None,
    counted: Callable[[], int | None] = lambda: None,
) -> EntityResult:
    """Full read; land records whose JSON changed, tombstones for vanished keys.

    ``counted`` gives the source's own count of the read once it is done (None when the API
    gives none); a read short of it writes no tombstones and fails the entity."""
    result = EntityResult(source, entity)
    latest: dict[str, tuple[str | None, bool, str]] = {}
    table = landing.read(source, entity, columns=["natural_key", "batch_id", "is_deleted", "record"])
    for key, batch, gone, text in zip(
        table.column("natural_key").to_pylist(),
        table.column("batch_id").to_pylist(),
        table.column("is_deleted").to_pylist(),
        table.column("record").to_pylist(),
        strict=True,
    ):
        current = latest.get(key)
        if current is None or batch >= current[2]:
            latest[key] = (text, gone, batch)
    seen: set[str] = set()
    with landing.writer(source, entity, sync_mode="full", batch_rows=batch_rows) as writer:
        for batch in batches:
            for record in batch:
                key = _require(record, key_field, f"{entity} record")
                if key in seen:
                    continue
                seen.add(key)
                current = latest.get(key)
                if current is not None and not current[1] and _same_content(current[0], record):
                    result.skipped_unchanged += 1
                    continue
                writer.add(RawRecord(key, None, record))
        live = [k for k, (_, gone, _) in latest.items() if not gone]
        result.failure = _incomplete_read(result, len(seen), counted(), "total")
        if not result.failure:
            tombstones = [RawRecord(k, None, None, is_deleted=True) for k in live if k not in seen]
            writer.add_all(_guard_empty_read(result, tombstones, len(seen), len(live)))
    result.records = writer.stats.records
    result.tombstones = writer.stats.tombstones
    if progress is not None:
        progress(f"{source}/{entity}", result.records + result.tombstones)
    return result


def sync_jira(
    client: JiraClient,
    landing: RawLanding,
    *,
    full: bool = False,
    entities: Sequence[str] | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: Progress | None = None,
    overlap: timedelta = JIRA_OVERLAP,
    run_id: str | None = None,
) -> list[EntityResult]:
    """Sync Jira entities into ``landing/jira/<entity>``; returns one result per entity synced.

    ``issue_changelogs`` are fetched for the issues that land in the same run: they ride with
    ``issues`` even when not selected (their result is then not returned), and selecting
    ``issue_changelogs`` without ``issues`` syncs nothing for it. Each entity's outcome is
    appended to the sync log under ``run_id`` (connectors/sync_log.py).
    """
    selected = _selected(entities, JIRA_ENTITIES, "Jira entities")
    locked = set(selected) | ({"issue_changelogs"} if "issues" in selected else set())  # they ride along
    with _logged(landing, "jira", selected, run_id) as results:
        with landing.lock("jira", sorted(locked)):
            _start(landing, "jira", JIRA_ENTITIES, locked)
            _sync_jira_locked(
                client,
                landing,
                selected,
                results,
                full=full,
                batch_rows=batch_rows,
                progress=progress,
                overlap=overlap,
            )
        _raise_failures("Jira", results)
        return results


def _sync_jira_locked(
    client: JiraClient,
    landing: RawLanding,
    selected: list[str],
    results: list[EntityResult],
    *,
    full: bool,
    batch_rows: int,
    progress: Progress | None,
    overlap: timedelta,
) -> None:
    mode = "full" if full else "incremental"

    meter = _Meter(client.http.stats)
    client.myself()  # authenticate before anything lands

    snapshot_sources = {
        "projects": (client.projects, "id"),
        "statuses": (client.statuses, "id"),
        "fields": (client.fields, "id"),
        "users": (client.users, "accountId"),
    }
    # Only /project/search counts what it returns (`total`).
    counts = {"projects": lambda: client.project_total}
    for entity in ("projects", "statuses", "fields", "users"):
        if entity not in selected:
            continue
        pages_before = client.pages
        method, key_field = snapshot_sources[entity]
        result = _sync_snapshot(
            landing,
            "jira",
            entity,
            method(),
            key_field,
            batch_rows=batch_rows,
            progress=progress,
            counted=counts.get(entity, lambda: None),
        )
        meter.apply(result)
        meter = _Meter(client.http.stats)
        result.pages = client.pages - pages_before
        results.append(result)

    if "issues" in selected:
        # Changelogs always ride with issues, selected or not: an issue lands only after its
        # histories, and a landed issue is not re-read, so skipping them now would lose them.
        issue_results = _sync_issues(
            client,
            landing,
            full=full,
            mode=mode,
            batch_rows=batch_rows,
            progress=progress,
            overlap=overlap,
            with_changelogs=True,
        )
        results.extend(r for r in issue_results if r.entity in selected)
    elif "issue_changelogs" in selected:
        results.append(
            EntityResult(
                "jira",
                "issue_changelogs",
                warnings=["issue_changelogs are fetched for the issues landed in the same run; select issues too"],
            )
        )

    if "worklogs" in selected:
        results.append(
            _sync_worklogs(
                client, landing, full=full, mode=mode, batch_rows=batch_rows, progress=progress, overlap=overlap
            )
        )
    for result in results:
        if result.entity == "issues":
            result.warnings.extend(client.warnings)
        if result.entity in ("issues", "issue_changelogs", "worklogs"):
            result.watermark = _newest_trusted_update(landing, result)


def _sync_issues(
    client: JiraClient,
    landing: RawLanding,
    *,
    full: bool,
    mode: str,
    batch_rows: int,
    progress: Progress | None,
    overlap: timedelta,
    with_changelogs: bool,
) -> list[EntityResult]:
    issues_result = EntityResult("jira", "issues")
    changelog_result = EntityResult("jira", "issue_changelogs")
    since = None if full else _cursor(landing, issues_result, overlap)
    issue_versions = LandedVersions.load(landing, "jira", "issues", since=since)
    # Changelogs of a changed issue include its old histories, of any age: check them against
    # every landed history, not just a recent window.
    changelog_versions = LandedVersions.load(landing, "jira", "issue_changelogs") if with_changelogs else None
    issue_meter = _Meter(client.http.stats)
    changelog_stats = RequestStats()
    pages_before = client.pages

    with ExitStack() as stack:
        issue_writer = stack.enter_context(landing.writer("jira", "issues", sync_mode=mode, batch_rows=batch_rows))
        changelog_lander: _Lander | None = None
        if with_changelogs and changelog_versions is not None:
            changelog_writer = stack.enter_context(
                landing.writer("jira", "issue_changelogs", sync_mode=mode, batch_rows=batch_rows)
            )
            changelog_lander = _Lander(
                changelog_writer,
                changelog_versions,
                batch_rows=batch_rows,
                label="jira/issue_changelogs",
                progress=progress,
                collect_seen=full,
            )

        def land_changelogs(issues: list[RawRecord]) -> None:
            # Changelogs land before their issues: if the sync dies in between, the issue is not
            # landed yet, the next run re-reads it, and its changelogs with it.
            if changelog_lander is None:
                return
            before_stats = client.http.stats.snapshot()
            before_pages = client.pages
            ids = [r.natural_key for r in issues if not r.is_deleted]
            for batch in client.changelogs(ids):
                changelog_lander.add(
                    RawRecord.compact(
                        _require(history, "id", "change history"),
                        _jira_time(history.get("created"), "change history", str(history.get("id"))),
                        history,
                    )
                    for history in batch
                )
            changelog_lander.flush()
            delta = client.http.stats.since(before_stats)
            changelog_stats.requests += delta.requests
            changelog_stats.retries += delta.retries
            changelog_result.pages += client.pages - before_pages

        issue_lander = _Lander(
            issue_writer,
            issue_versions,
            batch_rows=batch_rows,
            label="jira/issues",
            progress=progress,
            collect_seen=full,
            before_write=land_changelogs,
        )
        for batch in client.issues(since, client.config.jql_scope):
            issue_lander.add(
                RawRecord.compact(
                    _require(issue, "id", "issue"),
                    _jira_time((issue.get("fields") or {}).get("updated"), "issue", str(issue.get("id"))),
                    issue,
                )
                for issue in batch
            )
        issue_lander.flush()

        if full:
            seen = issue_lander.seen_keys()
            live = issue_versions.live().num_rows
            gone = _guard_empty_read(issues_result, _vanished(issue_versions, seen), len(seen), live)
            if changelog_lander is not None and gone:
                # Changelogs were re-read only for issues that changed, so they cannot be
                # anti-joined wholesale: tombstone the live histories of the vanished issues.
                changelog_lander.add(_changelogs_of(landing, {r.natural_key for r in gone}))
                changelog_lander.flush()
            issue_writer.add_all(gone)
            issue_writer.flush()

    issues_result.records = issue_writer.stats.records
    issues_result.tombstones = issue_writer.stats.tombstones
    issues_result.skipped_unchanged = issue_lander.skipped
    issue_meter.apply(issues_result)
    issues_result.requests -= changelog_stats.requests
    issues_result.retries -= changelog_stats.retries
    issues_result.pages = client.pages - pages_before - changelog_result.pages
    results = [issues_result]
    if changelog_lander is not None:
        changelog_result.records = changelog_lander.writer.stats.records
        changelog_result.tombstones = changelog_lander.writer.stats.tombstones
        changelog_result.skipped_unchanged = changelog_lander.skipped
        changelog_result.requests = changelog_stats.requests
        changelog_result.retries = changelog_stats.retries
        results.append(changelog_result)
    return results


def _changelogs_of(landing: RawLanding, issue_ids: set[str]) -> list[RawRecord]:
    """Tombstones for live change histories that belong to the given (vanished) issues."""
    latest = landing.latest_versions("jira", "issue_changelogs")
    live = latest.filter(pc.invert(latest.column("is_deleted")))
    if live.num_rows == 0:
        return []
    table = landing.read("jira", "issue_changelogs", columns=["natural_key", "record"])
    table = table.filter(pc.invert(pc.is_null(table.column("record"))))
    # Landed JSON is canonical (sorted keys, no spaces), so the issue id is a plain match.
    owner = pc.struct_field(pc.extract_regex(table.column("record"), r'"issueId":"(?P<id>[^"]*)"'), "id")
    wanted = pa.array(sorted(issue_ids), type=pa.string())
    keys = table.filter(pc.is_in(owner, value_set=wanted)).column("natural_key")
    stale = live.filter(pc.is_in(live.column("natural_key"), value_set=pc.unique(keys)))
    return [
        RawRecord(key, updated, None, is_deleted=True)
        for key, updated in zip(
            stale.column("natural_key").to_pylist(), stale.column("source_updated_at").to_pylist(), strict=True
        )
    ]


def _sync_worklogs(
    client: JiraClient,
    landing: RawLanding,
    *,
    full: bool,
    mode: str,
    batch_rows: int,
    progress: Progress | None,
    overlap: timedelta,
) -> EntityResult:
    result = EntityResult("jira", "worklogs")
    meter = _Meter(client.http.stats)
    pages_before = client.pages
    since = None if full else _cursor(landing, result, overlap)
    versions = LandedVersions.load(landing, "jira", "worklogs", since=since)
    with landing.writer("jira", "worklogs", sync_mode=mode, batch_rows=batch_rows) as writer:
        lander = _Lander(
            writer,
            versions,
            batch_rows=batch_rows,
            label="jira/worklogs",
            progress=progress,
            collect_seen=False,
        )
        for batch in client.deleted_worklogs(since):
            lander.add(
                RawRecord(
                    _require(item, "worklogId", "deleted worklog"),
                    _jira_time(item.get("updatedTime"), "deleted worklog", str(item.get("worklogId"))),
                    None,
                    is_deleted=True,
                )
                for item in batch
            )
        lander.flush()
        tombstones_from_feed = writer.stats.tombstones
        for batch in client.worklogs(since):
            lander.add(
                RawRecord.compact(
                    _require(item, "id", "worklog"),
                    _jira_time(item.get("updated"), "worklog", str(item.get("id"))),
                    item,
                )
                for item in batch
            )
        lander.flush()
    result.records = writer.stats.records
    result.tombstones = tombstones_from_feed
    result.skipped_unchanged = lander.skipped
    result.pages = client.pages - pages_before
    meter.apply(result)
    return result


# --- ServiceNow -----------------------------------------------------------------------------


def sync_servicenow(
    client: ServiceNowClient,
    landing: RawLanding,
    *,
    full: bool = False,
    tables: Sequence[str] | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: Progress | None = None,
    overlap: timedelta = SERVICENOW_OVERLAP,
    run_id: str | None = None,
) -> list[EntityResult]:
    """Sync ServiceNow tables into ``landing/servicenow/<table>``; one result per table, each
    also appended to the sync log under ``run_id``."""
    selected = _selected(tables, SERVICENOW_TABLES, "ServiceNow tables")
    with _logged(landing, "servicenow", selected, run_id) as results:
        with landing.lock("servicenow", selected):
            _start(landing, "servicenow", SERVICENOW_TABLES, selected)
            client.check()
            for table in selected:
                results.append(
                    _sync_table(
                        client, landing, table, full=full, batch_rows=batch_rows, progress=progress, overlap=overlap
                    )
                )
        _raise_failures("ServiceNow", results)
        return results


def _sync_table(
    client: ServiceNowClient,
    landing: RawLanding,
    table: str,
    *,
    full: bool,
    batch_rows: int,
    progress: Progress | None,
    overlap: timedelta,
) -> EntityResult:
    mode = "full" if full else "incremental"
    result = EntityResult("servicenow", table)
    meter = _Meter(client.http.stats)
    since = None if full else _cursor(landing, result, overlap)
    versions = LandedVersions.load(landing, "servicenow", table, since=since)
    with landing.writer("servicenow", table, sync_mode=mode, batch_rows=batch_rows) as writer:
        lander = _Lander(
            writer,
            versions,
            batch_rows=batch_rows,
            label=f"servicenow/{table}",
            progress=progress,
            collect_seen=full,
        )
        for batch in client.table(table, since):
            lander.add(_servicenow_records(table, batch))
        lander.flush()
        scan = client.last_scan
        if scan is not None:
            result.pages = scan.pages
            result.warnings.extend(scan.warnings)
        if full:
            seen = lander.seen_keys()
            counted = scan.last_total if scan is not None else None
            result.failure = _incomplete_read(result, _distinct(seen), counted, "X-Total-Count")
            if not result.failure:
                gone = _guard_empty_read(result, _vanished(versions, seen), len(seen), versions.live().num_rows)
                writer.add_all(gone)
    result.records = writer.stats.records
    result.tombstones = writer.stats.tombstones
    result.skipped_unchanged = lander.skipped
    result.watermark = _newest_trusted_update(landing, result)
    meter.apply(result)
    return result


def _servicenow_records(table: str, batch: list[dict[str, Any]]) -> Iterator[RawRecord]:
    for record in batch:
        sys_id = record.get("sys_id")
        if not sys_id:
            raise SourceError(f"ServiceNow {table} returned a record without sys_id", source="ServiceNow")
        try:
            updated = parse_glide_datetime(record.get("sys_updated_on"))
        except ValueError:
            raise SourceError(
                f"ServiceNow {table} record {sys_id} has sys_updated_on {record.get('sys_updated_on')!r}, "
                "not yyyy-MM-dd HH:mm:ss — is sysparm_display_value=false being overridden?",
                source="ServiceNow",
            ) from None
        if updated is None:
            raise SourceError(f"ServiceNow {table} record {sys_id} has no sys_updated_on", source="ServiceNow")
        yield RawRecord.compact(str(sys_id), updated, record)


# --- finance --------------------------------------------------------------------------------


def sync_finance(
    folder: Path,
    landing: RawLanding,
    *,
    settle_seconds: float = FinanceConfig.settle_seconds,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: Progress | None = None,
    run_id: str | None = None,
) -> list[EntityResult]:
    """Load every new export file of the drop folder; one result per finance entity.

    A file whose content hash already landed (``finance/files``) loads nothing; a changed file
    (new hash) loads fully. Each file is copied to a private temp folder first, so the hash and
    the parsed rows describe the same bytes even if finance overwrites the file meanwhile.
    Every file loaded by one call shares one arrival time (when the folder was scanned) and
    ``run_id``: which of two files is newer is decided from them in the warehouse
    (docs/contract.md §4), never from file modification times.
    """
    folder = Path(folder)
    run = run_id or new_run_id()
    with _logged(landing, "finance", FINANCE_ENTITIES, run) as results:
        with landing.lock("finance", FINANCE_ENTITIES):
            _start(landing, "finance", FINANCE_ENTITIES, FINANCE_ENTITIES)
            results.extend(
                _sync_finance_locked(
                    folder, landing, settle_seconds=settle_seconds, batch_rows=batch_rows, progress=progress, run_id=run
                )
            )
        return results


def _sync_finance_locked(
    folder: Path,
    landing: RawLanding,
    *,
    settle_seconds: float,
    batch_rows: int,
    progress: Progress | None,
    run_id: str,
) -> list[EntityResult]:
    results = {entity: EntityResult("finance", entity) for entity in FINANCE_ENTITIES}
    arrived_at = datetime.now(UTC)
    scan = scan_drop_folder(folder, settle_seconds=settle_seconds)
    results["files"].warnings.extend(scan.warnings)
    landed = landing.live_keys("finance", "files")
    loaded_now: set[str] = set()

    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="pwh-finance-") as scratch:
        writers = {
            entity: stack.enter_context(
                landing.writer("finance", entity, sync_mode="incremental", batch_rows=batch_rows)
            )
            for entity in FINANCE_ENTITIES
        }
        for path in scan.ready:
            copy = Path(scratch) / path.name
            try:
                before, after = copy_regular_file(path, copy)
            except FileNotFoundError:
                results["files"].warnings.append(f"{path.name}: disappeared before it could be read; skipped")
                continue
            except NotARegularFile as exc:  # swapped for a link or a pipe after the folder was scanned
                results["files"].warnings.append(str(exc))
                copy.unlink(missing_ok=True)
                continue
            if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns):
                results["files"].warnings.append(f"{path.name}: changed while being copied; skipped this run")
                copy.unlink(missing_ok=True)
                continue
            # For lineage only: which file is newer is decided by arrival (docs/contract.md §4).
            modified = datetime.fromtimestamp(before.st_mtime, tz=UTC)
            sha256, encoding, size, warning = hash_and_sniff_encoding(copy)
            if sha256 in landed or sha256 in loaded_now:
                results["files"].skipped_unchanged += 1
                copy.unlink(missing_ok=True)
                continue
            reader = FinanceFileReader(copy, sha256=sha256, encoding=encoding, size_bytes=size, modified_at=modified)
            report = reader.report
            if warning:
                report.warnings.append(warning)
            for row in reader.rows():
                record = {**row.record, "file_name": path.name}
                writers[row.entity].add(RawRecord.compact(f"{sha256}:{row.line}", modified, record))
            # A file's rows land before its files row: a crash in between re-loads the file
            # (same keys, same versions — staging dedups) instead of losing it.
            for entity in ("gl_actuals", "forecast", "fx_rates", "finance_rejects"):
                writers[entity].flush()
            report.path = path
            report.arrived_at = arrived_at
            report.run_id = run_id
            writers["files"].add(RawRecord(sha256, modified, report.as_record()))
            writers["files"].flush()
            loaded_now.add(sha256)
            copy.unlink(missing_ok=True)
            kind_result = results[report.kind]
            kind_result.files += 1
            kind_result.rejects += report.rejects
            kind_result.warnings.extend(report.warnings)
            results["finance_rejects"].files += 1 if report.rejects else 0
            results["files"].files += 1
            if progress is not None:
                progress(f"finance/{report.kind}", writers[report.kind].stats.records)
            log.info("finance file %s: %d rows, %d rejects", path.name, report.rows, report.rejects)

    for entity, result in results.items():
        stats = writers[entity].stats
        result.records = stats.records
        result.tombstones = stats.tombstones
        result.watermark = landing.max_source_updated_at("finance", entity)
    results["finance_rejects"].rejects = results["finance_rejects"].records
    return [results[e] for e in FINANCE_ENTITIES]
