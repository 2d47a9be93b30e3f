"""The HTTP server both simulated APIs run on: keep-alive, one write per response, faults, TLS.

An *app* (the Jira or the ServiceNow API) turns a parsed :class:`Request` into a :class:`Response`;
:class:`SimulatorServer` does everything around it. Two details matter for speed on loopback:
``TCP_NODELAY`` on every accepted socket, and each response written with a single ``sendall`` of
the complete bytes; without them Nagle's algorithm and delayed ACKs stall every keep-alive response
by ~40 ms. Each connection (one thread, as in ThreadingHTTPServer) opens its own read-only SQLite
connection to the world file, and every request runs in one read transaction, so it sees one
consistent snapshot even while a test advances the world.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import logging
import socket
import sqlite3
import ssl
import struct
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from email.utils import format_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from simulators.api.faults import Fault, FaultConfig, decide
from simulators.world import store

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 16 * 1024 * 1024
IDLE_TIMEOUT_SECONDS = 300
TLS_HANDSHAKE_TIMEOUT_SECONDS = 10


class BadRequest(Exception):
    """The request cannot be read (bad framing, oversized body)."""


@dataclass(frozen=True)
class Request:
    """One parsed HTTP request, as an app sees it."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    headers: Message
    body: bytes
    base_url: str

    def param(self, name: str) -> str | None:
        """The first value of query parameter ``name``, or None."""
        for key, value in self.query:
            if key == name:
                return value
        return None

    def params(self, name: str) -> list[str]:
        """Every value of a repeatable query parameter, in order."""
        return [value for key, value in self.query if key == name]

    def json(self) -> Any:
        """The body parsed as JSON (raises ValueError when it is not)."""
        return json.loads(self.body.decode("utf-8")) if self.body else None


@dataclass
class Response:
    """What an app answers; the server adds framing headers and writes it in one piece."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = "application/json;charset=UTF-8"


def json_response(status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()) -> Response:
    """A compact UTF-8 JSON response, as both real services send."""
    # check_circular off: payloads are plain trees, and the check costs a quarter of encoding time.
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, check_circular=False).encode("utf-8")
    return Response(status=status, body=body, headers=list(headers))


def http_date(moment: datetime) -> str:
    """An RFC 9110 ``Date`` header value for an aware datetime."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def basic_credentials(request: Request) -> tuple[str, str] | None:
    """The user and secret of a ``Basic`` Authorization header, or None when absent or malformed."""
    header = request.headers.get("Authorization")
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, secret = decoded.partition(":")
    return (user, secret) if sep else None


def credentials_match(request: Request, user: str, secret: str) -> bool:
    """Whether the request carries exactly these Basic credentials (constant-time comparison)."""
    given = basic_credentials(request)
    if given is None or not user or not secret:
        return False  # a world without credentials admits no one
    return hmac.compare_digest(given[0].encode(), user.encode()) & hmac.compare_digest(
        given[1].encode(), secret.encode()
    )


def world_now(meta: dict[str, str]) -> datetime:
    """The world's clock (meta ``now``): the only "now" a simulated server ever answers with."""
    text = meta.get("now")
    if not text:
        raise RuntimeError("the world file has no 'now' in its meta table")
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class App(Protocol):
    """A simulated API served by :class:`SimulatorServer`."""

    name: str
    world_path: Path

    def handle(self, request: Request, db: sqlite3.Connection) -> Response:
        """Answer one request from the world file."""
        ...

    def fault_response(self, fault: Fault, config: FaultConfig, request: Request, db: sqlite3.Connection) -> Response:
        """The API's own 429 / 500 / 503 answer for an injected fault."""
        ...

    def internal_error(self) -> Response:
        """The API's answer when the simulator itself fails on a request."""
        ...


@dataclass
class _Counters:
    """Requests and injected faults of one server; sequence numbers come from here too."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    faults: dict[str, int] = field(default_factory=dict)

    def next_sequence(self) -> int:
        with self.lock:
            self.requests += 1
            return self.requests

    def count_fault(self, kind: str) -> None:
        with self.lock:
            self.faults[kind] = self.faults.get(kind, 0) + 1

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {"requests": self.requests, "faults": dict(sorted(self.faults.items()))}


class _Handler(BaseHTTPRequestHandler):
    """Reads a request, asks the app, writes the whole response with one sendall."""

    protocol_version = "HTTP/1.1"
    server_version = "simulator"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = IDLE_TIMEOUT_SECONDS
    server: _Server

    def setup(self) -> None:
        super().setup()
        self._db: sqlite3.Connection | None = None

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            if self._db is not None:
                self._db.close()
                self._db = None

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base class signature
        # Request lines carry no credentials (they travel in headers), so debug logging is safe.
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    def _serve(self) -> None:
        simulator = self.server.simulator
        try:
            body = self._read_body()
        except BadRequest as exc:
            self.close_connection = True
            self._write(json_response(400, {"error": str(exc)}))
            return
        sequence = simulator.counters.next_sequence()
        fault = decide(simulator.faults, sequence) if simulator.faults else None
        if fault is not None:
            simulator.counters.count_fault(fault.kind)
            if fault.kind == "reset":
                self._reset()
                return
            if fault.kind == "slow":
                time.sleep(simulator.faults.slow_seconds)  # type: ignore[union-attr]
        request = self._request(body)
        db = self._database()
        try:
            db.execute("begin")
            try:
                if fault is not None and fault.kind in ("429", "500", "503"):
                    response = simulator.app.fault_response(fault, simulator.faults, request, db)  # type: ignore[arg-type]
                else:
                    response = simulator.app.handle(request, db)
            finally:
                db.rollback()
        except Exception:
            log.exception("%s simulator failed on %s %s", simulator.app.name, self.command, request.path)
            response = simulator.app.internal_error()
        if fault is not None and fault.kind == "truncated":
            self._write(response, truncate=True)
        else:
            self._write(response)

    def _request(self, body: bytes) -> Request:
        parts = urlsplit(self.path)
        return Request(
            method=self.command,
            path=unquote(parts.path),
            query=tuple(parse_qsl(parts.query, keep_blank_values=True)),
            headers=self.headers,
            body=body,
            base_url=self.server.simulator.url,
        )

    def _database(self) -> sqlite3.Connection:
        if self._db is None:
            self._db = store.connect(self.server.simulator.app.world_path, readonly=True)
        return self._db

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length_text = self.headers.get("Content-Length")
        if not length_text:
            return b""
        try:
            length = int(length_text)
        except ValueError as exc:
            raise BadRequest(f"bad Content-Length {length_text!r}") from exc
        if length < 0 or length > MAX_BODY_BYTES:
            raise BadRequest(f"Content-Length {length} out of range")
        return self.rfile.read(length)

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = self.rfile.readline(1024).split(b";", 1)[0].strip()
            try:
                size = int(size_line, 16)
            except ValueError as exc:
                raise BadRequest("bad chunk size") from exc
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise BadRequest("body too large")
            chunks.append(self.rfile.read(size))
            self.rfile.readline(1024)

    def _write(self, response: Response, *, truncate: bool = False) -> None:
        body = b"" if self.command == "HEAD" else response.body
        if truncate:
            self.close_connection = True
        reason = HTTPStatus(response.status).phrase if response.status in HTTPStatus._value2member_map_ else ""
        lines = [f"HTTP/1.1 {response.status} {reason}"]
        lines.append(f"Content-Type: {response.content_type}")
        lines.append(f"Content-Length: {len(response.body)}")
        lines.extend(f"{name}: {value}" for name, value in response.headers)
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if truncate:
            # Promise the full length, deliver half, then hang up: a connection dropped mid-body.
            body = body[: len(body) // 2]
        self.wfile.write(head + body)

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN: a reset connection.
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()
        self.wfile.close()
        self.connection.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], simulator: SimulatorServer) -> None:
        self.simulator = simulator
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        context = self.simulator.ssl_context
        if context is not None:
            request = _tls_handshake(context, request)
            if request is None:
                return
        with self._open_lock:
            self._open.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._open_lock:
                self._open.discard(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up mid-request are routine (timeouts, fault tests); anything else is a bug.
        log.debug("connection from %s ended with an error", client_address, exc_info=True)

    def close_open_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def _tls_handshake(context: ssl.SSLContext, raw: socket.socket) -> ssl.SSLSocket | None:
    """Run the TLS handshake on the connection's own thread, so a silent client blocks no one."""
    tls = context.wrap_socket(raw, server_side=True, do_handshake_on_connect=False)
    try:
        tls.settimeout(TLS_HANDSHAKE_TIMEOUT_SECONDS)
        tls.do_handshake()
        tls.settimeout(None)
    except (OSError, ssl.SSLError):
        tls.close()
        return None
    return tls


class SimulatorServer:
    """One simulated API on 127.0.0.1, served from daemon threads of the calling process."""

    def __init__(
        self,
        app: App,
        *,
        port: int = 0,
        faults: FaultConfig | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.app = app
        self.faults = faults if faults is not None and faults.rate > 0 else None
        self.ssl_context = ssl_context
        self.counters = _Counters()
        self._server = _Server(("127.0.0.1", port), self)
        scheme = "https" if ssl_context is not None else "http"
        self.port: int = self._server.server_address[1]
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> SimulatorServer:
        """Start serving in a daemon thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.app.name}-simulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close the listening socket and every open keep-alive connection."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()
        self._server.close_open_connections()

    def stats(self) -> dict[str, Any]:
        """Requests received and faults injected by kind."""
        return self.counters.snapshot()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@dataclass(frozen=True)
class TlsMaterial:
    """A server TLS context for 127.0.0.1 and localhost, and the CA file clients must trust."""

    context: ssl.SSLContext
    ca_bundle: Path


def make_tls(directory: Path) -> TlsMaterial:
    """Create a throwaway CA (trustme), a server certificate for loopback, and write the CA PEM."""
    import trustme  # the only non-stdlib import of the simulators, and only when TLS is asked for

    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    ca_bundle = directory / "simulator-ca.pem"
    ca.cert_pem.write_to_path(str(ca_bundle))
    return TlsMaterial(context=context, ca_bundle=ca_bundle)
