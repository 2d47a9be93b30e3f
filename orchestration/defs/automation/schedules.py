"""The nightly schedule: 02:00 in PWH_SCHEDULE_TIMEZONE (default UTC), cron PWH_SCHEDULE_CRON."""

from __future__ import annotations

import dagster as dg

from orchestration.defs.automation.jobs import nightly_sync
from orchestration.settings import automations_on, load_environment

NIGHTLY_SCHEDULE = "nightly_sync_schedule"


def nightly_schedule() -> dg.ScheduleDefinition:
    env = load_environment()
    return dg.ScheduleDefinition(
        name=NIGHTLY_SCHEDULE,
        job=nightly_sync,
        cron_schedule=env.get("PWH_SCHEDULE_CRON") or "0 2 * * *",
        execution_timezone=env.get("PWH_SCHEDULE_TIMEZONE") or "UTC",
        default_status=dg.DefaultScheduleStatus.RUNNING if automations_on() else dg.DefaultScheduleStatus.STOPPED,
        description="Incremental sync of every source and a rebuild of the marts, every night.",
    )


nightly_sync_schedule = nightly_schedule()
