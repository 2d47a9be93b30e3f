"""What the three source assets share: asset specs per entity, and turning a sync into events.

Each source is one `multi_asset` (one step, one process) with one asset per source entity, so
Jira, ServiceNow and finance land in parallel and a data engineer still sees and selects every
entity on its own. Connectors do the work; this module only maps their results to Dagster.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from connectors.engine import EntityResult
from connectors.http import SourceConfigError, SourceError
from connectors.landing import LandingBusy, RawLanding
from connectors.sync_log import SyncAttempt, SyncLog
from orchestration.settings import NotConfigured

# Network and source hiccups that outlast the connector's own retries get a second chance as a
# whole step; a wrong token or URL fails the same way twice, so two retries are plenty.
SOURCE_RETRY_POLICY = dg.RetryPolicy(
    max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL, jitter=dg.Jitter.PLUS_MINUS
)

SYNC_MODE_TAG = "pwh/sync_mode"


def instances_sync(sync: Callable[..., Sequence[EntityResult]], entities_arg: str):
    """A `source_asset` sync for an API source with several instances (Jira sites, ServiceNow
    instances): its resource's config is each instance as (landing folder, config), and ``sync``
    (`sync_jira_sites`, `sync_servicenow_instances`) lands the selected entities, passed as
    ``entities_arg``, of every one."""

    def run(
        instances: list[tuple[str, Any]], landing: RawLanding, selected: list[str], **options: Any
    ) -> Sequence[EntityResult]:
        return sync(instances, landing, **{entities_arg: selected}, **options)

    return run


def source_asset(
    source: str,
    entities: Sequence[str],
    descriptions: dict[str, str],
    sync: Callable[..., Sequence[EntityResult]],
    *,
    doc: str,
    can_subset: bool = True,
    has_full_mode: bool = True,
) -> dg.AssetsDefinition:
    """The `raw_<source>` multi-asset: one asset per entity, one step that syncs them.

    ``sync(config, landing, entities, *, full, progress, run_id)`` lands the selected entities
    with the source's config (its resource is the one named after the source, whose ``config()``
    says how to reach it or that it is not configured).
    """

    @dg.multi_asset(
        name=f"raw_{source}",
        specs=raw_specs(source, entities, descriptions),
        can_subset=can_subset,
        retry_policy=SOURCE_RETRY_POLICY,
        required_resource_keys={"warehouse", source},
        description=doc,
    )
    # `context` unannotated: under `from __future__ import annotations` Dagster would see a string.
    def _asset(context) -> Iterator[dg.MaterializeResult]:
        # Every entity keeps a readable folder; a source that is not configured is skipped with a
        # warning; otherwise one sync under the source-error rules, one materialisation per entity.
        config = getattr(context.resources, source).config()
        selected = selected_entities(context, source) if can_subset else list(entities)
        landing = RawLanding(context.resources.warehouse.paths.raw)
        ensure_entities(landing, source, selected)
        if isinstance(config, NotConfigured):
            yield from skipped(context, landing, source, selected, config.message)
            return
        full = has_full_mode and is_full_sync(context)
        with source_errors():
            results = sync(
                config, landing, selected, full=full, progress=progress_logger(context), run_id=context.run.run_id
            )
        yield from materializations(context, source, results, full)

    return _asset


def raw_key(source: str, entity: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", source, entity])


def raw_specs(source: str, entities: Iterable[str], descriptions: dict[str, str]) -> list[dg.AssetSpec]:
    return [
        dg.AssetSpec(
            key=raw_key(source, entity),
            group_name=f"raw_{source}",
            description=descriptions.get(entity, f"{source} {entity}, as landed in the raw change log."),
            kinds={"python", "parquet"},
            skippable=True,
            metadata={"pwh/source": source, "pwh/entity": entity},
        )
        for entity in entities
    ]


def is_full_sync(context: dg.AssetExecutionContext) -> bool:
    return context.run.tags.get(SYNC_MODE_TAG, "incremental") == "full"


def selected_entities(context: dg.AssetExecutionContext, source: str) -> list[str]:
    return [key.path[2] for key in sorted(context.selected_asset_keys, key=lambda k: k.path) if key.path[1] == source]


def ensure_entities(landing: RawLanding, source: str, entities: Sequence[str]) -> None:
    for entity in entities:
        landing.ensure_entity(source, entity)


def progress_logger(context: dg.AssetExecutionContext) -> Callable[[str, int], None]:
    """Log progress every 10k records so a long sync shows which entity and how far.

    The connectors report `("<source>/<entity>", records so far)`.
    """
    last: dict[str, int] = {}

    def report(entity: str, records: int) -> None:
        if records - last.get(entity, 0) >= 10_000:
            last[entity] = records
            context.log.info(f"raw/{entity}: {records:,} records so far")

    return report


def materializations(
    context: dg.AssetExecutionContext, source: str, results: Sequence[EntityResult], full: bool
) -> Iterator[dg.MaterializeResult]:
    for result in results:
        # What the sync noticed (a file skipped, an encoding guessed, an empty read): once in the
        # run log and on the terminal (a warning), once in kpi_data_quality (via the sync log).
        for warning in result.warnings:
            context.log.warning(f"raw/{source}/{result.entity}: {warning}")
        metadata: dict[str, dg.RawMetadataValue] = {
            "dagster/row_count": result.records,
            "records": result.records,
            "tombstones": result.tombstones,
            "pages": result.pages,
            "requests": result.requests,
            "retries": result.retries,
            "rejects": result.rejects,
            "files": result.files,
            "skipped_unchanged": result.skipped_unchanged,
            "sync_mode": "full" if full else "incremental",
            "watermark": result.watermark.isoformat() if result.watermark else "",
        }
        if result.warnings:
            metadata["warnings"] = dg.MetadataValue.md("\n".join(f"- {w}" for w in result.warnings))
        yield dg.MaterializeResult(asset_key=raw_key(source, result.entity), metadata=metadata)


def skipped(
    context: dg.AssetExecutionContext, landing: RawLanding, source: str, entities: Sequence[str], reason: str
) -> Iterator[dg.MaterializeResult]:
    """A source that is not configured: warn, keep what landed before, and say so on each asset.

    It still materialises: Dagster would otherwise skip every downstream dbt model, and the other
    sources' marts must still be built. The sync log records the skip, so kpi_source_freshness
    shows the source going stale and kpi_data_quality says why.
    """
    context.log.warning(reason)
    now = datetime.now(UTC)
    SyncLog(landing.root).append(
        SyncAttempt(context.run.run_id, source, entity, now, now, "skipped", detail=reason) for entity in entities
    )
    for entity in entities:
        yield dg.MaterializeResult(
            asset_key=raw_key(source, entity),
            metadata={"records": 0, "skipped": reason, "dagster/row_count": 0},
        )


@contextmanager
def source_errors() -> Iterator[None]:
    """A source error fails the step at once, without step retries.

    A source that refuses us (401, 403, 404, 400) or a setting that cannot work will fail the
    same way again, and network trouble or 429/5xx has already been retried by the HTTP client
    within its time budget (connectors/http.py). The step-level retry policy is left for the
    unexpected (a crashed step process, a full disk), and for another sync of the same entities
    still running (a sensor run overlapping the nightly one).
    """
    try:
        yield
    except SourceConfigError as exc:
        raise dg.Failure(description=str(exc), allow_retries=False) from None
    except LandingBusy as exc:
        raise dg.Failure(description=str(exc), allow_retries=True) from None
    except SourceError as exc:
        # The HTTP client already retried with backoff within its time budget; retrying the
        # whole step on top would only multiply the wait before the user sees the message.
        raise dg.Failure(description=exc.message, allow_retries=False) from None
