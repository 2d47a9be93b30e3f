"""Dagster's entry point: every definition under `orchestration/defs/`, one folder per concern.

defs/ingest/      raw/<source>/<entity> assets that call the connectors
defs/transform/   dbt: core models, gated KPI marts, the data-quality mart
defs/quality/     asset checks built from quality/ suites (raw: blocking; marts: warnings)
defs/planning/    the scenario marts: scenarios/*.yml solved against the KPI marts (planning/)
defs/serving/     the published read-only DuckDB file and the Parquet / Excel exports
defs/automation/  the nightly_sync job and schedule, the finance drop-folder sensor
defs/resources.py where the warehouse lives and how to reach each source

The settings (environment variables and `.env`) are read here, once per process that loads the
definitions, and reach the rest as resources (their fields), the schedule's cron and time zone,
the automations' default status and the executor (orchestration/settings.py).
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from orchestration.defs.automation.schedules import nightly_schedule
from orchestration.defs.automation.sensors import automation_sensors
from orchestration.defs.resources import resources
from orchestration.defs.transform.project import ensure_manifest
from orchestration.settings import Settings


@dg.definitions
def defs() -> dg.Definitions:
    settings = Settings.from_env()
    ensure_manifest()
    loaded = dg.load_from_defs_folder(path_within_project=Path(__file__).parent)
    return dg.Definitions.merge(
        loaded,
        dg.Definitions(
            resources=resources(settings),
            schedules=[nightly_schedule(settings.schedule_cron, settings.schedule_timezone, settings.automations)],
            sensors=automation_sensors(settings.automations),
            executor=executor(settings.executor),
        ),
    )


def executor(choice: str) -> dg.ExecutorDefinition:
    """Steps one by one in one process by default; PWH_EXECUTOR=multiprocess runs them in parallel
    processes (two at a time: two cores), forked from a forkserver that has already loaded these
    definitions.

    In-process skips a process start-up per step; multiprocess lets the sources land in parallel.
    Measured with `pwh demo` on a two-core machine (docs/architecture.md "Executor"), in-process
    was quicker on small (235 s against 276 s) and on medium (518 s against 529 s, where the
    parallel sync saved 40 s and the start-ups took it back); multiprocess is for sites whose
    syncs take many minutes.
    """
    if choice == "in_process":
        return dg.in_process_executor
    return dg.multiprocess_executor.configured(
        {
            "max_concurrent": 2,
            "start_method": {"forkserver": {"preload_modules": ["orchestration.preload"]}},
        }
    )
