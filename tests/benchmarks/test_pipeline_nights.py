"""Where a night goes, at each scale: a full `pwh run`, a night with nothing new, and a night after
the world moved one day (issue "a night that costs what changed").

Run with ``make benchmark`` (``-s`` shows the table as it is made; it is also written to
``PWH_BENCH_OUT`` when set). Scales come from ``PWH_BENCH_SCALES`` (default ``small,medium``; add
``large`` for the 10,000-person world, generated once into ``PWH_BENCH_CACHE`` and reused).

For each scale, three `pwh run`s in one home against the simulators of a private copy of the
cached world: ``--full``; again with nothing new; and after ``World.advance(1)``. For each run:

- wall time, and where it went: start-up (until `pwh` prints its first line), launch (until the
  Dagster run starts: the dbt parse, loading the definitions), then each step's own time from the
  Dagster instance's step stats (each source's sync, the raw checks, each dbt invocation, the
  checks, scenarios, publish, exports and dashboard);
- the peak RSS of the largest process of the run's whole process tree (dbt's included): the
  ``RUSAGE_CHILDREN`` high-water mark of a wrapper process that runs only that `pwh run`;
- records per second per entity from the sync log, beside the bare page-fetch rate of the same
  endpoint (plain ``requests``, JSON decoded, nothing kept: the physical limit here) for the
  entities with more than 10,000 records.

Benchmarks measure; they assert only that each run succeeded.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from tests.conftest import sims_env

ANCHOR = date(2026, 6, 30)
SEED = 7
BIG_ENTITY = 10_000  # the connector target applies to entities larger than this

# Runs `pwh` as its only child and prints the largest RSS of that child's whole tree (KiB, Linux:
# ru_maxrss of RUSAGE_CHILDREN is the high-water mark over every waited-for descendant).
_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "print('PEAK_RSS_KIB', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr)\n"
    "sys.exit(code)\n"
)


def cached_world(scale: str) -> Path:
    """The scale's world, generated once into the benchmark cache (its key includes the generator)."""
    from simulators.serve import ensure_world

    folder = Path(os.environ.get("PWH_BENCH_CACHE", tempfile.gettempdir())) / "pwh-bench"
    return ensure_world(scale, SEED, ANCHOR, folder)


@dataclass
class Night:
    """One `pwh run`: its wall time, stage times (seconds) and peak RSS."""

    name: str
    wall: float
    startup: float
    launch: float
    steps: dict[str, float] = field(default_factory=dict)
    peak_rss_mib: float = 0.0


def run_night(name: str, args: list[str], env: dict[str, str], home: Path) -> Night:
    """One `pwh run` under the RSS wrapper, timing its first line, and its steps from the instance."""
    command = [sys.executable, "-c", _WRAPPER, str(Path(sys.executable).with_name("pwh")), *args]
    began_epoch, started = time.time(), time.perf_counter()
    first_line: float | None = None
    with subprocess.Popen(
        command, env=env, cwd=home, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        for _line in proc.stdout:
            if first_line is None:
                first_line = time.perf_counter() - started
        stderr = proc.stderr.read()
        code = proc.wait()
    wall = time.perf_counter() - started
    assert code == 0, f"{name}: pwh {' '.join(args)} exited {code}\n{stderr[-3000:]}"
    peak_kib = next((int(line.split()[1]) for line in stderr.splitlines() if line.startswith("PEAK_RSS_KIB")), 0)
    steps, run_started_epoch = step_times(home)
    startup = first_line if first_line is not None else wall
    launch = run_started_epoch - began_epoch - startup if run_started_epoch is not None else 0.0
    return Night(name, wall, startup, max(0.0, launch), steps, peak_kib / 1024)


def step_times(home: Path) -> tuple[dict[str, float], float | None]:
    """Each step's seconds in the last nightly and publish runs, and when (epoch seconds) the
    nightly run started."""
    import dagster as dg
    from dagster._core.storage.dagster_run import RunsFilter

    steps: dict[str, float] = {}
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        records = instance.get_run_records(RunsFilter(), limit=2)
        for record in records:
            for stat in instance.get_run_step_stats(record.dagster_run.run_id):
                if stat.start_time is not None and stat.end_time is not None:
                    steps[stat.step_key] = steps.get(stat.step_key, 0.0) + stat.end_time - stat.start_time
    nightly = next((r for r in records if r.dagster_run.job_name == "nightly_sync"), None)
    return steps, nightly.start_time if nightly is not None else None


def sync_rates(home: Path, since_epoch: float) -> dict[str, tuple[int, float]]:
    """Records and seconds per entity of the syncs logged after ``since_epoch``."""
    from connectors.sync_log import SyncLog

    rows = SyncLog(home / "raw").read().to_pylist()
    rates: dict[str, tuple[int, float]] = {}
    for row in rows:
        if row["started_at"].timestamp() < since_epoch or row["status"] != "succeeded":
            continue
        seconds = (row["finished_at"] - row["started_at"]).total_seconds()
        rates[f"{row['source']}/{row['entity']}"] = (row["records"], seconds)
    return rates


def bare_servicenow_rate(sims, table: str) -> float:  # noqa: ANN001 (Simulators)
    """Rows per second of a keyset page loop over ``table`` with plain requests, nothing kept."""
    from connectors.servicenow.client import TABLE_FIELDS, build_table_query

    fields = ",".join(("sys_id", "sys_created_on", "sys_updated_on", *TABLE_FIELDS[table]))
    rows, after = 0, None
    started = time.perf_counter()
    with requests.Session() as http:
        http.auth = (sims.servicenow_user, sims.servicenow_password)
        while True:
            params = {
                "sysparm_query": build_table_query(None, after),
                "sysparm_fields": fields,
                "sysparm_exclude_reference_link": "true",
                "sysparm_limit": 2000,
                "sysparm_no_count": "true",
            }
            page = http.get(f"{sims.servicenow_url}/api/now/table/{table}", params=params, timeout=120).json()["result"]
            if not page:
                break
            rows += len(page)
            after = (page[-1]["sys_updated_on"], page[-1]["sys_id"])
    return rows / (time.perf_counter() - started)


def bare_jira_issue_rate(sims, fields: list[str]) -> float:  # noqa: ANN001 (Simulators)
    """Issues per second of a /search/jql page loop (the connector's fields), nothing kept."""
    rows, token = 0, None
    started = time.perf_counter()
    with requests.Session() as http:
        http.auth = (sims.jira_email, sims.jira_api_token)
        while True:
            body = {"jql": "order by id asc", "fields": fields, "maxResults": 100}
            if token:
                body["nextPageToken"] = token
            page = http.post(f"{sims.jira_url}/rest/api/3/search/jql", json=body, timeout=120).json()
            rows += len(page.get("issues", []))
            token = page.get("nextPageToken")
            if page.get("isLast", True) or not token:
                break
    return rows / (time.perf_counter() - started)


def bare_jira_worklog_rate(sims) -> float:  # noqa: ANN001 (Simulators)
    """Worklogs per second of /worklog/updated + /worklog/list (1,000 ids a call), nothing kept."""
    rows, since = 0, 0
    started = time.perf_counter()
    with requests.Session() as http:
        http.auth = (sims.jira_email, sims.jira_api_token)
        while True:
            page = http.get(f"{sims.jira_url}/rest/api/3/worklog/updated", params={"since": since}, timeout=120).json()
            ids = [item["worklogId"] for item in page.get("values", [])]
            for start in range(0, len(ids), 1000):
                listed = http.post(f"{sims.jira_url}/rest/api/3/worklog/list", json={"ids": ids[start : start + 1000]})
                rows += len(listed.json())
            if page.get("lastPage", True) or page.get("until", since) <= since:
                break
            since = page["until"]
    return rows / (time.perf_counter() - started)


def bare_rates(sims, counts: dict[str, int]) -> dict[str, float]:  # noqa: ANN001 (Simulators)
    """The bare page-fetch rate of every entity with more than BIG_ENTITY records."""
    from connectors.jira import JiraClient, JiraConfig

    rates: dict[str, float] = {}
    for entity, count in counts.items():
        if count <= BIG_ENTITY:
            continue
        source, name = entity.split("/")
        if source == "servicenow":
            rates[entity] = bare_servicenow_rate(sims, name)
        elif entity == "jira/issues":
            client = JiraClient(JiraConfig(sims.jira_url, sims.jira_email, sims.jira_api_token))
            try:
                client.custom_fields()
                rates[entity] = bare_jira_issue_rate(sims, client.issue_fields())
            finally:
                client.close()
        elif entity == "jira/worklogs":
            rates[entity] = bare_jira_worklog_rate(sims)
    return rates


def format_scale(scale: str, nights: list[Night], rates: dict[str, tuple[int, float]], bare: dict[str, float]) -> str:
    """One scale's part of the table."""
    step_names = sorted({step for night in nights for step in night.steps})
    width = max([24, *(len(s) for s in step_names)])
    lines = [f"== {scale} ==", f"{'seconds':{width}} " + " ".join(f"{n.name:>12}" for n in nights)]
    lines.append(f"{'wall':{width}} " + " ".join(f"{n.wall:>12.1f}" for n in nights))
    lines.append(f"{'start-up (first line)':{width}} " + " ".join(f"{n.startup:>12.1f}" for n in nights))
    lines.append(f"{'launch (parse, defs)':{width}} " + " ".join(f"{n.launch:>12.1f}" for n in nights))
    for step in step_names:
        lines.append(f"{step:{width}} " + " ".join(f"{n.steps.get(step, 0.0):>12.1f}" for n in nights))
    lines.append(f"{'peak RSS, MiB':{width}} " + " ".join(f"{n.peak_rss_mib:>12.0f}" for n in nights))
    lines.append("")
    lines.append(f"{'entity (full sync)':34} {'records':>9} {'records/s':>10} {'bare/s':>10} {'share':>6}")
    for entity, (records, seconds) in sorted(rates.items()):
        rate = records / seconds if seconds else 0.0
        bare_rate = bare.get(entity)
        share = f"{rate / bare_rate:>6.0%}" if bare_rate else ""
        bare_text = f"{bare_rate:>10.0f}" if bare_rate else ""
        lines.append(f"{entity:34} {records:>9} {rate:>10.0f} {bare_text:>10} {share}")
    return "\n".join(lines)


def scales() -> list[str]:
    return [s.strip() for s in os.environ.get("PWH_BENCH_SCALES", "small,medium").split(",") if s.strip()]


@pytest.mark.benchmark
@pytest.mark.parametrize("scale", scales())
def test_full_no_change_and_incremental_nights(scale: str, tmp_path: Path) -> None:
    from simulators import start_simulators
    from simulators.world import World

    world_path = tmp_path / "world.sqlite"
    shutil.copyfile(cached_world(scale), world_path)
    with World.open(world_path) as world:
        counts = world.counts()
    home = tmp_path / "home"
    home.mkdir()
    with start_simulators(world_path, finance_dir=tmp_path / "drop") as sims:
        env = sims_env(
            home,
            sims,
        )
        env.pop("PWH_EXECUTOR", None)  # the default executor, as a user runs it
        full_began = time.time()
        nights = [run_night("full", ["run", "--full", "--as-of", ANCHOR.isoformat()], env, home)]
        rates = sync_rates(home, full_began)
        nights.append(run_night("no-change", ["run", "--as-of", ANCHOR.isoformat()], env, home))
        with World.open(world_path) as world:
            world.advance(1)
        next_day = (ANCHOR + timedelta(days=1)).isoformat()
        nights.append(run_night("incremental", ["run", "--as-of", next_day], env, home))
        bare = bare_rates(sims, counts)

    table = format_scale(scale, nights, rates, bare)
    print("\n" + table)
    out = os.environ.get("PWH_BENCH_OUT")
    if out:
        with open(out, "a") as handle:
            handle.write(table + "\n\n")
            handle.write(json.dumps({"scale": scale, "nights": [n.__dict__ for n in nights]}) + "\n")
