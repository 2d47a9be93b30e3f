"""`pwh docs`: the dbt docs site, generated from the built warehouse and served on 127.0.0.1."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import SmallWarehouse, pwh_env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback only
        assert response.status == 200
        return response.read()


@pytest.mark.long  # `dbt docs generate` over the whole project: a minute or more
def test_pwh_docs_generates_and_serves_the_dbt_docs_on_loopback(
    small_warehouse: SmallWarehouse, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    # dbt docs generate opens the build file read-write: give it a copy, never the session's.
    shutil.copytree(
        small_warehouse.home, home, ignore=shutil.ignore_patterns("dagster", "logs", "simulator", "reports", "exports")
    )
    port = _free_port()
    pwh = Path(sys.executable).with_name("pwh")
    process = subprocess.Popen(
        [str(pwh), "docs", "--port", str(port)],
        env=pwh_env(home),
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                pytest.fail(f"pwh docs exited {process.returncode}:\n{''.join(output)[-3000:]}")
            output.append(line)
            if f"http://127.0.0.1:{port}" in line:
                break
        for _ in range(60):  # the server starts a moment after the line
            try:
                index = _get(f"http://127.0.0.1:{port}/")
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("nothing listens on the docs port:\n" + "".join(output)[-3000:])
        assert b"dbt" in index.lower()
        manifest = json.loads(_get(f"http://127.0.0.1:{port}/manifest.json"))
        catalog = json.loads(_get(f"http://127.0.0.1:{port}/catalog.json"))
        assert "model.portfolio_warehouse.kpi_headline" in manifest["nodes"]
        assert manifest["parent_map"]["model.portfolio_warehouse.kpi_headline"], "lineage: the mart has parents"
        assert "model.portfolio_warehouse.kpi_project_scorecard" in catalog["nodes"]
        assert (home / "dbt_docs" / "index.html").exists()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_pwh_docs_before_any_run_says_what_to_do(tmp_path: Path) -> None:
    from tests.conftest import run_pwh

    result = run_pwh(["docs"], pwh_env(tmp_path / "empty"), cwd=tmp_path, timeout=300)
    assert result.returncode == 2 and "pwh run" in result.stderr and "Traceback" not in result.stderr


def test_pwh_dashboard_before_any_run_says_what_to_do(tmp_path: Path) -> None:
    from tests.conftest import run_pwh

    result = run_pwh(["dashboard"], pwh_env(tmp_path / "empty"), cwd=tmp_path, timeout=300)
    assert result.returncode == 2 and "no published warehouse" in result.stderr and "Traceback" not in result.stderr
