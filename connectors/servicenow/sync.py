"""ServiceNow Table API → ``landing/servicenow/<table>``, a further instance into
``landing/servicenow.<instance>/<table>``, over the shared sync engine (``connectors.engine``).

Every table of ``SERVICENOW_TABLES`` is read from the cursor minus ``SERVICENOW_OVERLAP`` on
``sys_updated_on``; a full read tombstones the keys it did not see, when it saw as many records as
``X-Total-Count`` said.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import closing
from datetime import timedelta
from typing import Any

from connectors.engine import (
    EntityResult,
    Progress,
    _cursor,
    _distinct,
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
from connectors.http import SourceError
from connectors.landing import DEFAULT_BATCH_ROWS, LandedVersions, RawLanding, RawRecord
from connectors.servicenow.client import (
    TABLE_FIELDS,
    ServiceNowClient,
    ServiceNowConfig,
    parse_glide_datetime,
    servicenow_client,
)

__all__ = ["SERVICENOW_OVERLAP", "SERVICENOW_TABLES", "sync_servicenow", "sync_servicenow_instances"]

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
SERVICENOW_OVERLAP = timedelta(seconds=1)

assert set(SERVICENOW_TABLES) == set(TABLE_FIELDS), "every ServiceNow table needs a field list"


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
    source: str = "servicenow",
) -> list[EntityResult]:
    """Sync ServiceNow tables into ``landing/<source>/<table>``; one result per table, each
    also appended to the sync log under ``run_id``.

    ``source`` is the landing folder of this instance: ``servicenow`` for the instance of
    SERVICENOW_URL, ``servicenow.<instance>`` for each further one (orchestration/settings.py
    `ServiceNowSettings.source_instance`), so every instance keeps its own change log, cursors and
    tombstones.
    """
    selected = _selected(tables, SERVICENOW_TABLES, "ServiceNow tables")
    with _logged(landing, source, selected, run_id) as results:
        with landing.lock(source, selected):
            _start(landing, source, SERVICENOW_TABLES, selected)
            client.check()
            for table in selected:
                results.append(
                    _sync_table(
                        client,
                        landing,
                        table,
                        source=source,
                        full=full,
                        batch_rows=batch_rows,
                        progress=progress,
                        overlap=overlap,
                    )
                )
        _raise_failures("ServiceNow", results)
        return results


def sync_servicenow_instances(
    instances: Sequence[tuple[str, ServiceNowConfig]],
    landing: RawLanding,
    *,
    tables: Sequence[str] | None = None,
    **options: Any,
) -> list[EntityResult]:
    """Sync several ServiceNow instances, each ``(landing folder, config)`` into its own folder
    (`sync_servicenow`'s ``source``), in turn; one result per table for all of them together. A
    failing instance is named once every instance had its turn (connectors.engine `sync_instances`).
    """

    selected = _selected(tables, SERVICENOW_TABLES, "ServiceNow tables")

    def sync_instance(source: str, config: ServiceNowConfig) -> list[EntityResult]:
        client = built_client(landing, source, selected, options.get("run_id"), lambda: servicenow_client(config))
        with closing(client):
            return sync_servicenow(client, landing, tables=tables, source=source, **options)

    return sync_instances(instances, sync_instance, source="servicenow", label="ServiceNow")


def _sync_table(
    client: ServiceNowClient,
    landing: RawLanding,
    table: str,
    *,
    source: str,
    full: bool,
    batch_rows: int,
    progress: Progress | None,
    overlap: timedelta,
) -> EntityResult:
    mode = "full" if full else "incremental"
    result = EntityResult(source, table)
    meter = _Meter(client.http.stats)
    since = None if full else _cursor(landing, result, overlap)
    versions = LandedVersions.load(landing, source, table, since=since)
    with landing.writer(source, table, sync_mode=mode, batch_rows=batch_rows) as writer:
        lander = _Lander(
            writer,
            versions,
            batch_rows=batch_rows,
            label=f"{source}/{table}",
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
            counted = scan.counted if scan is not None else None
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
