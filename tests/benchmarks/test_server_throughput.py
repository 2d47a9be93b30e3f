"""Requests per second each simulated server sustains for a 100-record page, over keep-alive.

Run with ``make benchmark`` or ``pytest -m benchmark tests/benchmarks/test_server_throughput.py -s``.
The page is what the connectors ask for: Jira ``search/jql`` with an epoch-ms bound and the
docs/contract.md §3.6 field list; ServiceNow ``time_card`` with a ``sys_updated_on`` window, plain values
and no reference links. Each is measured with 1 and 4 client threads (one keep-alive session
each), for a few seconds, with the servers in a process of their own (``python -m simulators``, as
``pwh simulate`` runs them) and in this process (as the tests and ``pwh demo`` run them, where
clients and servers share one GIL). Figures are printed, not asserted: the assertions are that every
answer was a full, correct page.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from simulators import start_simulators

REPO_ROOT = Path(__file__).resolve().parents[2]
SECONDS = 4.0
JIRA_FIELDS = (
    "summary,issuetype,status,priority,assignee,reporter,project,parent,created,updated,resolutiondate,"
    "duedate,labels,components,fixVersions,timeoriginalestimate,timespent,issuelinks,customfield_10016,customfield_10020"
)


@contextmanager
def simulators_in_a_process(world: Path) -> Iterator[dict[str, str]]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "simulators", "--world", str(world)],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        yield json.loads(process.stdout.readline())
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)


@contextmanager
def simulators_in_this_process(world: Path) -> Iterator[dict[str, str]]:
    with start_simulators(world) as sims:
        yield json.loads(sims.as_json())


def jira_page(config: dict[str, str]) -> Callable[[requests.Session, int], None]:
    url = f"{config['jira_url']}/rest/api/3/search/jql"
    params = {"jql": "updated >= 0 ORDER BY updated ASC, key ASC", "maxResults": 100, "fields": JIRA_FIELDS}

    def fetch(http: requests.Session, _: int) -> None:
        response = http.get(url, params=params, auth=(config["jira_email"], config["jira_api_token"]))
        assert response.status_code == 200 and len(response.json()["issues"]) == 100

    return fetch


def servicenow_page(config: dict[str, str]) -> Callable[[requests.Session, int], None]:
    url = f"{config['servicenow_url']}/api/now/table/time_card"

    def fetch(http: requests.Session, n: int) -> None:
        response = http.get(
            url,
            auth=(config["servicenow_user"], config["servicenow_password"]),
            params={
                "sysparm_query": "sys_updated_on>=2000-01-01 00:00:00^ORDERBYsys_updated_on^ORDERBYsys_id",
                "sysparm_limit": 100,
                "sysparm_offset": (n % 14) * 100,  # walk the first 1400 cards
                "sysparm_exclude_reference_link": "true",
                "sysparm_display_value": "false",
            },
        )
        assert response.status_code == 200 and len(response.json()["result"]) == 100

    return fetch


def requests_per_second(fetch: Callable[[requests.Session, int], None], threads: int) -> float:
    done = [0] * threads
    errors: list[BaseException] = []
    deadline = time.perf_counter() + SECONDS

    def client(slot: int) -> None:
        try:
            with requests.Session() as http:
                fetch(http, 0)  # open the keep-alive connection before the clock matters
                while time.perf_counter() < deadline:
                    fetch(http, done[slot])
                    done[slot] += 1
        except BaseException as exc:  # noqa: BLE001 - reported below, after the threads join
            errors.append(exc)

    start = time.perf_counter()
    workers = [threading.Thread(target=client, args=(slot,)) for slot in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    assert not errors, errors[0]
    return sum(done) / elapsed


@pytest.mark.benchmark
@pytest.mark.parametrize("placement", ["own process", "this process"])
def test_server_throughput_for_a_100_record_page(small_world_path: Path, placement: str) -> None:
    start = simulators_in_a_process if placement == "own process" else simulators_in_this_process
    results: dict[str, float] = {}
    with start(small_world_path) as config:
        for server, page in (("jira", jira_page(config)), ("servicenow", servicenow_page(config))):
            for threads in (1, 4):
                results[f"{server} x{threads}"] = requests_per_second(page, threads)
    print(f"\nservers in {placement}: " + ", ".join(f"{name}: {rate:.0f} req/s" for name, rate in results.items()))
    assert all(rate > 0 for rate in results.values())
