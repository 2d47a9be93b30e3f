"""The nightly schedule: 02:00 in PWH_SCHEDULE_TIMEZONE (default UTC), cron PWH_SCHEDULE_CRON.

Each run it starts is as of the day it was due (UTC), unless the warehouse resource has an as-of
date (PWH_AS_OF); the run's config carries the warehouse settings, so the UI shows what it used.
"""

from datetime import UTC, date

import dagster as dg

from orchestration.defs.automation.jobs import nightly_sync
from orchestration.defs.resources import WarehouseResource
from orchestration.settings import parse_as_of, today

NIGHTLY_SCHEDULE = "nightly_sync_schedule"


def nightly_schedule(cron: str, timezone: str, running: bool) -> dg.ScheduleDefinition:
    """The schedule, with the cron and time zone definitions loading read (Settings)."""

    @dg.schedule(
        name=NIGHTLY_SCHEDULE,
        job=nightly_sync,
        cron_schedule=cron,
        execution_timezone=timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED,
        description="Incremental sync of every source and a rebuild of the marts, every night.",
    )
    def nightly_sync_schedule(context: dg.ScheduleEvaluationContext, warehouse: WarehouseResource) -> dg.RunRequest:
        as_of = parse_as_of(warehouse.as_of) or due_date(context)
        return dg.RunRequest(run_config={"resources": {"warehouse": {"config": warehouse.for_run(as_of)}}})

    return nightly_sync_schedule


def due_date(context: dg.ScheduleEvaluationContext) -> date:
    """The day (UTC) the tick was due: a tick evaluated late still computes that night's KPIs."""
    due = context.scheduled_execution_time
    return due.astimezone(UTC).date() if due is not None else today()
