"""Sensors: a new finance export starts finance_refresh; every finished sync run is published."""

import json
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from connectors.finance.reader import SETTLE_SECONDS, list_exports, recently_modified
from orchestration.defs.automation.jobs import finance_refresh, nightly_sync, publish, publish_tags
from orchestration.settings import automations_on, load_environment

# `pwh ui` starts them switched off (PWH_AUTOMATIONS=off); `pwh serve` and the daemon, on.
SENSOR_STATUS = dg.DefaultSensorStatus.RUNNING if automations_on() else dg.DefaultSensorStatus.STOPPED


@dataclass(frozen=True)
class DropFile:
    name: str
    size: int
    mtime_ns: int

    @property
    def signature(self) -> str:
        return f"{self.size}:{self.mtime_ns}"


def settled_exports(
    folder: Path, *, now: float, settle_seconds: float = SETTLE_SECONDS
) -> tuple[list[DropFile], list[str]]:
    """Settled export files in the folder, and the names of those still being written.

    The connector's own listing and "still being written" rule (connectors/finance/reader.py), so
    the sensor never ignores a file the sync reads, nor wakes up for one it skips.
    """
    ready: list[DropFile] = []
    unsettled: list[str] = []
    for path, (size, mtime_ns) in list_exports(folder).candidates.items():
        if recently_modified(mtime_ns, int(now * 1e9), settle_seconds):
            unsettled.append(path.name)
            continue
        ready.append(DropFile(path.name, size, mtime_ns))
    return ready, unsettled


@dg.sensor(
    name="finance_drop_sensor",
    job=finance_refresh,
    minimum_interval_seconds=60,
    default_status=SENSOR_STATUS,
    description=(
        "Runs finance_refresh when a new or changed export appears in FINANCE_EXPORT_DIR "
        "(files still being written are left for the next tick)."
    ),
)
def finance_drop_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    folder_text = load_environment().get("FINANCE_EXPORT_DIR")
    if not folder_text:
        return dg.SkipReason("FINANCE_EXPORT_DIR is not set")
    folder = Path(folder_text).expanduser()
    if not folder.is_dir():
        return dg.SkipReason(f"FINANCE_EXPORT_DIR {folder} does not exist")
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    ready, unsettled = settled_exports(folder, now=time.time())
    changed = [f for f in ready if seen.get(f.name) != f.signature]
    if not changed:
        waiting = f"; waiting for {', '.join(unsettled)} to finish writing" if unsettled else ""
        return dg.SkipReason(f"no new finance exports{waiting}")
    for file in changed:
        seen[file.name] = file.signature
    run_key = "finance:" + ",".join(sorted(f"{f.name}@{f.signature}" for f in changed))
    request = dg.RunRequest(
        run_key=run_key,
        tags={"pwh/finance_files": ", ".join(f.name for f in changed)[:1000]},
    )
    return dg.SensorResult(run_requests=[request], cursor=json.dumps(seen, sort_keys=True))


@dg.run_status_sensor(
    name="publish_after_success",
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[nightly_sync, finance_refresh],
    request_job=publish,
    default_status=SENSOR_STATUS,
    description="Publishes the new marts after a successful sync run.",
)
def publish_after_success(context: dg.RunStatusSensorContext) -> dg.RunRequest:
    run_id = context.dagster_run.run_id
    return dg.RunRequest(run_key=f"publish:{run_id}", tags=publish_tags(True, run_id))


@dg.run_status_sensor(
    name="publish_after_failure",
    run_status=dg.DagsterRunStatus.FAILURE,
    monitored_jobs=[nightly_sync, finance_refresh],
    request_job=publish,
    default_status=SENSOR_STATUS,
    description=(
        "After a failed or blocked sync: republish only kpi_data_quality, so BI users see why the marts did not move."
    ),
)
def publish_after_failure(context: dg.RunStatusSensorContext) -> dg.RunRequest:
    run_id = context.dagster_run.run_id
    return dg.RunRequest(run_key=f"publish:{run_id}", tags=publish_tags(False, run_id))
