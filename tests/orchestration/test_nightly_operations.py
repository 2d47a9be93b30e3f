"""Running it every night: fast failure on bad configuration, one run at a time, clean interrupts.

Each case is what a data engineer setting up the nightly run tries first. Every `pwh` here is a
real subprocess against a copy of the session's small warehouse (or an empty PWH_HOME), with the
simulators on loopback where a source must answer. Where a case must not touch the warehouse, the
published file and the raw landing are compared before and after.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import pytest

from simulators import start_simulators
from tests.conftest import SmallWarehouse, pwh_env, run_pwh, sims_env

PWH = Path(sys.executable).with_name("pwh")
REPO = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def landing_files(home: Path) -> set[str]:
    """Every landed batch (the sync log, which records attempts, is not data)."""
    return {str(p.relative_to(home)) for p in (home / "raw").glob("*/*/*.parquet")}


def published_marts(home: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(home / "published" / "portfolio.duckdb"), read_only=True) as conn:
        return {
            table: conn.execute(f"select * from marts.{table} order by all").fetchall()
            for table in ("kpi_project_scorecard", "kpi_portfolio_summary", "kpi_headline", "fct_spend")
        }


def stderr_lines_within(process: subprocess.Popen, seconds: float) -> list[tuple[float, str]]:
    """(seconds since start, line) of stderr until the process ends."""
    started = time.monotonic()
    lines = []
    for line in process.stderr:  # type: ignore[union-attr]
        lines.append((time.monotonic() - started, line.rstrip("\n")))
    process.wait(timeout=seconds)
    return lines


@pytest.fixture
def warehouse_copy(small_warehouse: SmallWarehouse, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(small_warehouse.home, home, ignore=shutil.ignore_patterns("logs", "exports"))
    return home


# --- fast failure ----------------------------------------------------------------------------------


def test_bad_settings_fail_within_seconds_each_named_and_the_warehouse_is_untouched(
    warehouse_copy: Path, small_warehouse: SmallWarehouse
) -> None:
    home = warehouse_copy
    landed, before = landing_files(home), published_marts(home)
    with start_simulators(small_warehouse.world_path) as sims:
        env = pwh_env(
            home,
            JIRA_URL=sims.jira_url,
            JIRA_EMAIL=sims.jira_email,
            JIRA_API_TOKEN="wrong-token-7c1f",
            SERVICENOW_URL=f"http://127.0.0.1:{closed_port()}",
            SERVICENOW_USER="u",
            SERVICENOW_PASSWORD="p",
            FINANCE_EXPORT_DIR=str(small_warehouse.home / "simulator" / "finance-drop"),  # fine; its own test below
            # The failed night's publish job runs under the multiprocess executor (a process per
            # step, forked from the forkserver): dbt and the serving steps are covered that way too.
            PWH_EXECUTOR="multiprocess",
        )
        process = subprocess.Popen(
            [str(PWH), "run", "--as-of", "2026-06-30"],
            env=env,
            cwd=home,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        lines = stderr_lines_within(process, 600)
        stdout = process.stdout.read()  # type: ignore[union-attr]

    assert process.returncode == 1, stdout[-2000:]
    failures = [(at, line) for at, line in lines if line.startswith("pwh: ") and "cannot be read" in line]
    assert [line.split(":")[1].strip() for _, line in failures] == ["Jira cannot be read", "ServiceNow cannot be read"]
    named = {"Jira": "JIRA_EMAIL and JIRA_API_TOKEN", "ServiceNow": "SERVICENOW_URL"}
    for (at, line), (source, variable) in zip(failures, named.items(), strict=True):
        assert line.startswith(f"pwh: {source}") and variable in line, line
        assert at < 10, f"{source} was reported after {at:.1f} s"
    assert all(line.startswith("pwh: ") for _, line in lines), lines  # nothing from Dagster on the terminal
    assert "wrong-token-7c1f" not in stdout + "".join(line for _, line in lines)
    # Nothing synced, the KPI numbers are as they were; the failure is on record for BI.
    assert landing_files(home) == landed
    assert published_marts(home) == before
    with duckdb.connect(str(home / "published" / "portfolio.duckdb"), read_only=True) as conn:
        health = conn.execute("select run_id, failed_sources from marts.kpi_run_health where is_latest_run").fetchone()
        freshness = dict(
            conn.execute("select source_name, bool_and(is_stale) from marts.kpi_source_freshness group by 1").fetchall()
        )
    assert health[0].startswith("preflight-") and health[1] == "jira, servicenow"
    assert freshness == {"jira": True, "servicenow": True, "finance": False}
    run_log = max((home / "logs").glob("run-*.log"), key=lambda path: path.stat().st_mtime).read_text()
    assert "Executing steps using multiprocess executor" in run_log
    started = set(re.findall(r'STEP_WORKER_STARTED - Executing step "(\w+)"', run_log))
    assert {"dbt_data_quality", "serving__published_warehouse"} <= started, sorted(started)


def test_a_read_only_home_cannot_start_and_says_pwh_home(tmp_path: Path) -> None:
    shared = Path(tempfile.mkdtemp(prefix="pwh-ro-"))
    try:
        locked = shared / "locked"
        locked.mkdir()
        os.chmod(shared, 0o755)
        home = locked / "home"
        if os.geteuid() != 0:
            os.chmod(locked, 0o555)
        env = pwh_env(home, FINANCE_EXPORT_DIR=str(shared))
        started = time.monotonic()
        result = subprocess.run(
            _as_another_user([str(PWH), "run"]), env=env, cwd=shared, capture_output=True, text=True, timeout=120
        )
    finally:
        shutil.rmtree(shared, ignore_errors=True)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()], result.stderr  # one line
    assert result.stderr.startswith(f"pwh: PWH_HOME {home} is not writable") and "Traceback" not in result.stderr
    assert time.monotonic() - started < 10


def test_check_names_an_unreadable_drop_folder(tmp_path: Path) -> None:
    shared = Path(tempfile.mkdtemp(prefix="pwh-check-"))
    try:
        os.chmod(shared, 0o777)
        drop = shared / "drop"
        drop.mkdir()
        (drop / "gl_actuals_x.csv").write_text("company_code\n")
        os.chmod(drop, 0o000)
        env = pwh_env(shared / "home", FINANCE_EXPORT_DIR=str(drop))
        result = subprocess.run(
            _as_another_user([str(PWH), "check"]), env=env, cwd=shared, capture_output=True, text=True, timeout=120
        )
    finally:
        os.chmod(shared / "drop", 0o755)
        shutil.rmtree(shared, ignore_errors=True)
    assert result.returncode == 1, result.stdout + result.stderr
    row = next(line for line in result.stdout.splitlines() if "Finance exports" in line)
    assert "FAILED" in row and "permission denied" in row and "FINANCE_EXPORT_DIR" in row
    assert "PWH_HOME" in result.stdout and "Jira" in result.stdout  # every row of the table


def test_run_with_an_unreadable_drop_folder_cannot_start_and_names_the_setting(tmp_path: Path) -> None:
    shared = Path(tempfile.mkdtemp(prefix="pwh-run-"))
    try:
        os.chmod(shared, 0o777)
        drop = shared / "drop"
        drop.mkdir()
        (drop / "gl_actuals_x.csv").write_text("company_code\n")
        os.chmod(drop, 0o000)
        home = shared / "home"
        env = pwh_env(home, FINANCE_EXPORT_DIR=str(drop))
        started = time.monotonic()
        result = subprocess.run(
            _as_another_user([str(PWH), "run", "--as-of", "2026-06-30"]),
            env=env,
            cwd=shared,
            capture_output=True,
            text=True,
            timeout=120,
        )
        took = time.monotonic() - started
        written = sorted(
            str(p.relative_to(home))
            for p in home.rglob("*")
            if p.is_file() and p.parts[len(home.parts)] in ("raw", "published")
        )
    finally:
        os.chmod(shared / "drop", 0o755)
        shutil.rmtree(shared, ignore_errors=True)
    assert result.returncode == 2, result.stdout + result.stderr
    # One failure line; the sources left unconfigured are named as warnings, nothing else.
    failures = [
        line for line in result.stderr.splitlines() if not line.startswith("warning: ") or "not configured" not in line
    ]
    assert len(failures) == 1, result.stderr
    assert failures[0].startswith("pwh: Finance exports cannot be read:") and "FINANCE_EXPORT_DIR" in failures[0]
    assert "permission denied" in failures[0] and "Traceback" not in result.stderr
    assert took < 10, f"reported after {took:.1f} s"
    assert written == []  # nothing synced, nothing published


def test_check_passes_against_the_simulators(small_world_path: Path, tmp_path: Path) -> None:
    with start_simulators(small_world_path, finance_dir=tmp_path / "drop") as sims:
        env = sims_env(tmp_path / "home", sims)
        started = time.monotonic()
        result = run_pwh(["check"], env, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert time.monotonic() - started < 15
    rows = [line for line in result.stdout.splitlines()[2:] if line.strip()]
    assert len(rows) == 1 + 7 + 22 + 1  # PWH_HOME, Jira sign-in + 6 endpoints, ServiceNow sign-in + 21 tables, folder
    assert all(" ok " in row for row in rows), result.stdout


def test_run_with_nothing_configured_cannot_start_even_after_a_demo(
    small_warehouse: SmallWarehouse, tmp_path: Path
) -> None:
    result = run_pwh(["run"], pwh_env(small_warehouse.home), cwd=tmp_path, timeout=120)
    assert result.returncode == 2
    assert result.stderr.startswith("pwh: nothing to run: no source is configured")
    assert all(v in result.stderr for v in ("JIRA_URL", "SERVICENOW_URL", "FINANCE_EXPORT_DIR"))


def _as_another_user(argv: list[str]) -> list[str]:
    """As root, permissions do not apply: run as `nobody` so they do."""
    if os.geteuid() != 0:
        return argv
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *argv]


# --- one run at a time -----------------------------------------------------------------------------


def test_a_second_run_says_who_holds_the_home_and_exits_2(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (tmp_path / "drop").mkdir()
    with open(home / "pwh-run.lock", "a+") as holder:
        fcntl.flock(holder.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        holder.write(json.dumps({"pid": os.getpid(), "started_at": "2026-06-30T02:00:00+00:00", "command": "pwh run"}))
        holder.flush()
        started = time.monotonic()
        result = run_pwh(["run"], pwh_env(home, FINANCE_EXPORT_DIR=str(tmp_path / "drop")), cwd=tmp_path, timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"pid {os.getpid()}, started 2026-06-30T02:00:00+00:00: pwh run" in result.stderr
    assert (
        "--wait" in result.stderr
        and len([line for line in result.stderr.splitlines() if line.startswith("pwh: ")]) == 1
    )
    assert time.monotonic() - started < 10
    assert not (home / "raw").exists()  # it did not start


# --- the UI and the daemon -------------------------------------------------------------------------


def test_ui_refuses_a_busy_port(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_pwh(["ui", "--port", str(port)], pwh_env(tmp_path / "home"), cwd=tmp_path, timeout=120)
    assert result.returncode == 2
    assert (
        result.stderr.strip() == f"pwh: port {port} on 127.0.0.1 is already in use — "
        "pick another with --port (is pwh ui or pwh serve already running?)"
    )
    assert "Dagster UI on" not in result.stdout


def test_every_subcommand_and_option_has_help() -> None:
    import argparse

    from orchestration.cli import build_parser

    parser = build_parser()
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {choice.dest: choice.help for choice in subparsers._choices_actions}
    for name, sub in subparsers.choices.items():
        assert helps.get(name), f"pwh {name} has no help line"
        if name == "simulate":  # its options belong to the simulators (pwh simulate --help)
            continue
        assert sub.description, f"pwh {name} has no description"
        for action in sub._actions:
            if not isinstance(action, argparse._HelpAction):
                assert action.help, f"pwh {name} {action.option_strings} has no help text"


def test_make_names_what_is_missing_without_python_3_11(tmp_path: Path) -> None:
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "uv.lock").write_text("")
    result = subprocess.run(
        ["make", "demo", "PYTHON=python3.99-missing"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "python3.99-missing not found" in result.stderr and "PYTHON=/path/to/python3.11" in result.stderr


# --- interrupts and production (several whole runs: make test-long) -----------------------------


@pytest.mark.long
@pytest.mark.parametrize(("sig", "moment"), [(signal.SIGINT, "▶ raw_"), (signal.SIGTERM, "▶ dbt_core_models")])
def test_an_interrupted_run_is_canceled_and_the_next_one_runs(
    warehouse_copy: Path, small_warehouse: SmallWarehouse, sig: int, moment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = warehouse_copy
    before = published_marts(home)
    with start_simulators(small_warehouse.world_path) as sims:
        # Every source configured, so the interrupt line is the only thing on stderr.
        env = sims_env(
            home,
            sims,
            FINANCE_EXPORT_DIR=str(home / "simulator" / "finance-drop"),
        )
        process = subprocess.Popen(
            [str(PWH), "run", "--full", "--as-of", "2026-06-30"],
            env=env,
            cwd=home,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for line in process.stdout:  # type: ignore[union-attr]
            if line.strip().startswith(moment.strip()):
                process.send_signal(sig)
                break
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 128 + sig, stderr
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"pwh: interrupted by {signal.Signals(sig).name}: run "), lines
        assert "canceled" in lines[0]
        assert published_marts(home) == before
        monkeypatch.setenv("DAGSTER_HOME", str(home / "dagster"))
        from dagster import DagsterInstance, DagsterRunStatus, RunsFilter

        with DagsterInstance.get() as instance:
            statuses = [
                r.dagster_run.status
                for r in instance.get_run_records(
                    RunsFilter(
                        statuses=[DagsterRunStatus.STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.CANCELING]
                    )
                )
            ]
            canceled = instance.get_run_records(RunsFilter(statuses=[DagsterRunStatus.CANCELED]))
        assert statuses == [] and len(canceled) == 1
        # The next night runs to the end: nothing left claimed or locked.
        again = run_pwh(["run", "--as-of", "2026-06-30"], env, cwd=home, timeout=900)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    # A writer stopped mid-file leaves a temp file; the next sync of that entity removes it.
    assert not list((home / "raw").rglob("*.tmp"))


@pytest.mark.long
def test_serve_starts_the_ui_and_the_daemon_and_a_second_serve_exits_2(tmp_path: Path) -> None:
    from urllib.request import urlopen

    port = closed_port()
    env = pwh_env(tmp_path / "home")
    server = subprocess.Popen(
        [str(PWH), "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        answered = False
        while time.monotonic() < deadline and not answered:
            try:
                with urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2) as response:
                    answered = response.status == 200
            except OSError:
                time.sleep(1)
        assert answered, "the webserver never answered"
        os.environ["DAGSTER_HOME"] = str(tmp_path / "home" / "dagster")
        from dagster import DagsterInstance

        from orchestration.lifecycle import daemon_alive

        with DagsterInstance.get() as instance:
            deadline = time.monotonic() + 120
            while not daemon_alive(instance) and time.monotonic() < deadline:
                time.sleep(2)
            assert daemon_alive(instance), "the daemon never sent a heartbeat"
        second = run_pwh(["serve", "--port", str(port)], env, cwd=tmp_path, timeout=120)
        assert second.returncode == 2 and "already in use" in second.stderr
        other_port = run_pwh(["ui", "--port", str(closed_port())], env, cwd=tmp_path, timeout=120)
        assert other_port.returncode == 2 and "daemon already runs" in other_port.stderr
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert server.returncode == 128 + signal.SIGTERM
