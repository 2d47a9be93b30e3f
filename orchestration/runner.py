"""Run the pipeline's Dagster jobs from the command line and report what happened in plain words.

`pwh run` and `pwh demo` execute the same jobs the nightly schedule launches, with the
multiprocess executor against a project-local Dagster instance (`PWH_HOME/dagster`), so every
run also shows up in `pwh ui`. While a run executes, its event log is polled to print progress.
"""

from __future__ import annotations

import functools
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
from dagster import DagsterEventType, DagsterInstance, RunsFilter

from orchestration.settings import WarehousePaths

INVOCATION_TAG = "pwh/invocation"

DAGSTER_YAML = """\
# Written by pwh: a project-local Dagster instance for `pwh run`, `pwh demo` and `pwh ui`.
telemetry:
  enabled: false
# One process at a time may open the warehouse DuckDB file (docs/architecture.md "One process
# at a time may open a DuckDB file"): every step that does is in the pool "duckdb", limited to
# one slot across runs.
concurrency:
  pools:
    default_limit: 1
"""


def prepare_dagster_home(paths: WarehousePaths) -> Path:
    home = paths.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text() != DAGSTER_YAML:
        config.write_text(DAGSTER_YAML)
    return home


@functools.cache
def load_definitions() -> dg.Definitions:
    from orchestration.definitions import defs

    return defs()


def job_by_name(name: str) -> dg.JobDefinition:
    """Reconstruction entry point: each step process loads the definitions and finds the job."""
    return load_definitions().resolve_job_def(name)


@dataclass
class RunOutcome:
    job_name: str
    run_id: str
    success: bool
    failures: list[str] = field(default_factory=list)
    materialized: dict[str, dict[str, object]] = field(default_factory=dict)
    failed_checks: list[str] = field(default_factory=list)


def run_job(
    job_name: str,
    instance: DagsterInstance,
    *,
    tags: dict[str, str] | None = None,
    on_event: Callable[[dg.EventLogEntry], None] | None = None,
) -> RunOutcome:
    """Execute a job (multiprocess), calling `on_event` for each event as it happens."""
    invocation = uuid.uuid4().hex
    run_tags = {**(tags or {}), INVOCATION_TAG: invocation}
    recon = dg.build_reconstructable_job("orchestration.runner", "job_by_name", reconstructable_args=(job_name,))
    box: dict[str, object] = {}

    def execute() -> None:
        try:
            with dg.execute_job(recon, instance=instance, tags=run_tags) as result:
                box["success"] = result.success
                box["run_id"] = result.run_id
        except BaseException as exc:  # surfaced to the caller below
            box["error"] = exc

    worker = threading.Thread(target=execute, name=f"pwh-{job_name}", daemon=True)
    worker.start()
    cursor: str | None = None  # the event log is read on from here, not from the start each time
    run_id: str | None = None
    events: list[dg.EventLogEntry] = []
    while True:
        alive = worker.is_alive()
        if run_id is None:
            records = instance.get_run_records(RunsFilter(tags={INVOCATION_TAG: invocation}), limit=1)
            run_id = records[0].dagster_run.run_id if records else None
        if run_id is not None:
            page = instance.get_records_for_run(run_id, cursor=cursor)
            for record in page.records:
                events.append(record.event_log_entry)
                if on_event is not None:
                    on_event(record.event_log_entry)
            cursor = page.cursor
        if not alive:
            break
        time.sleep(0.5)
    worker.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return summarise(job_name, str(box.get("run_id") or run_id), bool(box.get("success")), events)


def summarise(job_name: str, run_id: str, success: bool, events: list[dg.EventLogEntry]) -> RunOutcome:
    outcome = RunOutcome(job_name=job_name, run_id=run_id, success=success)
    for entry in events:
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            materialization = event.event_specific_data.materialization  # type: ignore[union-attr]
            outcome.materialized[materialization.asset_key.to_user_string()] = {
                k: getattr(v, "value", v) for k, v in materialization.metadata.items()
            }
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data  # type: ignore[assignment]
            if not evaluation.passed:
                outcome.failed_checks.append(
                    f"{evaluation.asset_key.to_user_string()}: {evaluation.check_name} ({evaluation.severity.value.lower()})"
                )
        elif event.event_type == DagsterEventType.STEP_FAILURE:
            error = event.event_specific_data.error  # type: ignore[union-attr]
            outcome.failures.append(f"{event.step_key}: {one_line(error)}")
    return outcome


def one_line(error: object) -> str:
    """The part of a step failure a user can act on: the innermost message, first line."""
    current = error
    while getattr(current, "cause", None) is not None:
        current = current.cause  # type: ignore[attr-defined]
    message = getattr(current, "message", None) or str(current)
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    if not lines:
        return "failed without a message"
    text = lines[0]
    if ":" in text and text.split(":", 1)[0].endswith(("Error", "Exception", "Failure")):
        text = text.split(":", 1)[1].strip() or text
    return text
