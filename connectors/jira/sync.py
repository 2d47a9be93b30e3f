"""Jira Cloud → ``landing/jira/<entity>``, over the shared sync engine (``connectors.engine``).

``projects``, ``statuses``, ``fields``, ``users``, ``versions``, ``boards`` and ``sprints`` are
snapshots: read in full every run, landed only where the JSON changed (links to the site aside),
vanished keys tombstoned. Versions are read for the projects live in the landing after the projects
snapshot, sprints for the boards live after the boards snapshot (``/board/{id}/sprint``, every board
but kanban ones), so selecting ``versions`` or ``sprints`` alone reads them for what landed before. ``issues`` and
``worklogs`` are read from the cursor minus ``JIRA_OVERLAP``; an issue's change histories
(``issue_changelogs``) land before the issue itself, and worklog deletions are read before updates.
Worklogs of an instant ``/worklog/updated`` cannot page past are read per issue by the client; the
worklogs result says so in its warnings, and the landing keeps each version once as ever.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, closing
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from connectors.engine import (
    EntityResult,
    Progress,
    _cursor,
    _guard_empty_read,
    _incomplete_read,
    _Lander,
    _logged,
    _Meter,
    _newest_trusted_update,
    _raise_failures,
    _selected,
    _start,
    _vanished,
    built_client,
    sync_instances,
)
from connectors.http import RequestStats, SourceError
from connectors.jira.client import JiraClient, JiraConfig, jira_client, parse_jira_datetime
from connectors.landing import DEFAULT_BATCH_ROWS, LandedVersions, RawLanding, RawRecord

__all__ = ["JIRA_ENTITIES", "JIRA_OVERLAP", "sync_jira", "sync_jira_sites"]

JIRA_ENTITIES: tuple[str, ...] = (
    "projects",
    "statuses",
    "fields",
    "users",
    "versions",
    "boards",
    "sprints",
    "issues",
    "issue_changelogs",
    "worklogs",
)

JIRA_OVERLAP = timedelta(minutes=5)


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
_LINK_FIELDS = frozenset({"self", "avatarUrls", "avatarURI", "iconUrl", "nextPage"})


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
    source: str = "jira",
) -> list[EntityResult]:
    """Sync Jira entities into ``landing/<source>/<entity>``; returns one result per entity synced.

    ``source`` is the landing folder of this site: ``jira`` for the site of JIRA_URL, ``jira.<site>``
    for each further site (orchestration/settings.py `JiraSettings.source_instance`), so every site
    keeps its own change log, cursors and tombstones.

    ``issue_changelogs`` are fetched for the issues that land in the same run: they ride with
    ``issues`` even when not selected (their result is then not returned), and selecting
    ``issue_changelogs`` without ``issues`` syncs nothing for it. Each entity's outcome is
    appended to the sync log under ``run_id`` (connectors/sync_log.py).
    """
    selected = _selected(entities, JIRA_ENTITIES, "Jira entities")
    locked = set(selected) | ({"issue_changelogs"} if "issues" in selected else set())  # they ride along
    with _logged(landing, source, selected, run_id) as results:
        with landing.lock(source, sorted(locked)):
            _start(landing, source, JIRA_ENTITIES, locked)
            _sync_jira_locked(
                client,
                landing,
                selected,
                results,
                source=source,
                full=full,
                batch_rows=batch_rows,
                progress=progress,
                overlap=overlap,
            )
        _raise_failures("Jira", results)
        return results


def sync_jira_sites(
    sites: Sequence[tuple[str, JiraConfig]],
    landing: RawLanding,
    *,
    entities: Sequence[str] | None = None,
    **options: Any,
) -> list[EntityResult]:
    """Sync several Jira sites, each ``(landing folder, config)`` into its own folder
    (`sync_jira`'s ``source``), in turn; one result per entity for all of them together. A failing
    site is named once every site had its turn (connectors.engine `sync_instances`).
    """

    selected = _selected(entities, JIRA_ENTITIES, "Jira entities")

    def sync_site(source: str, config: JiraConfig) -> list[EntityResult]:
        client = built_client(landing, source, selected, options.get("run_id"), lambda: jira_client(config))
        with closing(client):
            return sync_jira(client, landing, entities=entities, source=source, **options)

    return sync_instances(sites, sync_site, source="jira", label="Jira")


def _sync_jira_locked(
    client: JiraClient,
    landing: RawLanding,
    selected: list[str],
    results: list[EntityResult],
    *,
    source: str,
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
    # Only /project/search, /project/{id}/version and /board count what they return (`total`).
    counts = {"projects": lambda: client.project_total}
    # Versions belong to projects and sprints to boards: each is read for the owners live in the
    # landing once the owners' own snapshot (when selected) has landed, so both come first.
    snapshot_sources.update(
        {
            "versions": (lambda: client.versions(_live_project_ids(landing, source)), "id"),
            "boards": (client.boards, "id"),
            "sprints": (lambda: client.sprints(_live_boards(landing, source)), "id"),
        }
    )
    counts.update({"versions": lambda: client.version_total, "boards": lambda: client.board_total})
    for entity in ("projects", "statuses", "fields", "users", "versions", "boards", "sprints"):
        if entity not in selected:
            continue
        pages_before = client.pages
        warnings_before = len(client.agile_warnings)
        method, key_field = snapshot_sources[entity]
        result = _sync_snapshot(
            landing,
            source,
            entity,
            method(),
            key_field,
            batch_rows=batch_rows,
            progress=progress,
            counted=counts.get(entity, lambda: None),
        )
        result.warnings.extend(client.agile_warnings[warnings_before:])
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
            source=source,
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
                source,
                "issue_changelogs",
                warnings=["issue_changelogs are fetched for the issues landed in the same run; select issues too"],
            )
        )

    if "worklogs" in selected:
        results.append(
            _sync_worklogs(
                client,
                landing,
                source=source,
                full=full,
                mode=mode,
                batch_rows=batch_rows,
                progress=progress,
                overlap=overlap,
            )
        )
    for result in results:
        if result.entity == "issues":
            result.warnings.extend(client.warnings)
        if result.entity in ("issues", "issue_changelogs", "worklogs"):
            result.watermark = _newest_trusted_update(landing, result)


def _live_project_ids(landing: RawLanding, source: str) -> list[str]:
    """Ids of the Jira projects live in the landing, in numeric order (whose versions to read)."""
    return sorted(landing.live_keys(source, "projects"), key=_numeric_first)


def _live_boards(landing: RawLanding, source: str) -> list[tuple[str, str | None]]:
    """(id, type) of the boards live in the landing, in numeric order (whose sprints to read)."""
    latest = landing.latest_versions(source, "boards", with_batch=True)
    live = latest.filter(pc.invert(latest.column("is_deleted")))
    wanted = dict(zip(live.column("natural_key").to_pylist(), live.column("batch_id").to_pylist(), strict=True))
    table = landing.read(source, "boards", columns=["natural_key", "batch_id", "record"])
    kinds: dict[str, str | None] = {}
    for key, batch, text in zip(
        table.column("natural_key").to_pylist(),
        table.column("batch_id").to_pylist(),
        table.column("record").to_pylist(),
        strict=True,
    ):
        if wanted.get(key) == batch and text is not None:
            kind = json.loads(text).get("type")
            kinds[key] = str(kind) if kind else None
    return [(key, kinds.get(key)) for key in sorted(wanted, key=_numeric_first)]


def _numeric_first(key: str) -> tuple[int, int, str]:
    return (0, int(key), "") if key.isdigit() else (1, 0, key)


def _sync_issues(
    client: JiraClient,
    landing: RawLanding,
    *,
    source: str,
    full: bool,
    mode: str,
    batch_rows: int,
    progress: Progress | None,
    overlap: timedelta,
    with_changelogs: bool,
) -> list[EntityResult]:
    issues_result = EntityResult(source, "issues")
    changelog_result = EntityResult(source, "issue_changelogs")
    since = None if full else _cursor(landing, issues_result, overlap)
    issue_versions = LandedVersions.load(landing, source, "issues", since=since)
    # Changelogs of a changed issue include its old histories, of any age: check them against
    # every landed history, not just a recent window.
    changelog_versions = LandedVersions.load(landing, source, "issue_changelogs") if with_changelogs else None
    issue_meter = _Meter(client.http.stats)
    changelog_stats = RequestStats()
    pages_before = client.pages

    with ExitStack() as stack:
        issue_writer = stack.enter_context(landing.writer(source, "issues", sync_mode=mode, batch_rows=batch_rows))
        changelog_lander: _Lander | None = None
        if with_changelogs and changelog_versions is not None:
            changelog_writer = stack.enter_context(
                landing.writer(source, "issue_changelogs", sync_mode=mode, batch_rows=batch_rows)
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
            for batch in client.changelogs(ids, client.changelog_field_ids()):
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
                changelog_lander.add(_changelogs_of(landing, source, {r.natural_key for r in gone}))
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


def _changelogs_of(landing: RawLanding, source: str, issue_ids: set[str]) -> list[RawRecord]:
    """Tombstones for live change histories that belong to the given (vanished) issues."""
    latest = landing.latest_versions(source, "issue_changelogs")
    live = latest.filter(pc.invert(latest.column("is_deleted")))
    if live.num_rows == 0:
        return []
    table = landing.read(source, "issue_changelogs", columns=["natural_key", "record"])
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
    source: str,
    full: bool,
    mode: str,
    batch_rows: int,
    progress: Progress | None,
    overlap: timedelta,
) -> EntityResult:
    result = EntityResult(source, "worklogs")
    meter = _Meter(client.http.stats)
    pages_before = client.pages
    warnings_before = len(client.worklog_warnings)
    since = None if full else _cursor(landing, result, overlap)
    versions = LandedVersions.load(landing, source, "worklogs", since=since)
    with landing.writer(source, "worklogs", sync_mode=mode, batch_rows=batch_rows) as writer:
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
    # An instant /worklog/updated could not page past, read per issue instead (client.worklogs).
    result.warnings.extend(client.worklog_warnings[warnings_before:])
    meter.apply(result)
    return result
