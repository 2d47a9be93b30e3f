"""The one HTTP session policy every API client uses: timeouts, retries, backoff, clear errors.

Both source APIs (Jira Cloud, ServiceNow) throttle and fail transiently in the same ways, so the
rules live here once:

- Retried: HTTP 429, 500, 502, 503, 504; connection errors (refused, reset); read timeouts;
  truncated bodies (a body shorter than its Content-Length makes urllib3 raise ``IncompleteRead``,
  which requests surfaces as ``ChunkedEncodingError``); a 2xx body that is not valid JSON.
- Not retried: every other 4xx. They mean the request or the credentials are wrong, and asking
  again changes nothing.
- Backoff: exponential with full jitter (``uniform(0, min(max, base * 2**n))``), unless the server
  sent ``Retry-After`` (seconds or an HTTP date), which is honoured in full — no cap, unlike the
  ``jira`` library's 60 s. A wait that would overrun the total retry budget gives up at once with a
  message saying so, instead of sleeping and failing later.
- Give-up: one exception type, :class:`SourceError`, whose message names the source, the method,
  the URL (credentials stripped) and the status, and says what to check.
- Redirects: followed only on the configured origin (scheme, host and port of the base URL) and
  only where the method survives (any GET; a POST on 307/308). A redirect to another origin is
  refused with a :class:`SourceError` naming the URL setting: the answer would come from another
  site, and a full sync would take that site's records for the source's and delete the rest.

Secrets (API tokens, passwords) never reach a message, a log line or a repr: URLs are stripped of
user info and secret-looking query parameters, and any text taken from a response body is
scrubbed of the client's known secrets before it is used.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import random
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

# Query parameters whose values are never shown, whatever the source.
_SECRET_PARAMS = frozenset(
    {
        "password",
        "passwd",
        "token",
        "api_token",
        "apitoken",
        "access_token",
        "secret",
        "client_secret",
        "key",
        "apikey",
        "api_key",
        "sig",
        "signature",
        "auth",
        "authorization",
    }
)

USER_AGENT = "portfolio-warehouse/0.1 (+https://github.com/portfolio-warehouse)"

# A paged read may take this much more than the source's own count of rows says: rows added while
# it pages, and pages that ACLs or filters leave short. Beyond it the source is inventing pages.
COUNT_MARGIN_RATIO = 0.1
COUNT_MARGIN_PAGES = 5

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Redirects that keep the method and body; the others turn a POST into a GET without its body.
METHOD_KEEPING_REDIRECTS = frozenset({307, 308})
MAX_REDIRECTS = 5


@dataclass(frozen=True)
class HttpPolicy:
    """Timeouts and the retry rules for one API client (seconds throughout)."""

    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    max_attempts: int = 8
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    # Total time a single request may spend waiting between attempts before giving up.
    retry_budget_seconds: float = 300.0
    # Until the source has answered once, a request gets only this much waiting: a URL on a
    # closed port or an unknown host is a setting to fix, and the night should say so in seconds
    # rather than minutes. Once it has answered, a refused connection is a blip and gets the
    # whole budget above.
    first_contact_budget_seconds: float = 8.0
    jitter: bool = True

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("HttpPolicy.max_attempts must be at least 1")
        if (
            self.backoff_base < 0
            or self.backoff_max < 0
            or self.retry_budget_seconds < 0
            or self.first_contact_budget_seconds < 0
        ):
            raise ValueError("HttpPolicy backoff and budget values must not be negative")

    def backoff(self, retry_number: int, rng: random.Random) -> float:
        """Seconds to wait before retry ``retry_number`` (1 for the first retry): full jitter."""
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** (retry_number - 1)))
        return rng.uniform(0, ceiling) if self.jitter else ceiling


class SourceConfigError(ValueError):
    """A source is set up in a way that cannot work (a URL without a scheme, a missing drop
    folder, a JQL scope with ORDER BY): the message names the setting to fix. Retrying is futile."""


class SourceError(Exception):
    """A source could not be read: wrong credentials, a bad request, or retries exhausted.

    ``url`` never carries credentials; ``status`` is None when no HTTP answer came back
    (connection refused, timeout, truncated body).
    """

    def __init__(
        self,
        message: str,
        *,
        source: str,
        method: str = "",
        url: str = "",
        status: int | None = None,
        attempts: int = 0,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.method = method
        self.url = url
        self.status = status
        self.attempts = attempts

    def __repr__(self) -> str:
        return (
            f"SourceError(source={self.source!r}, method={self.method!r}, url={self.url!r}, "
            f"status={self.status!r}, attempts={self.attempts!r}, message={self.message!r})"
        )


@dataclass
class RequestStats:
    """Counters for run metadata: requests sent, retries made, answers by status."""

    requests: int = 0
    retries: int = 0
    by_status: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def snapshot(self) -> RequestStats:
        return RequestStats(self.requests, self.retries, Counter(self.by_status), Counter(self.errors))

    def since(self, earlier: RequestStats) -> RequestStats:
        """What happened between ``earlier`` (a snapshot) and now."""
        return RequestStats(
            self.requests - earlier.requests,
            self.retries - earlier.retries,
            self.by_status - earlier.by_status,
            self.errors - earlier.errors,
        )


def safe_url(url: str) -> str:
    """The URL with user info removed and secret-looking query values masked."""
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, "***" if k.lower() in _SECRET_PARAMS else v) for k, v in pairs], safe=",^=/:*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def pages_for_count(count: int, page_size: int) -> int:
    """How many pages a read of ``count`` rows (the source's own count) may take, margin included."""
    return math.ceil(max(count, 0) * (1 + COUNT_MARGIN_RATIO) / max(page_size, 1)) + COUNT_MARGIN_PAGES


def origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) of a URL, the port made explicit: what "the same site" means here."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date); None if absent/bad."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        now = now or datetime.now(UTC)
        return max(0.0, (when - now).total_seconds())
    return max(0.0, seconds)


def _status_advice(status: int, auth_hint: str) -> str:
    if status == 401:
        return f"check {auth_hint}"
    if status == 403:
        return "the account authenticated but may not read this; check its roles and permissions"
    if status == 404:
        return "check the base URL and that the endpoint or table exists on this instance"
    if status == 410:
        return "this API was removed by the vendor; the connector needs updating"
    if status == 400:
        return "the request was rejected as invalid; check the query or scope settings"
    if status in RETRY_STATUSES:
        return "the service kept failing or throttling; try again later"
    return "check the service status and the connector configuration"


class _RetryableBody(Exception):
    """A 2xx answer whose body could not be used (truncated or not JSON)."""


class HttpClient:
    """One ``requests.Session`` with the policy applied; every API client owns one.

    ``source`` is the name used in messages ("Jira", "ServiceNow"); ``auth_hint`` names what to
    check on a 401 (e.g. "JIRA_EMAIL and JIRA_API_TOKEN"), ``url_hint`` what to check when nothing
    answers (e.g. "JIRA_URL"); ``secrets`` are scrubbed from any text taken from responses.
    """

    def __init__(
        self,
        *,
        source: str,
        base_url: str,
        auth: tuple[str, str] | None,
        auth_hint: str,
        url_hint: str = "",
        policy: HttpPolicy | None = None,
        verify: bool | str = True,
        secrets: Sequence[str] = (),
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise SourceConfigError(f"{source} URL must start with http:// or https://, got {safe_url(base_url)!r}")
        self.source = source
        self.base_url = base_url.rstrip("/")
        self.auth_hint = auth_hint
        self.url_hint = url_hint or f"the {source} URL"
        self.policy = policy or HttpPolicy()
        self.stats = RequestStats()
        # Whether the source has ever answered this client (any HTTP status): see
        # HttpPolicy.first_contact_budget_seconds.
        self._answered = False
        self._secrets = tuple(s for s in secrets if s)
        self._rng = random.Random()
        self._session = requests.Session()
        # Retries are ours (with budget and Retry-After); urllib3 must not retry underneath.
        adapter = HTTPAdapter(max_retries=0, pool_connections=4, pool_maxsize=4)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.auth = auth
        # Passed on every request as well: requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE from
        # the environment override a session-level `verify` (psf/requests#3829), which would
        # silently drop the CA bundle configured for this source.
        self._verify = verify
        self._session.verify = verify
        self._session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})

    def __repr__(self) -> str:
        return f"HttpClient(source={self.source!r}, base_url={safe_url(self.base_url)!r})"

    def close(self) -> None:
        self._session.close()

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"

    def scrub(self, text: str) -> str:
        """Text with every known secret replaced by ***."""
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def get_json(
        self, path: str, params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None
    ) -> tuple[Any, requests.Response]:
        return self.request_json("GET", path, params=params)

    def post_json(self, path: str, body: Any, params: Mapping[str, Any] | None = None) -> tuple[Any, requests.Response]:
        return self.request_json("POST", path, params=params, json_body=body)

    def request_json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        json_body: Any = None,
    ) -> tuple[Any, requests.Response]:
        """Send one request under the policy and return (decoded JSON, response).

        Raises :class:`SourceError` when the answer is a non-retryable error or the retries
        (attempts or time budget) run out.
        """
        url = self.url(path)
        shown = safe_url(url)
        policy = self.policy
        started = time.monotonic()
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            self.stats.requests += 1
            status: int | None = None
            retry_after: float | None = None
            try:
                response = self._send(method, url, params, json_body)
                status = response.status_code
                self._answered = True
                self.stats.by_status[status] += 1
                if 200 <= status < 300:
                    return self._decode(response), response
                if status not in RETRY_STATUSES:
                    raise SourceError(
                        self._status_message(method, shown, status, response, attempt),
                        source=self.source,
                        method=method,
                        url=shown,
                        status=status,
                        attempts=attempt,
                    )
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                problem = f"HTTP {status}"
            except requests.exceptions.SSLError as exc:
                if _is_certificate_problem(exc):
                    # A certificate that does not verify will not verify on the next attempt.
                    raise SourceError(
                        f"{self.source} TLS certificate for {shown} could not be verified: "
                        f"{self.scrub(_ssl_reason(exc))} — set PWH_CA_BUNDLE to the CA bundle that signed "
                        "it, or fix the URL's host name",
                        source=self.source,
                        method=method,
                        url=shown,
                        status=None,
                        attempts=attempt,
                    ) from None
                self.stats.errors[type(exc).__name__] += 1
                problem = "a TLS error during the handshake"
            except (
                requests.ConnectionError,
                requests.Timeout,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
                _RetryableBody,
            ) as exc:
                kind = type(exc).__name__
                self.stats.errors[kind] += 1
                problem = self._describe_exception(exc)
            except requests.RequestException as exc:
                # Invalid URL, bad TLS bundle path, ...: configuration, not transience.
                raise SourceError(
                    f"{self.source} request {method} {shown} could not be sent: "
                    f"{self.scrub(self._describe_exception(exc))} — check the {self.source} URL and TLS settings",
                    source=self.source,
                    method=method,
                    url=shown,
                    status=None,
                    attempts=attempt,
                ) from None

            budget = policy.retry_budget_seconds
            if not self._answered:
                budget = min(budget, policy.first_contact_budget_seconds)
            remaining = budget - (time.monotonic() - started)
            if attempt >= policy.max_attempts:
                raise SourceError(
                    f"{self.source} {method} {shown} failed with {problem} after "
                    f"{attempt} attempts ({waited:.1f} s of waiting) — {self._give_up_advice(status)}",
                    source=self.source,
                    method=method,
                    url=shown,
                    status=status,
                    attempts=attempt,
                )
            if retry_after is not None:
                delay = retry_after
                if delay > remaining:
                    raise SourceError(
                        f"{self.source} {method} {shown} failed with {problem} and asked to wait "
                        f"{delay:.0f} s (Retry-After), more than the {max(remaining, 0):.0f} s left of the "
                        f"retry budget — try again later",
                        source=self.source,
                        method=method,
                        url=shown,
                        status=status,
                        attempts=attempt,
                    )
            else:
                delay = min(policy.backoff(attempt, self._rng), max(remaining, 0.0))
                if remaining <= 0:
                    raise SourceError(
                        f"{self.source} {method} {shown} failed with {problem} and the "
                        f"{budget:.0f} s retry budget is spent after {attempt} attempts — "
                        f"{self._give_up_advice(status)}",
                        source=self.source,
                        method=method,
                        url=shown,
                        status=status,
                        attempts=attempt,
                    )
            self.stats.retries += 1
            log.warning("%s %s %s: %s; retry %d in %.2f s", self.source, method, shown, problem, attempt, delay)
            time.sleep(delay)
            waited += delay

    def _send(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | Sequence[tuple[str, Any]] | None,
        json_body: Any,
    ) -> requests.Response:
        """One request, following redirects that stay on the configured site (see the module doc)."""
        policy = self.policy
        for _ in range(MAX_REDIRECTS + 1):
            response = self._session.request(
                method,
                url,
                params=params,
                json=json_body,
                verify=self._verify,
                timeout=(policy.connect_timeout, policy.read_timeout),
                # requests would follow any redirect, to any host, and turn a POST into a GET
                allow_redirects=False,
            )
            if response.status_code not in REDIRECT_STATUSES:
                return response
            self._answered = True
            self.stats.by_status[response.status_code] += 1
            target = self._redirect_target(method, response)
            response.close()
            # The Location carries its own query string.
            url, params = target, None
        raise SourceError(
            f"{self.source} redirected {method} {safe_url(url)} more than {MAX_REDIRECTS} times — "
            f"check {self.url_hint}",
            source=self.source,
            method=method,
            url=safe_url(url),
            status=None,
        )

    def _redirect_target(self, method: str, response: requests.Response) -> str:
        """Where a redirect points, if it may be followed; otherwise a SourceError saying why not."""
        status = response.status_code
        shown = safe_url(response.url)
        location = response.headers.get("Location", "")
        if not location:
            raise SourceError(
                f"{self.source} answered {status} for {method} {shown} without a Location — check {self.url_hint}",
                source=self.source,
                method=method,
                url=shown,
                status=status,
            )
        target = urljoin(response.url, location)
        if origin(target) != origin(self.base_url):
            # Whatever the other site answers is not this source's data: a full sync would land it
            # and tombstone every real record it lacks. requests would also drop our credentials
            # on the way, so the other site answers as an anonymous caller.
            raise SourceError(
                f"{self.source} redirected {method} {shown} to another site, {safe_url(target)}; "
                f"not followed — check {self.url_hint} (if the site moved, set it to the new address)",
                source=self.source,
                method=method,
                url=shown,
                status=status,
            )
        if method != "GET" and status not in METHOD_KEEPING_REDIRECTS:
            raise SourceError(
                f"{self.source} redirected {method} {shown} with {status}, which would resend it as a GET "
                f"without its body; not followed — check {self.url_hint}",
                source=self.source,
                method=method,
                url=shown,
                status=status,
            )
        return target

    def _decode(self, response: requests.Response) -> Any:
        # response.content was read in full by requests (stream=False); a short body already
        # raised ChunkedEncodingError there. What is left: an empty or non-JSON body.
        if response.status_code == 204 or not response.content:
            if response.request.method == "GET":
                raise _RetryableBody("empty body")
            return None
        try:
            return json.loads(response.content)
        except ValueError:
            raise _RetryableBody(
                f"a body of {len(response.content)} bytes that is not JSON "
                f"(Content-Type {response.headers.get('Content-Type', 'missing')})"
            ) from None

    def _describe_exception(self, exc: Exception) -> str:
        if isinstance(exc, _RetryableBody):
            return f"200 with {exc}"
        if isinstance(exc, requests.exceptions.ChunkedEncodingError):
            return "a truncated body (connection closed before Content-Length bytes)"
        if isinstance(exc, requests.Timeout):
            return f"no answer in time ({type(exc).__name__})"
        if isinstance(exc, requests.ConnectionError):
            return f"a connection error ({type(exc).__name__})"
        return type(exc).__name__

    def _give_up_advice(self, status: int | None) -> str:
        """What to do after retries ran out: no answer at all points at the URL and the network."""
        if status is None:
            return f"check {self.url_hint}, the network and any proxy, or try again later"
        return _status_advice(status, self.auth_hint)

    def _status_message(self, method: str, shown: str, status: int, response: requests.Response, attempt: int) -> str:
        detail = self.scrub(_error_detail(response))
        detail = f" ({detail})" if detail else ""
        return (
            f"{self.source} answered {status} for {method} {shown}{detail} — {_status_advice(status, self.auth_hint)}"
        )


def _is_certificate_problem(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(
        m in text
        for m in ("certificate verify failed", "hostname mismatch", "doesn't match", "self-signed", "self signed")
    )


def _ssl_reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("certificate verify failed", "hostname mismatch"):
        index = text.lower().find(marker)
        if index >= 0:
            # "certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)')"
            return text[index : index + 160].split("'")[0].split(" (_ssl.c")[0].split(")")[0].strip()
    return type(exc).__name__


def _error_detail(response: requests.Response) -> str:
    """A short human message from a Jira or ServiceNow error body, if there is one."""
    try:
        body = response.json()
    except ValueError:
        return ""
    parts: list[str] = []
    if isinstance(body, dict):
        messages = body.get("errorMessages")
        if isinstance(messages, list):
            parts.extend(str(m) for m in messages)
        errors = body.get("errors")
        if isinstance(errors, dict):
            parts.extend(f"{k}: {v}" for k, v in errors.items())
        error = body.get("error")
        if isinstance(error, dict):
            parts.extend(str(error.get(k)) for k in ("message", "detail") if error.get(k))
        elif isinstance(error, str):
            parts.append(error)
    text = "; ".join(p for p in parts if p)
    return text[:300]
