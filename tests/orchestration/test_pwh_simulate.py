"""`pwh simulate`: the first stdout line is the JSON a client needs, and the servers answer it."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import requests

from simulators.serve import world_file_name
from tests.conftest import TEST_ANCHOR, TEST_SEED, pwh_env


def test_pwh_simulate_prints_urls_and_credentials_then_serves_until_interrupted(
    small_world_path: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    cached = home / "simulator" / world_file_name("small", TEST_SEED, TEST_ANCHOR)
    cached.parent.mkdir(parents=True)
    shutil.copyfile(small_world_path, cached)
    process = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("pwh")),
            "simulate",
            "--scale",
            "small",
            "--seed",
            str(TEST_SEED),
            "--as-of",
            TEST_ANCHOR.isoformat(),
        ],
        env=pwh_env(home),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = json.loads(process.stdout.readline())
        assert set(first) == {
            "jira_url",
            "jira_email",
            "jira_api_token",
            "servicenow_url",
            "servicenow_user",
            "servicenow_password",
            "finance_dir",
        }
        assert first["jira_url"].startswith("http://127.0.0.1:")
        me = requests.get(
            f"{first['jira_url']}/rest/api/3/myself", auth=(first["jira_email"], first["jira_api_token"]), timeout=30
        )
        assert me.status_code == 200 and me.json()["emailAddress"] == first["jira_email"]
        projects = requests.get(
            f"{first['servicenow_url']}/api/now/table/pm_project",
            params={"sysparm_limit": 5},
            auth=(first["servicenow_user"], first["servicenow_password"]),
            timeout=30,
        )
        assert projects.status_code == 200 and int(projects.headers["X-Total-Count"]) == 25
        assert list(Path(first["finance_dir"]).glob("gl_actuals_*.csv"))
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=60)
    assert code == 0


def test_pwh_run_with_nothing_configured_and_nothing_landed_says_what_to_set(tmp_path: Path) -> None:
    from tests.conftest import run_pwh

    result = run_pwh(["run"], pwh_env(tmp_path / "home"), cwd=tmp_path, timeout=120)
    assert result.returncode == 2
    assert "JIRA_URL" in result.stderr and "SERVICENOW_URL" in result.stderr and "FINANCE_EXPORT_DIR" in result.stderr
    assert "pwh demo" in result.stderr and "Traceback" not in result.stderr


def test_a_partly_configured_source_is_told_exactly_what_is_missing(tmp_path: Path) -> None:
    from tests.conftest import run_pwh

    result = run_pwh(
        ["run"], pwh_env(tmp_path / "home", JIRA_URL="https://example.atlassian.net"), cwd=tmp_path, timeout=120
    )
    assert result.returncode == 2, result.stderr
    assert "Jira needs JIRA_EMAIL, JIRA_API_TOKEN;" in result.stderr  # not JIRA_URL: that one is set
    assert "Traceback" not in result.stderr


def test_settings_that_cannot_work_stop_pwh_before_it_starts(tmp_path: Path) -> None:
    from tests.conftest import run_pwh

    home = tmp_path / "home"
    executor = run_pwh(["run"], pwh_env(home, PWH_EXECUTOR="threads"), cwd=tmp_path, timeout=120)
    assert executor.returncode == 2
    assert executor.stderr.strip() == "pwh: PWH_EXECUTOR must be multiprocess or in_process, not 'threads'"
    assert "Running" not in executor.stdout and not home.exists()

    world = run_pwh(["simulate", "--world", str(tmp_path / "missing.sqlite")], pwh_env(home), cwd=tmp_path, timeout=120)
    assert world.returncode == 2 and "no world file at" in world.stderr and "Traceback" not in world.stderr
    as_of = run_pwh(["simulate", "--as-of", "2026-13-01"], pwh_env(home), cwd=tmp_path, timeout=120)
    assert as_of.returncode == 2 and "not a date like 2026-06-30: '2026-13-01'" in as_of.stderr
