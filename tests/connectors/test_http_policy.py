"""The one HTTP policy: what is retried, how long it waits, how it gives up, what it never leaks."""

from __future__ import annotations

import logging
import random
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from scripted_http import Answer, ScriptedServer

from connectors.http import HttpClient, HttpPolicy, SourceError, parse_retry_after, safe_url

pytestmark = pytest.mark.slow

SECRET = "s3cr3t-T0KEN-value"
FAST = HttpPolicy(
    connect_timeout=2, read_timeout=2, max_attempts=6, backoff_base=0.01, backoff_max=0.05, retry_budget_seconds=30
)


def client_for(url: str, policy: HttpPolicy = FAST) -> HttpClient:
    return HttpClient(
        source="Jira",
        base_url=url,
        auth=("me@example.com", SECRET),
        auth_hint="JIRA_EMAIL and JIRA_API_TOKEN",
        policy=policy,
        secrets=(SECRET,),
    )


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried_until_success(status: int) -> None:
    with ScriptedServer([Answer(status, {"errorMessages": ["busy"]}), Answer(200, {"ok": True})]) as server:
        client = client_for(server.url)
        data, _ = client.get_json("/rest/api/3/myself")
    assert data == {"ok": True}
    assert client.stats.requests == 2
    assert client.stats.retries == 1
    assert client.stats.by_status[status] == 1 and client.stats.by_status[200] == 1


def test_connection_reset_truncated_body_and_non_json_are_retried() -> None:
    answers = [
        Answer(reset=True),
        Answer(200, {"values": list(range(200))}, truncate=True),
        Answer(200, b"<html>proxy error</html>", headers={"Content-Type": "text/html"}),
        Answer(200, {"ok": 1}),
    ]
    with ScriptedServer(answers) as server:
        client = client_for(server.url)
        data, _ = client.get_json("/x")
    assert data == {"ok": 1}
    assert client.stats.retries == 3
    assert set(client.stats.errors) >= {"ChunkedEncodingError", "_RetryableBody"}


def test_read_timeout_is_retried() -> None:
    policy = HttpPolicy(
        connect_timeout=1,
        read_timeout=0.3,
        max_attempts=3,
        backoff_base=0.01,
        backoff_max=0.01,
        retry_budget_seconds=10,
    )
    with ScriptedServer([Answer(200, {"late": 1}, delay=1.0), Answer(200, {"ok": 1})]) as server:
        client = client_for(server.url, policy)
        data, _ = client.get_json("/x")
    assert data == {"ok": 1}
    assert client.stats.errors["ReadTimeout"] == 1


def test_retry_after_seconds_is_honoured_in_full() -> None:
    # Backoff alone would wait at most 0.05 s; the 1 s Retry-After must win.
    with ScriptedServer([Answer(429, {}, headers={"Retry-After": "1"}), Answer(200, {"ok": 1})]) as server:
        client = client_for(server.url)
        started = datetime.now(UTC)
        client.get_json("/x")
        elapsed = datetime.now(UTC) - started
    assert elapsed >= timedelta(seconds=1)


def test_retry_after_beyond_budget_gives_up_at_once_with_a_clear_error() -> None:
    policy = HttpPolicy(max_attempts=5, backoff_base=0.01, backoff_max=0.01, retry_budget_seconds=5)
    with ScriptedServer([Answer(429, {}, headers={"Retry-After": "120"}), Answer(200, {"ok": 1})]) as server:
        client = client_for(server.url, policy)
        with pytest.raises(SourceError) as caught:
            client.get_json("/rest/api/3/search/jql")
        assert len(server.seen) == 1
    error = caught.value
    assert error.status == 429 and error.attempts == 1
    assert "120 s (Retry-After)" in str(error) and "retry budget" in str(error)


def test_parse_retry_after_accepts_seconds_and_http_dates() -> None:
    now = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7", now) == 7
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90
    assert parse_retry_after(format_datetime(now - timedelta(seconds=5), usegmt=True), now) == 0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_gives_up_after_max_attempts_naming_source_endpoint_and_status() -> None:
    policy = HttpPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.01, retry_budget_seconds=10)
    with ScriptedServer([Answer(503, {})] * 3) as server:
        client = client_for(server.url, policy)
        with pytest.raises(SourceError) as caught:
            client.get_json("/rest/api/3/project/search")
    error = caught.value
    assert (error.source, error.method, error.status, error.attempts) == ("Jira", "GET", 503, 3)
    assert error.url.endswith("/rest/api/3/project/search")
    assert "Jira GET" in str(error) and "failed with HTTP 503" in str(error) and "after 3 attempts" in str(error)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_client_errors_are_not_retried(status: int) -> None:
    with ScriptedServer([Answer(status, {"errorMessages": ["nope"]}), Answer(200, {})]) as server:
        client = client_for(server.url)
        with pytest.raises(SourceError) as caught:
            client.get_json("/rest/api/3/myself")
        assert len(server.seen) == 1
    assert caught.value.status == status and caught.value.attempts == 1
    assert f"Jira answered {status} for GET" in str(caught.value)


def test_401_message_says_what_to_check() -> None:
    with ScriptedServer([Answer(401, {"errorMessages": ["unauthorised"]})]) as server:
        client = client_for(server.url)
        with pytest.raises(SourceError) as caught:
            client.get_json("/rest/api/3/myself")
    assert str(caught.value).startswith(f"Jira answered 401 for GET {server.url}/rest/api/3/myself")
    assert "check JIRA_EMAIL and JIRA_API_TOKEN" in str(caught.value)


def test_secrets_never_appear_in_errors_reprs_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    # The server echoes the token back in its error body, and the configured URL carries
    # credentials; logging is at DEBUG so urllib3's request lines are captured too. (Our
    # clients send secrets only in the Authorization header, which nothing logs.)
    answers = [Answer(503, {}), Answer(400, {"errorMessages": [f"bad token {SECRET}"]})]
    caplog.set_level(logging.DEBUG)
    with ScriptedServer(answers) as server:
        host = server.url.removeprefix("http://")
        client = client_for(f"http://me%40example.com:{SECRET}@{host}")
        with pytest.raises(SourceError) as caught:
            client.get_json("/x", {"page": 2})
        assert server.seen[0].headers.get("Authorization", "").startswith("Basic ")
    error = caught.value
    for text in (str(error), repr(error), error.url, repr(client), caplog.text):
        assert SECRET not in text
    assert "bad token ***" in str(error)
    assert "me%40example.com" not in error.url


def test_safe_url_strips_user_info_and_secret_parameters() -> None:
    assert safe_url("https://u:p@x.example:8443/a?password=p&sysparm_limit=5") == (
        "https://x.example:8443/a?password=***&sysparm_limit=5"
    )


def test_backoff_is_full_jitter_bounded_by_max() -> None:
    policy = HttpPolicy(backoff_base=1, backoff_max=8)
    rng = random.Random(3)
    waits = [policy.backoff(n, rng) for n in range(1, 10) for _ in range(50)]
    assert all(0 <= w <= 8 for w in waits)
    assert max(waits) > 4  # reaches the cap region, not a fixed delay
    assert HttpPolicy(backoff_base=1, backoff_max=8, jitter=False).backoff(3, rng) == 4


def test_connection_refused_gives_up_with_source_error() -> None:
    policy = HttpPolicy(
        connect_timeout=0.5, max_attempts=2, backoff_base=0.01, backoff_max=0.01, retry_budget_seconds=5
    )
    with ScriptedServer([]) as server:
        url = server.url
    client = client_for(url, policy)
    with pytest.raises(SourceError) as caught:
        client.get_json("/rest/api/3/myself")
    assert caught.value.status is None and caught.value.attempts == 2
    assert "connection error" in str(caught.value)
    # Nothing answered: the advice points at the URL and the network, not at throttling.
    assert "check the Jira URL, the network" in str(caught.value) and "answered" not in str(caught.value)


def test_a_source_that_never_answered_fails_within_seconds_naming_the_setting() -> None:
    # A URL on a closed port is a setting to fix: the default policy gives it seconds, not minutes.
    with ScriptedServer([]) as server:
        url = server.url
    client = HttpClient(
        source="Jira",
        base_url=url,
        auth=("me@example.com", SECRET),
        auth_hint="JIRA_EMAIL and JIRA_API_TOKEN",
        url_hint="JIRA_URL",
    )
    started = time.monotonic()
    with pytest.raises(SourceError) as caught:
        client.get_json("/rest/api/3/myself")
    elapsed = time.monotonic() - started
    assert elapsed < HttpPolicy().first_contact_budget_seconds + 2, elapsed
    assert caught.value.attempts >= 2  # a blip still gets a retry
    assert "check JIRA_URL, the network" in str(caught.value)


def test_once_the_source_answered_a_refused_connection_gets_the_whole_budget() -> None:
    policy = HttpPolicy(
        connect_timeout=2,
        read_timeout=2,
        max_attempts=8,
        backoff_base=0.1,
        backoff_max=0.1,
        retry_budget_seconds=30,
        first_contact_budget_seconds=0.05,
        jitter=False,
    )
    answers = [
        Answer(200, {"ok": 1}),
        Answer(reset=True),
        Answer(reset=True),
        Answer(reset=True),
        Answer(200, {"ok": 2}),
    ]
    with ScriptedServer(answers) as server:
        client = client_for(server.url, policy)
        first, _ = client.get_json("/first")
        second, _ = client.get_json("/second")
    assert (first, second) == ({"ok": 1}, {"ok": 2})
    assert client.stats.retries == 3  # 0.3 s of waiting: far beyond the first-contact budget


def test_a_redirect_on_the_same_site_is_followed_with_the_credentials() -> None:
    with ScriptedServer() as server:
        server.answers = [Answer(301, headers={"Location": f"{server.url}/moved?x=1"}), Answer(200, {"ok": 1})]
        client = client_for(server.url)
        data, _ = client.get_json("/old")
    assert data == {"ok": 1}
    assert [s.path for s in server.seen] == ["/old", "/moved"] and server.seen[1].query == {"x": ["1"]}
    assert server.seen[1].headers.get("Authorization", "").startswith("Basic ")


def test_a_redirect_to_another_site_or_port_is_refused_naming_the_url_setting() -> None:
    with ScriptedServer() as other, ScriptedServer() as server:
        server.answers = [Answer(302, headers={"Location": f"{other.url}/rest/api/3/myself"})]
        client = HttpClient(
            source="Jira",
            base_url=server.url,
            auth=("me", SECRET),
            auth_hint="x",
            url_hint="JIRA_URL",
            policy=FAST,
            secrets=(SECRET,),
        )
        with pytest.raises(SourceError, match="another site") as caught:
            client.get_json("/rest/api/3/myself")
    assert "JIRA_URL" in caught.value.message and other.seen == []


def test_a_post_redirected_as_a_get_is_refused() -> None:
    with ScriptedServer() as server:
        server.answers = [Answer(303, headers={"Location": f"{server.url}/elsewhere"})]
        with pytest.raises(SourceError, match="resend it as a GET"):
            client_for(server.url).post_json("/search", {"jql": "x"})
    assert len(server.seen) == 1
