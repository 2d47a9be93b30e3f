"""The long-running Dagster processes behind `pwh ui` and `pwh serve`.

`pwh serve` is production: `dagster-webserver` and `dagster-daemon` as two processes over this
workspace, the nightly schedule and sensors switched on. `pwh ui` is for looking around: `dagster
dev` (webserver and a daemon, so runs launched from the UI are executed), automations off unless
asked. Both bind to 127.0.0.1 unless told otherwise, refuse a port that is taken and a PWH_HOME
whose daemon already runs (two daemons would tick the same schedule twice), start their children
in a process group of their own, and on SIGINT/SIGTERM stop that whole group within seconds.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

WORKSPACE = Path(__file__).resolve().parents[2] / "workspace.yaml"
# Seconds the children get to stop on SIGTERM before they are killed.
STOP_GRACE_SECONDS = 10.0


class CannotServe(RuntimeError):
    """The server cannot start: a taken port, a daemon already running."""


def port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def ensure_can_serve(host: str, port: int, daemon_running: bool, home: Path) -> None:
    if not port_is_free(host, port):
        raise CannotServe(
            f"port {port} on {host} is already in use — "
            "pick another with --port (is pwh ui or pwh serve already running?)"
        )
    if daemon_running:
        raise CannotServe(
            f"a Dagster daemon already runs for PWH_HOME {home} (pwh serve or pwh ui); open its UI, or stop it first"
        )


def commands(kind: str, host: str, port: int) -> list[list[str]]:
    """The child commands for `pwh ui` (one: dagster dev) or `pwh serve` (webserver and daemon)."""
    python = sys.executable
    if kind == "ui":
        return [[python, "-m", "dagster", "dev", "-w", str(WORKSPACE), "-h", host, "-p", str(port)]]
    return [
        [python, "-m", "dagster_webserver", "-w", str(WORKSPACE), "-h", host, "-p", str(port)],
        [python, "-m", "dagster._daemon", "run", "-w", str(WORKSPACE)],
    ]


def supervise(argvs: list[list[str]], env: dict[str, str]) -> int:
    """Run the children until one ends or pwh is asked to stop; then stop them all.

    Each child leads its own process group, so stopping it also stops what it started (the code
    server, run workers): nothing outlives `pwh ui` or `pwh serve` by more than the grace period.
    """
    children = [subprocess.Popen(argv, env=env, cwd=WORKSPACE.parent, start_new_session=True) for argv in argvs]
    stop_requested = {"signum": 0}

    def request_stop(signum: int, _frame: object) -> None:
        stop_requested["signum"] = signum

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop_requested["signum"] and all(child.poll() is None for child in children):
            time.sleep(0.2)
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        _stop(children)
    if stop_requested["signum"]:
        return 128 + stop_requested["signum"]
    ended = next(child for child in children if child.returncode is not None)
    return ended.returncode or 0


def _stop(children: list[subprocess.Popen]) -> None:
    for child in children:
        _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for child in children:
        # The group, not only the child: a code server or run worker left behind would keep
        # the port or the DuckDB file busy.
        _signal_group(child, signal.SIGKILL)
        try:
            child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


def _signal_group(child: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(child.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
