"""Fault injection: the configured share of requests fails, in each configured way, the same way per seed.

Tolerances: with rate 0.2 over 500 requests the number of faults is binomial (mean 100, sd 8.9);
each of the six kinds gets a sixth of them (mean 16.7, sd 4.0). The bounds below are about four
standard deviations wide, and since the draw is a hash of (seed, sequence number) the outcome for a
given seed is fixed: these tests cannot flake, and they would catch a rate or kind that is off.
"""

from __future__ import annotations

import contextlib
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from simulators import FaultConfig, start_simulators
from simulators.api.faults import FAULT_KINDS, decide
from simulators.api.http import SimulatorServer
from simulators.api.jira_api import JiraApp
from simulators.api.servicenow_api import ServiceNowApp
from simulators.world import store

EMAIL, TOKEN = "bot@example.com", "tok"
SN_USER, SN_PASSWORD = "sn.bot", "pw"
REQUESTS = 500


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The least a world needs for both servers to answer: credentials, a clock, a project, a user."""
    path = tmp_path_factory.mktemp("faults") / "world.sqlite"
    with contextlib.closing(store.connect(path)) as conn, conn:
        meta = {
            "now": "2026-06-30T12:00:00+00:00",
            "jira_timezone": "Europe/Berlin",
            "jira_email": EMAIL,
            "jira_api_token": TOKEN,
            "servicenow_user": SN_USER,
            "servicenow_password": SN_PASSWORD,
        }
        conn.executemany("insert into meta values (?, ?)", meta.items())
        conn.execute(
            "insert into jira_project values ('10000', 'ABC', ?)",
            (json.dumps({"id": "10000", "key": "ABC", "name": "Alpha"}),),
        )
        user = {
            "sys_id": "a" * 32,
            "sys_created_on": "2026-06-01 00:00:00",
            "sys_updated_on": "2026-06-01 00:00:00",
            "name": "Ann",
        }
        conn.execute(
            "insert into sn_record values ('sys_user', ?, ?, ?, ?)",
            (user["sys_id"], user["sys_created_on"], user["sys_updated_on"], json.dumps(user)),
        )
    return path


def outcome(http: requests.Session, url: str) -> str:
    """What a client sees: a status code, 'reset' for a dropped connection, 'truncated' for a cut body."""
    try:
        return str(http.get(url, timeout=10).status_code)
    except requests.exceptions.ChunkedEncodingError:
        return "truncated"
    except requests.exceptions.ConnectionError:
        return "reset"


def run(server: SimulatorServer, url_path: str, auth: tuple[str, str], count: int = REQUESTS) -> list[str]:
    with requests.Session() as http:
        http.auth = auth
        return [outcome(http, f"{server.url}{url_path}") for _ in range(count)]


@contextlib.contextmanager
def jira_with(world: Path, config: FaultConfig) -> Iterator[SimulatorServer]:
    with SimulatorServer(JiraApp(world), faults=config) as server:
        yield server


FAST = {"slow_seconds": 0.01, "retry_after_seconds": 7}


def test_decisions_follow_the_rate_and_spread_over_the_kinds() -> None:
    config = FaultConfig(rate=0.2, seed=11)
    decisions = [decide(config, n) for n in range(1, 60_001)]
    faults = [d.kind for d in decisions if d is not None]
    assert 0.19 < len(faults) / len(decisions) < 0.21
    per_kind = Counter(faults)
    assert set(per_kind) == set(FAULT_KINDS)
    assert all(abs(n - len(faults) / 6) < 0.1 * len(faults) / 6 for n in per_kind.values())
    assert decisions == [decide(FaultConfig(rate=0.2, seed=11), n) for n in range(1, 60_001)]
    assert decisions != [decide(FaultConfig(rate=0.2, seed=12), n) for n in range(1, 60_001)]
    assert all(decide(FaultConfig(rate=0.0), n) is None for n in range(1, 1000))


def test_fault_config_rejects_nonsense() -> None:
    for bad in ({"rate": 1.5}, {"kinds": ()}, {"kinds": ("teapot",)}, {"slow_seconds": -1}):
        with pytest.raises(ValueError):
            FaultConfig(**bad)  # type: ignore[arg-type]


def test_jira_faults_appear_at_the_configured_rate_per_kind(world: Path) -> None:
    with jira_with(world, FaultConfig(rate=0.2, seed=5, **FAST)) as server:
        outcomes = run(server, "/rest/api/3/project/search", (EMAIL, TOKEN))
        stats = server.stats()
    assert stats["requests"] == REQUESTS
    injected = stats["faults"]
    assert set(injected) == set(FAULT_KINDS)
    assert 70 <= sum(injected.values()) <= 130
    assert all(5 <= n <= 33 for n in injected.values()), injected
    seen = Counter(outcomes)
    # Every fault but "slow" is visible to the client exactly as often as the server says it injected it.
    for kind, shown in [("429", "429"), ("500", "500"), ("503", "503"), ("reset", "reset"), ("truncated", "truncated")]:
        assert seen[shown] == injected[kind], kind
    assert seen["200"] == REQUESTS - sum(n for kind, n in injected.items() if kind != "slow")


def test_servicenow_faults_appear_at_the_configured_rate(world: Path) -> None:
    config = FaultConfig(rate=0.2, seed=9, **FAST)
    with SimulatorServer(ServiceNowApp(world), faults=config) as server:
        outcomes = run(server, "/api/now/table/sys_user", (SN_USER, SN_PASSWORD))
        injected = server.stats()["faults"]
    assert 70 <= sum(injected.values()) <= 130
    assert all(5 <= n <= 33 for n in injected.values()), injected
    assert Counter(outcomes)["429"] == injected["429"]


def test_same_seed_same_faults_other_seed_other_faults(world: Path) -> None:
    def outcomes(seed: int) -> list[str]:
        with jira_with(world, FaultConfig(rate=0.3, seed=seed, **FAST)) as server:
            return run(server, "/rest/api/3/myself", (EMAIL, TOKEN), 120)

    first, again, other = outcomes(21), outcomes(21), outcomes(22)
    assert first == again
    assert first != other
    assert any(o != "200" for o in first)


def test_rate_limit_and_unavailable_headers(world: Path) -> None:
    config = FaultConfig(rate=1.0, kinds=("429", "503"), seed=2, retry_after_seconds=7)
    with jira_with(world, config) as jira, requests.Session() as http:
        responses = [http.get(f"{jira.url}/rest/api/3/myself", auth=(EMAIL, TOKEN)) for _ in range(40)]
    limited = [r for r in responses if r.status_code == 429]
    unavailable = [r for r in responses if r.status_code == 503]
    assert limited and unavailable
    for response in limited:
        assert response.headers["Retry-After"] == "7"
        assert response.headers["X-RateLimit-Remaining"] == "0"
        assert response.headers["X-RateLimit-Reset"] == "2026-06-30T12:00Z"  # the world clock + 7 s, to the minute
        assert response.json()["errorMessages"]
    # Some 503s say when to come back, some do not, as real gateways behave.
    assert {("Retry-After" in r.headers) for r in unavailable} == {True, False}
    with SimulatorServer(ServiceNowApp(world), faults=config) as servicenow, requests.Session() as http:
        response = next(
            r
            for r in (
                http.get(f"{servicenow.url}/api/now/table/sys_user", auth=(SN_USER, SN_PASSWORD)) for _ in range(20)
            )
            if r.status_code == 429
        )
    assert response.headers["Retry-After"] == "7"
    assert response.json() == {
        "error": {
            "message": "Rate limit exceeded",
            "detail": "Rate limit of 100 requests per hour for Table API exceeded",
        },
        "status": "failure",
    }


def test_a_retried_request_gets_a_fresh_draw_and_can_succeed(world: Path) -> None:
    # A seed whose first request fails, so the retry is what succeeds.
    seed = next(s for s in range(100) if decide(FaultConfig(rate=0.6, kinds=("500", "reset"), seed=s), 1))
    config = FaultConfig(rate=0.6, kinds=("500", "reset"), seed=seed)
    with jira_with(world, config) as server, requests.Session() as http:
        http.auth = (EMAIL, TOKEN)
        attempts: list[str] = []
        while not attempts or attempts[-1] != "200":
            attempts.append(outcome(http, f"{server.url}/rest/api/3/serverInfo"))
            assert len(attempts) < 50
        assert server.stats()["requests"] == len(attempts)
    assert len(attempts) > 1 and attempts[0] in ("500", "reset")


def test_truncated_bodies_promise_more_than_they_send(world: Path) -> None:
    import socket

    config = FaultConfig(rate=1.0, kinds=("truncated",), seed=1)
    with jira_with(world, config) as server:
        host, port = "127.0.0.1", server.port
        with socket.create_connection((host, port)) as sock:
            sock.sendall(b"GET /rest/api/3/myself HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
    )
    assert 0 < len(body) < length  # then the server hung up (recv returned b"")


def test_start_simulators_reports_faults_per_server(world: Path) -> None:
    with (
        start_simulators(
            world, jira_faults=FaultConfig(rate=0.5, kinds=("500",), seed=3), servicenow_faults=None
        ) as sims,
        requests.Session() as http,
    ):
        jira_codes = [
            http.get(f"{sims.jira_url}/rest/api/3/myself", auth=(sims.jira_email, sims.jira_api_token)).status_code
            for _ in range(40)
        ]
        sn_codes = [
            http.get(
                f"{sims.servicenow_url}/api/now/table/sys_user", auth=(sims.servicenow_user, sims.servicenow_password)
            ).status_code
            for _ in range(40)
        ]
        stats = sims.stats()
    assert stats["jira"] == {"requests": 40, "faults": {"500": jira_codes.count(500)}}
    assert 8 <= jira_codes.count(500) <= 32
    assert stats["servicenow"] == {"requests": 40, "faults": {}}
    assert set(sn_codes) == {200}
