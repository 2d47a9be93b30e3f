"""Sensors: a new finance export starts finance_refresh; every finished sync run is published.

They take the drop folder and the warehouse settings from the resources, and give each run they
request its warehouse config (with its as-of date), so the UI shows what the run used.
"""

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from connectors.finance.reader import SETTLE_SECONDS, list_exports, recently_modified
from orchestration.defs.automation.jobs import finance_refresh, nightly_sync, publish, publish_tags
from orchestration.defs.resources import FinanceDropResource, WarehouseResource
from orchestration.settings import parse_as_of, today


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


def automation_sensors(running: bool) -> list[dg.SensorDefinition]:
    """Every sensor; `running`: PWH_AUTOMATIONS (`pwh ui` starts them switched off, `pwh serve` on)."""
    status = dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED
    return [finance_drop_sensor(status), publish_after_success(status), publish_after_failure(status)]


def finance_drop_sensor(status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    @dg.sensor(
        name="finance_drop_sensor",
        job=finance_refresh,
        minimum_interval_seconds=60,
        default_status=status,
        description=(
            "Runs finance_refresh when a new or changed export appears in FINANCE_EXPORT_DIR "
            "(files still being written are left for the next tick)."
        ),
    )
    def _sensor(
        context: dg.SensorEvaluationContext, finance: FinanceDropResource, warehouse: WarehouseResource
    ) -> dg.SensorResult | dg.SkipReason:
        if not finance.export_dir:
            return dg.SkipReason("FINANCE_EXPORT_DIR is not set")
        folder = Path(finance.export_dir).expanduser()
        if not folder.is_dir():
            return dg.SkipReason(f"FINANCE_EXPORT_DIR {folder} does not exist")
        seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
        ready, unsettled = settled_exports(folder, now=time.time(), settle_seconds=finance.settle_seconds)
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
            run_config={
                "resources": {"warehouse": {"config": warehouse.for_run(parse_as_of(warehouse.as_of) or today())}}
            },
        )
        return dg.SensorResult(run_requests=[request], cursor=json.dumps(seen, sort_keys=True))

    return _sensor


def publish_after_success(status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    @dg.run_status_sensor(
        name="publish_after_success",
        run_status=dg.DagsterRunStatus.SUCCESS,
        monitored_jobs=[nightly_sync, finance_refresh],
        request_job=publish,
        default_status=status,
        description="Publishes the new marts after a successful sync run.",
    )
    def _sensor(context: dg.RunStatusSensorContext, warehouse: WarehouseResource) -> dg.RunRequest:
        return publish_request(context.dagster_run, warehouse, succeeded=True)

    return _sensor


def publish_after_failure(status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    @dg.run_status_sensor(
        name="publish_after_failure",
        run_status=dg.DagsterRunStatus.FAILURE,
        monitored_jobs=[nightly_sync, finance_refresh],
        request_job=publish,
        default_status=status,
        description=(
            "After a failed or blocked sync: republish only kpi_data_quality, so BI users see why the marts did "
            "not move."
        ),
    )
    def _sensor(context: dg.RunStatusSensorContext, warehouse: WarehouseResource) -> dg.RunRequest:
        return publish_request(context.dagster_run, warehouse, succeeded=False)

    return _sensor


def publish_request(sync_run: dg.DagsterRun, warehouse: WarehouseResource, *, succeeded: bool) -> dg.RunRequest:
    """Publish a sync run with the warehouse settings it ran with (its as-of date above all), or
    this resource's when it had none of its own."""
    config: dict[str, Any] = (sync_run.run_config or {}).get("resources", {}).get("warehouse", {}).get("config")
    return dg.RunRequest(
        run_key=f"publish:{sync_run.run_id}",
        tags=publish_tags(succeeded, sync_run.run_id),
        run_config={"resources": {"warehouse": {"config": config or warehouse.for_run(parse_as_of(warehouse.as_of))}}},
    )
