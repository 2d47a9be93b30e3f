"""`pwh ui` serves the Dagster UI on 127.0.0.1 with a project-local DAGSTER_HOME, telemetry off."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import pwh_env

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_pwh_ui_serves_the_workspace_on_loopback(tmp_path: Path) -> None:
    port = _free_port()
    home = tmp_path / "home"
    pwh = Path(sys.executable).with_name("pwh")
    process = subprocess.Popen(
        [str(pwh), "ui", "--port", str(port)],
        env=pwh_env(home),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 240
        info = None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=5) as response:
                    info = json.loads(response.read())
                    break
            except OSError:
                time.sleep(2)
        assert info is not None, "the UI did not answer on 127.0.0.1"
        assert "dagster_webserver_version" in info
        config = (home / "dagster" / "dagster.yaml").read_text()
        assert "telemetry:\n  enabled: false" in config
        # SIGTERM to pwh alone (as systemd or `kill` sends it): the webserver, the daemon and the
        # code server it started stop with it, within seconds, and the port is free again.
        stopped_at = time.monotonic()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 128 + signal.SIGTERM
        assert time.monotonic() - stopped_at < 15
        leftovers = [pid for pid in _processes_mentioning(str(port)) if pid != os.getpid()]
        assert leftovers == [], leftovers
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)


def test_pwh_ui_starts_with_the_schedule_and_sensors_off(tmp_path: Path) -> None:
    from orchestration.settings import automations_on

    assert automations_on({"PWH_AUTOMATIONS": "off"}) is False
    assert automations_on({}) is True
    env = {**pwh_env(tmp_path / "home"), "PWH_AUTOMATIONS": "off"}
    script = (
        "from orchestration.definitions import defs; d = defs(); "
        "print(d.resolve_schedule_def('nightly_sync_schedule').default_status.value, "
        "d.resolve_sensor_def('finance_drop_sensor').default_status.value)"
    )
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert result.stdout.split()[-2:] == ["STOPPED", "STOPPED"], result.stdout + result.stderr


def _processes_mentioning(text: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if f" {text}" in cmdline and "dagster" in cmdline:
                pids.append(int(entry.name))
    return pids
