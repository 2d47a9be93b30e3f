"""A run's life around Dagster: one at a time per PWH_HOME, crashes cleaned up, interrupts clean.

- **One run at a time.** `pwh run` and `pwh demo` hold an exclusive lock on
  `PWH_HOME/pwh-run.lock` (an `flock`, released by the OS when the holder dies, so a killed run
  never leaves a stale lock) and write who holds it (pid, start, command) into the file. A second
  run says who holds it and exits 2, or waits with `--wait`. Runs the daemon launches (`pwh serve`)
  are queued by Dagster's run coordinator, one at a time, and `pwh run` waits for or refuses them
  the same way.
- **Crashes.** A run killed hard (OOM, reboot, kill -9) stays `STARTED` in Dagster with its
  `duckdb` pool slot claimed, and every later run would wait for that slot forever. Before a run
  starts, runs of this PWH_HOME whose process is gone are marked failed and their slots freed,
  and temp files a killed publish left beside the published file are removed.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; one run at a time is then up to the scheduler.
    fcntl = None  # type: ignore[assignment]

from orchestration.settings import WarehousePaths

DAGSTER_YAML = """\
# Written by pwh: a project-local Dagster instance for `pwh run`, `pwh demo`, `pwh ui` and `pwh serve`.
telemetry:
  enabled: false
# One process at a time may open the warehouse DuckDB file (docs/architecture.md "One process
# at a time may open a DuckDB file"): every step that does is in the pool "duckdb", limited to
# one slot across runs. Runs the daemon launches (schedule, sensors) run one at a time.
concurrency:
  pools:
    default_limit: 1
  runs:
    max_concurrent_runs: 1
# The daemon marks a run whose worker process died as failed and frees its pool slots.
run_monitoring:
  enabled: true
  start_timeout_seconds: 300
  poll_interval_seconds: 60
  free_slots_after_run_end_seconds: 60
"""


def prepare_dagster_home(paths: WarehousePaths) -> Path:
    home = paths.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.read_text() != DAGSTER_YAML:
        config.write_text(DAGSTER_YAML)
    return home


LOCK_FILE = "pwh-run.lock"
# Run tags that say which process runs a run started by pwh (the daemon's runs carry none).
PID_TAG = "pwh/pid"
HOST_TAG = "pwh/host"
PROCESS_START_TAG = "pwh/process_start"
IN_PROGRESS = ("STARTING", "STARTED", "CANCELING")


class Interrupted(Exception):
    """pwh received SIGINT or SIGTERM; the run (if any) was canceled."""

    def __init__(self, signum: int, run_id: str | None = None) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.run_id = run_id


class RunBusy(RuntimeError):
    """Another run holds this PWH_HOME."""


@dataclass(frozen=True)
class Holder:
    pid: int
    started_at: str
    command: str

    def describe(self) -> str:
        return f"pid {self.pid}, started {self.started_at}: {self.command}"


def process_start(pid: int) -> str | None:
    """When the process started, as the kernel counts it (clock ticks since boot), or None when
    there is no such process. Together with the pid it names one process: pids are reused."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return fields[19]  # field 22 of stat(5), counted after "pid (comm)"
    except (OSError, IndexError):
        return None


def process_alive(pid: int, start: str | None) -> bool:
    """Whether the process that was ``pid`` (started at ``start``) still runs."""
    now_start = process_start(pid)
    if now_start is not None:
        return start is None or now_start == start
    try:
        os.kill(pid, 0)  # no /proc (macOS): existence is the best we can know
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not os.path.exists("/proc")


def run_tags() -> dict[str, str]:
    """Tags that let a later `pwh run` tell whether this process still runs the run."""
    pid = os.getpid()
    return {PID_TAG: str(pid), HOST_TAG: socket.gethostname(), PROCESS_START_TAG: process_start(pid) or ""}


@contextmanager
def run_lock(paths: WarehousePaths, command: str, *, wait: bool = False, poll_seconds: float = 2.0) -> Iterator[None]:
    """Hold PWH_HOME's run lock for the duration; raise RunBusy naming the holder, or wait."""
    paths.home.mkdir(parents=True, exist_ok=True)
    lock_path = paths.home / LOCK_FILE
    handle = open(lock_path, "a+", encoding="utf-8")
    try:
        if fcntl is not None:
            while True:
                try:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if not wait:
                        raise RunBusy(
                            f"another run is using {paths.home} ({_holder(lock_path)}); "
                            "wait for it, or run with --wait to start when it ends"
                        ) from None
                    time.sleep(poll_seconds)
        handle.seek(0)
        handle.truncate()
        handle.write(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "command": command,
                }
            )
        )
        handle.flush()
        yield
    finally:
        handle.close()  # closing the descriptor releases the flock


def _holder(lock_path: Path) -> str:
    try:
        data = json.loads(lock_path.read_text(encoding="utf-8") or "{}")
        return Holder(int(data["pid"]), str(data["started_at"]), str(data["command"])).describe()
    except (OSError, ValueError, KeyError):
        return "holder unknown"


def recover_crashed_runs(instance, *, daemon_alive: bool) -> list[str]:  # noqa: ANN001 (DagsterInstance)
    """Mark runs whose process is gone as failed and free their pool slots; one line per run.

    Called with the run lock held, so no other `pwh run` is running: a run started by pwh whose
    process is gone died. A run without pwh's tags was launched by the daemon; it is stale only
    when no daemon runs (the daemon's own run monitoring handles its runs otherwise).
    """
    from dagster import DagsterRunStatus, RunsFilter

    statuses = [DagsterRunStatus[name] for name in IN_PROGRESS]
    notes: list[str] = []
    for record in instance.get_run_records(RunsFilter(statuses=statuses)):
        run = record.dagster_run
        pid_text = run.tags.get(PID_TAG)
        if pid_text:
            same_host = run.tags.get(HOST_TAG) in (None, "", socket.gethostname())
            if same_host and process_alive(int(pid_text), run.tags.get(PROCESS_START_TAG) or None):
                continue
            why = f"its process (pid {pid_text}) is gone"
        else:
            if daemon_alive:
                continue
            why = "it was launched by a daemon that no longer runs"
        instance.report_run_failed(run, f"Marked failed by pwh: {why} (killed, out of memory or a reboot).")
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        notes.append(
            f"run {run.run_id[:8]} of {run.job_name} was left unfinished: {why}; marked failed, pool slots freed"
        )
    return notes


def daemon_runs_in_progress(instance) -> list[str]:  # noqa: ANN001 (DagsterInstance)
    """Runs the daemon launched that are still going (queued or running), described in a line each."""
    from dagster import DagsterRunStatus, RunsFilter

    statuses = [DagsterRunStatus.QUEUED, *(DagsterRunStatus[name] for name in IN_PROGRESS)]
    return [
        f"{record.dagster_run.job_name} run {record.dagster_run.run_id[:8]} ({record.dagster_run.status.value.lower()})"
        for record in instance.get_run_records(RunsFilter(statuses=statuses))
        if PID_TAG not in record.dagster_run.tags
    ]


def daemon_alive(instance, *, within_seconds: float = 120.0) -> bool:  # noqa: ANN001 (DagsterInstance)
    """Whether a Dagster daemon of this instance has sent a heartbeat lately."""
    try:
        heartbeats = instance.get_daemon_heartbeats()
    except Exception:  # an instance without daemon storage: no daemon
        return False
    now = time.time()
    return any(now - beat.timestamp < within_seconds for beat in heartbeats.values())
