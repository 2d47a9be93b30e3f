"""Start the simulated Jira and ServiceNow servers: in-process for tests and the demo, or as ``pwh simulate``.

``start_simulators(world_path)`` serves one world file from daemon threads of the calling process
and yields the URLs and credentials a connector needs. ``main()`` is the ``pwh simulate`` command:
it generates (or reuses a cached) world, starts both servers, prints one JSON line with the
docs/contract.md §1 keys as the first line on stdout, and serves until SIGINT or SIGTERM.

The world cache (``world_file_name``, ``ensure_world``, shared by ``pwh demo`` and ``pwh simulate``)
is keyed by scale, seed, anchor, ``store.SCHEMA_VERSION`` and ``GENERATOR_VERSION``: a short hash of
the source text of the generator modules (``GENERATOR_MODULES``), computed at import. Any change to
how worlds are generated therefore gets a new file name, so a cached world is never silently stale;
there is no constant to remember to bump. The servers themselves are not part of the hash: they
read any world file.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from simulators.api.faults import FaultConfig
from simulators.api.http import SimulatorServer, make_tls
from simulators.api.jira_api import JiraApp
from simulators.api.servicenow_api import ServiceNowApp
from simulators.world import store
from simulators.world.store import read_meta

SCALES = ("small", "medium", "large")

# Every module whose code decides what a generated world file holds: the modules of simulators/world/
# (its __init__ only re-exports); tests/simulators/test_world.py keeps it complete.
GENERATOR_MODULES = (
    "advance",
    "bulk_import",
    "finance",
    "finance_exports",
    "generation",
    "gl_exports",
    "jira_extras",
    "jira_static",
    "jira_world",
    "organisation",
    "projects",
    "scales",
    "seeding",
    "staffing",
    "store",
    "task_dependencies",
    "time_sheets",
    "timeline",
    "world",
)


def _generator_version() -> str:
    """First 10 hex digits of a SHA-256 over the generator modules' names and source bytes."""
    digest = hashlib.sha256()
    folder = Path(__file__).resolve().parent / "world"
    for name in GENERATOR_MODULES:
        digest.update(f"{name}\n".encode())
        digest.update((folder / f"{name}.py").read_bytes())
    return digest.hexdigest()[:10]


GENERATOR_VERSION = _generator_version()


@dataclass(frozen=True)
class Simulators:
    """Running simulators: where they listen, how to log in, and their request/fault counts."""

    jira_url: str
    jira_email: str
    jira_api_token: str
    servicenow_url: str
    servicenow_user: str
    servicenow_password: str
    finance_dir: Path | None
    ca_bundle: Path | None
    jira_server: SimulatorServer
    servicenow_server: SimulatorServer

    def stats(self) -> dict[str, dict[str, Any]]:
        """Per server: requests received and faults injected by kind."""
        return {"jira": self.jira_server.stats(), "servicenow": self.servicenow_server.stats()}

    def as_json(self) -> str:
        """The one-line JSON object ``pwh simulate`` prints (docs/contract.md §1)."""
        return json.dumps(
            {
                "jira_url": self.jira_url,
                "jira_email": self.jira_email,
                "jira_api_token": self.jira_api_token,
                "servicenow_url": self.servicenow_url,
                "servicenow_user": self.servicenow_user,
                "servicenow_password": self.servicenow_password,
                "finance_dir": str(self.finance_dir) if self.finance_dir is not None else None,
            }
        )

    def __repr__(self) -> str:
        # The dataclass repr would print the simulated credentials into logs and tracebacks.
        return f"Simulators(jira_url={self.jira_url!r}, servicenow_url={self.servicenow_url!r})"


@contextlib.contextmanager
def start_simulators(
    world_path: Path | str,
    *,
    finance_dir: Path | str | None = None,
    jira_port: int = 0,
    servicenow_port: int = 0,
    jira_faults: FaultConfig | None = None,
    servicenow_faults: FaultConfig | None = None,
    tls: bool = False,
    jira_timezone: str | None = None,
) -> Iterator[Simulators]:
    """Serve ``world_path`` as Jira Cloud and ServiceNow on 127.0.0.1 until the block ends.

    ``finance_dir``: the world's finance CSV exports are written there first. ``tls``: both servers
    speak HTTPS with a throwaway CA whose PEM is ``ca_bundle``. ``jira_timezone`` overrides the
    Jira API user's time zone (the world's ``jira_timezone`` otherwise).
    """
    world_path = Path(world_path)
    if not world_path.is_file():
        raise FileNotFoundError(f"no world file at {world_path}; generate one with simulators.world.World.generate")
    with contextlib.closing(store.connect(world_path, readonly=True)) as db:
        meta = read_meta(db)
    if finance_dir is not None:
        finance_dir = Path(finance_dir)
        finance_dir.mkdir(parents=True, exist_ok=True)
        _write_finance_exports(world_path, finance_dir)
    with contextlib.ExitStack() as stack:
        ssl_context = None
        ca_bundle = None
        if tls:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pwh-sim-tls-")))
            material = make_tls(directory)
            ssl_context, ca_bundle = material.context, material.ca_bundle
        jira = SimulatorServer(
            JiraApp(world_path, timezone_name=jira_timezone),
            port=jira_port,
            faults=jira_faults,
            ssl_context=ssl_context,
        )
        stack.callback(jira.stop)
        servicenow = SimulatorServer(
            ServiceNowApp(world_path), port=servicenow_port, faults=servicenow_faults, ssl_context=ssl_context
        )
        stack.callback(servicenow.stop)
        jira.start()
        servicenow.start()
        yield Simulators(
            jira_url=jira.url,
            jira_email=meta.get("jira_email", ""),
            jira_api_token=meta.get("jira_api_token", ""),
            servicenow_url=servicenow.url,
            servicenow_user=meta.get("servicenow_user", ""),
            servicenow_password=meta.get("servicenow_password", ""),
            finance_dir=Path(finance_dir) if finance_dir is not None else None,
            ca_bundle=ca_bundle,
            jira_server=jira,
            servicenow_server=servicenow,
        )


def _write_finance_exports(world_path: Path, finance_dir: Path) -> None:
    from simulators.world import World  # the generator; imported late so the servers work without it

    world = World.open(world_path)
    try:
        world.write_finance_exports(finance_dir)
    finally:
        close = getattr(world, "close", None)
        if close is not None:
            close()


def world_file_name(scale: str, seed: int, anchor: date) -> str:
    """The cache file name of a world: one per (scale, seed, anchor, store schema, generator version)."""
    return f"world-{scale}-seed{seed}-{anchor.isoformat()}-v{store.SCHEMA_VERSION}-g{GENERATOR_VERSION}.sqlite"


def ensure_world(scale: str, seed: int, anchor: date, cache_dir: Path | str) -> Path:
    """The cached world file for these parameters, generating it first when it is missing.

    Generation writes to a temporary name in the same folder and renames it into place, so a
    killed generation never leaves a half-written world where the next run would trust it.
    """
    from simulators.world import World

    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / world_file_name(scale, seed, anchor)
    if path.is_file():
        return path
    temporary = cache_dir / f".{path.stem}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        world = World.generate(temporary, scale=scale, seed=seed, anchor=anchor)
        world.close()
        _checkpoint(temporary)
        os.replace(temporary, path)
    finally:
        for leftover in (temporary, Path(f"{temporary}-wal"), Path(f"{temporary}-shm")):
            leftover.unlink(missing_ok=True)
    return path


def _checkpoint(path: Path) -> None:
    """Fold the WAL into the main file, so the renamed file alone holds the whole world."""
    with contextlib.closing(store.connect(path)) as db:
        db.execute("pragma wal_checkpoint(truncate)")


def _default_cache_dir() -> Path:
    return Path(os.environ.get("PWH_HOME", "warehouse")) / "simulator"


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2026-06-30: {text!r}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pwh simulate",
        description="Serve the simulated Jira Cloud and ServiceNow on 127.0.0.1 until interrupted. "
        "The first line on stdout is one JSON object with the URLs and credentials.",
    )
    # The defaults of `pwh demo`, so both commands share one cached world.
    parser.add_argument("--scale", choices=SCALES, default="medium")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--as-of",
        "--anchor",
        dest="as_of",
        type=_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="the world's 'today' (default: today, UTC), as `pwh demo --as-of`",
    )
    parser.add_argument("--finance-dir", type=Path, default=None, help="where to write the finance CSV exports")
    parser.add_argument("--port-jira", type=int, default=0)
    parser.add_argument("--port-servicenow", type=int, default=0)
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a throwaway CA")
    parser.add_argument("--faults", type=float, default=0.0, metavar="RATE", help="share of requests that fail")
    parser.add_argument("--world", type=Path, default=None, help="serve this world file instead of a generated one")
    return parser


def main(argv: list[str] | None = None) -> int:
    """``pwh simulate``: serve the simulators until SIGINT or SIGTERM; exit code 0."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.world is not None:
        if not args.world.is_file():
            parser.error(f"no world file at {args.world}")
        world_path = args.world
        finance_dir = args.finance_dir
    else:
        anchor = args.as_of or datetime.now(UTC).date()
        cache_dir = _default_cache_dir()
        world_path = ensure_world(args.scale, args.seed, anchor, cache_dir)
        finance_dir = args.finance_dir or cache_dir / f"{world_path.stem}-finance"
    faults = FaultConfig(rate=args.faults) if args.faults > 0 else None
    stop = threading.Event()
    previous = _install_stop_handlers(stop)
    try:
        with start_simulators(
            world_path,
            finance_dir=finance_dir,
            jira_port=args.port_jira,
            servicenow_port=args.port_servicenow,
            jira_faults=faults,
            servicenow_faults=faults,
            tls=args.tls,
        ) as sims:
            sys.stdout.write(sims.as_json() + "\n")
            sys.stdout.flush()
            if sims.ca_bundle is not None:
                print(f"CA bundle: {sims.ca_bundle}", file=sys.stderr, flush=True)
            while not stop.wait(0.5):
                pass
    finally:
        _restore_handlers(previous)
    return 0


def _install_stop_handlers(stop: threading.Event) -> dict[int, Any]:
    previous: dict[int, Any] = {}
    if threading.current_thread() is not threading.main_thread():
        return previous  # signals can only be handled on the main thread; the caller stops us otherwise
    for number in (signal.SIGINT, signal.SIGTERM):
        previous[number] = signal.signal(number, lambda *_: stop.set())
    return previous


def _restore_handlers(previous: dict[int, Any]) -> None:
    for number, handler in previous.items():
        signal.signal(number, handler)
