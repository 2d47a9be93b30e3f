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

from tests.conftest import pwh_env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_pwh_ui_serves_the_workspace_on_loopback(tmp_path: Path) -> None:
    port = _free_port()
    home = tmp_path / "home"
    pwh = Path(sys.executable).with_name("pwh")
    process = subprocess.Popen(
        [str(pwh), "ui", "--port", str(port)], env=pwh_env(home), cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
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
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
