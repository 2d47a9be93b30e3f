"""Run the pipeline's Dagster jobs from the command line and report what happened in plain words.

`pwh run` and `pwh demo` execute the same jobs the nightly schedule launches, with the executor
PWH_EXECUTOR names, against a project-local Dagster instance (`PWH_HOME/dagster`), so every
run also shows up in `pwh ui`. While a run executes, its event log is polled to print progress.

The job executes in a worker thread; the main thread polls the event log and takes SIGINT and
SIGTERM: the run is marked canceling, Dagster's executor is told to stop its step processes, and
once they have stopped (or a grace period is over) the run is canceled and its pool slots freed,
so an interrupted run never blocks the next one.
"""

from __future__ import annotations

import functools
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import dagster as dg
from dagster import DagsterEventType, DagsterInstance, RunsFilter

from orchestration.lifecycle import Interrupted, run_tags
from orchestration.settings import child_environment

INVOCATION_TAG = "pwh/invocation"

# Seconds an interrupted run's steps get to stop on their own before pwh ends them.
INTERRUPT_GRACE_SECONDS = 20.0


@functools.cache
def load_definitions() -> dg.Definitions:
    from orchestration.definitions import defs

    return defs()


def job_by_name(name: str) -> dg.JobDefinition:
    """Reconstruction entry point: each step process loads the definitions and finds the job."""
    return load_definitions().resolve_job_def(name)


@contextmanager
def interrupts_raise() -> Iterator[None]:
    """SIGINT and SIGTERM raise Interrupted in the main thread for the duration."""

    def handler(signum: int, _frame: object) -> None:
        raise Interrupted(signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


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
    run_config: Mapping[str, object] | None = None,
    env: Mapping[str, str] | None = None,
    on_event: Callable[[dg.EventLogEntry], None] | None = None,
) -> RunOutcome:
    """Execute a job, calling `on_event` for each event as it happens.

    ``run_config`` goes on the run (the resources' settings, shown in the UI); ``env`` is the
    environment its step processes start with (the secrets its EnvVars name, and the settings
    they load the definitions with). Raises Interrupted when pwh is asked to stop; the run is
    canceled by then.
    """
    invocation = uuid.uuid4().hex
    run_tags_ = {**(tags or {}), INVOCATION_TAG: invocation, **run_tags()}
    recon = dg.build_reconstructable_job("orchestration.runner", "job_by_name", reconstructable_args=(job_name,))
    box: dict[str, object] = {}

    def execute() -> None:
        try:
            with dg.execute_job(recon, instance=instance, tags=run_tags_, run_config=run_config) as result:
                box["success"] = result.success
                box["run_id"] = result.run_id
        except BaseException as exc:  # surfaced to the caller below
            box["error"] = exc

    worker = threading.Thread(target=execute, name=f"pwh-{job_name}", daemon=True)
    cursor: str | None = None  # the event log is read on from here, not from the start each time
    run_id: str | None = None
    events: list[dg.EventLogEntry] = []

    def poll() -> None:
        nonlocal cursor, run_id
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

    with child_environment(env or {}):
        try:
            worker.start()
            while True:
                alive = worker.is_alive()
                poll()
                if not alive:
                    break
                time.sleep(0.5)
        except Interrupted as interrupt:
            poll()
            cancel_run(instance, run_id, worker)
            raise Interrupted(interrupt.signum, run_id) from None
        worker.join()
    if "error" in box:
        raise box["error"]  # type: ignore[misc]
    return summarise(job_name, str(box.get("run_id") or run_id), bool(box.get("success")), events)


def cancel_run(instance: DagsterInstance, run_id: str | None, worker: threading.Thread) -> None:
    """Stop an executing run: mark it canceling, ask the executor to end its steps, end what is
    left after a grace period, and leave the run canceled with its pool slots freed."""
    with ignoring_interrupts():
        run = instance.get_run_by_id(run_id) if run_id else None
        if run is not None and not run.is_finished:
            instance.report_run_canceling(run, message="pwh received a signal to stop")
        _ask_executor_to_stop()
        worker.join(INTERRUPT_GRACE_SECONDS)
        if worker.is_alive():
            _terminate_children()
            worker.join(5.0)
        run = instance.get_run_by_id(run_id) if run_id else None
        if run is not None and not run.is_finished:
            instance.report_run_canceled(run, message="pwh stopped the run on a signal")
        if run is not None and instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)


@contextmanager
def ignoring_interrupts() -> Iterator[None]:
    """While a run is being canceled, further Ctrl-C presses do not cut the clean-up short."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _ask_executor_to_stop() -> None:
    # Dagster's executors poll this flag (dagster._utils.interrupts, which its own SIGINT handler
    # sets when the run executes in the main thread); ours executes in a worker thread, so pwh
    # sets it: the multiprocess executor then tells every step process to stop.
    from dagster._utils import interrupts

    interrupts._received_interrupt["received"] = True


def _terminate_children() -> None:
    """SIGTERM to this process's children (step processes, dbt) that outlived the grace period."""
    for child in _children(os.getpid()):
        try:
            os.kill(child, signal.SIGTERM)
        except ProcessLookupError:
            pass


def _children(pid: int) -> list[int]:
    children: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return children
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                children.extend(int(x) for x in handle.read().split())
        except OSError:
            continue
    return children


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
                    f"{evaluation.asset_key.to_user_string()}: {evaluation.check_name} "
                    f"({evaluation.severity.value.lower()})"
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
