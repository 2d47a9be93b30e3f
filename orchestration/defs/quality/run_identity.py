"""Which pipeline run a check result belongs to.

A night is two Dagster runs: the sync (nightly_sync or finance_refresh) and the publish run that
follows it. BI users see one run: the publish run's checks are filed under the sync run it
publishes (its `pwh/source_run_id` tag), so every row of kpi_data_quality for that night shares
one run_id and one run_started_at.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import dagster as dg

from orchestration.defs.automation.jobs import SOURCE_RUN_TAG


@dataclass(frozen=True)
class RunIdentity:
    run_id: str
    started_at: datetime | None


def run_identity(
    context: dg.OpExecutionContext | dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> RunIdentity:
    """The sync run this step reports for, and when that run started (None if Dagster lost it)."""
    run_id = context.run.tags.get(SOURCE_RUN_TAG) or context.run.run_id
    record = context.instance.get_run_record_by_id(run_id)
    started = record.start_time if record is not None else None
    return RunIdentity(run_id, datetime.fromtimestamp(started, tz=UTC) if started else None)
