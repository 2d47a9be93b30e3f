"""Shared fixtures: one small simulated world per test session, copied when a test changes it."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from simulators import Simulators

# tests/<package>/ folders mirror the package names (tests/connectors, tests/simulators) and, having
# no __init__.py, would otherwise shadow the real packages as namespace packages once pytest puts
# tests/ on sys.path. The repository root first makes `import connectors` the real one.
_REPO_ROOT = str(Path(__file__).resolve().parents[1])
if _REPO_ROOT not in sys.path:
    sys.path.insert(0, _REPO_ROOT)

# Tests never talk to the outside world, and never report usage.
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "true")

# The date the test world is generated around: fixed so that every number is reproducible.
TEST_ANCHOR = date(2026, 6, 30)
TEST_SEED = 7


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Hand the xdist workers the costly test files first (``make test`` keeps this order with
    ``--no-loadscope-reorder``; xdist would otherwise start with the files holding most tests).

    First the files marked ``slow`` (warehouse builds, whole pipeline runs, servers: ten seconds
    and more each) that do not ask for the demo warehouse, to run while it builds; then the files
    that ask for it by name (a worker that takes one early waits for it); then the many quick
    files, which even out the two workers' ends. The oracle comparisons reach the demo warehouse
    only through ``request.getfixturevalue`` and so count as slow: their mid-month half, a dbt
    build of its own, comes first.
    """

    def rank(item: pytest.Item) -> int:
        if "small_warehouse" in getattr(item, "fixturenames", ()):
            return 1
        return 0 if item.get_closest_marker("slow") else 2

    file_rank: dict[str, int] = {}
    for item in items:
        path = str(item.path)
        file_rank[path] = min(file_rank.get(path, 2), rank(item))
    items.sort(key=lambda item: file_rank[str(item.path)])  # stable: each file keeps its own order


@pytest.fixture(scope="session")
def small_world_path(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A `small` world generated once per session (shared by the xdist workers). Treat it as
    read-only; use `world_path` to change one."""
    from simulators.world import World

    def generate(folder: Path) -> dict:
        World.generate(folder / "small.sqlite", scale="small", seed=TEST_SEED, anchor=TEST_ANCHOR).close()
        return {}

    folder, _ = shared_once(tmp_path_factory, worker_id, "small_world", generate)
    return folder / "small.sqlite"


@pytest.fixture
def world_path(small_world_path: Path, tmp_path: Path) -> Path:
    """A private copy of the small world that a test may advance."""
    path = tmp_path / "world.sqlite"
    shutil.copyfile(small_world_path, path)
    return path


@dataclass(frozen=True)
class SmallWarehouse:
    """The real pipeline run once on the small world: `pwh demo --scale small` in a subprocess."""

    home: Path
    world_path: Path
    as_of: date
    returncode: int
    stdout: str
    stderr: str

    @property
    def published_db(self) -> Path:
        return self.home / "published" / "portfolio.duckdb"

    @property
    def build_db(self) -> Path:
        return self.home / "portfolio.duckdb"


def pwh_env(home: Path, **extra: str) -> dict[str, str]:
    """An environment for running `pwh` in a subprocess: no source configured unless given.

    Steps run in-process (the default executor) unless a test asks for more: the Dagster CLI test
    and the failed night of tests/orchestration/test_nightly_operations.py keep the multiprocess
    executor covered (docs/internals.md "Tests").
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIRA_", "SERVICENOW_", "FINANCE_", "PWH_"))}
    env.update({"PWH_HOME": str(home), "PYTHONUNBUFFERED": "1", "PWH_EXECUTOR": "in_process", **extra})
    return env


def sims_env(home: Path, sims: Simulators, **extra: str) -> dict[str, str]:
    """`pwh_env` with every source pointed at running simulators: Jira, ServiceNow, and the finance
    drop folder when they were started with one (``extra`` adds to or overrides these)."""
    sources = {
        "JIRA_URL": sims.jira_url,
        "JIRA_EMAIL": sims.jira_email,
        "JIRA_API_TOKEN": sims.jira_api_token,
        "SERVICENOW_URL": sims.servicenow_url,
        "SERVICENOW_USER": sims.servicenow_user,
        "SERVICENOW_PASSWORD": sims.servicenow_password,
    }
    if sims.finance_dir is not None:
        sources["FINANCE_EXPORT_DIR"] = str(sims.finance_dir)
    return pwh_env(home, **{**sources, **extra})


def run_pwh(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    pwh = Path(sys.executable).with_name("pwh")
    return subprocess.run([str(pwh), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def shared_once(
    tmp_path_factory: pytest.TempPathFactory, worker_id: str, name: str, build: Callable[[Path], dict]
) -> tuple[Path, dict]:
    """Build ``name`` once per test session, whichever xdist worker asks first, and share it.

    The first worker to take the lock builds into ``<session temp>/<name>`` and writes what
    ``build`` returned next to it; the others wait on the lock and read that. So a fixture as
    costly as the demo warehouse is built once, and the tests that read it run on both workers.
    Tests treat the folder as read-only (they copy it to change it).
    """
    base = tmp_path_factory.getbasetemp()
    root = base if worker_id == "master" else base.parent
    folder, meta = root / name, root / f"{name}.json"
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        if not meta.exists():
            shutil.rmtree(folder, ignore_errors=True)  # a half-built folder of a killed session
            folder.mkdir(parents=True)
            meta.write_text(json.dumps(build(folder)))
    return folder, json.loads(meta.read_text())


def land_world(world_path: Path, home: Path) -> Path:
    """Serve ``world_path`` on loopback and sync all three sources into ``home/raw``, as production
    does; ``home`` becomes a PWH_HOME-shaped folder with an empty ``quality/`` log."""
    from connectors.finance import sync_finance
    from connectors.jira import JiraConfig, jira_client, sync_jira
    from connectors.landing import RawLanding
    from connectors.servicenow import ServiceNowConfig, servicenow_client, sync_servicenow
    from quality.results import ensure_results_folder
    from simulators import start_simulators

    landing = RawLanding(home / "raw")
    with start_simulators(world_path, finance_dir=home / "finance_drop") as sims:
        jira = jira_client(JiraConfig(sims.jira_url, sims.jira_email, sims.jira_api_token))
        servicenow = servicenow_client(
            ServiceNowConfig(sims.servicenow_url, sims.servicenow_user, sims.servicenow_password)
        )
        sync_jira(jira, landing)
        sync_servicenow(servicenow, landing)
        sync_finance(Path(sims.finance_dir), landing, settle_seconds=0)
    ensure_results_folder(home / "quality")
    return home


@pytest.fixture(scope="session")
def small_landing(small_world_path: Path, tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A PWH_HOME-shaped folder with the small world landed in `raw/` and an empty `quality/` log
    (landed once per session, shared by the xdist workers; read-only). The dbt builds and the
    raw-suite tests read it."""
    home, _ = shared_once(
        tmp_path_factory, worker_id, "small_landing", lambda h: {"home": str(land_world(small_world_path, h))}
    )
    return home


def _small_warehouse_build(small_world_path: Path) -> Callable[[Path], dict]:
    """How the demo warehouse is built into a home: the session's small world put where `pwh demo`
    caches worlds (so the demo serves exactly the world the other tests read), then the demo."""
    from simulators.serve import world_file_name

    def build(home: Path) -> dict:
        world = home / "simulator" / world_file_name("small", TEST_SEED, TEST_ANCHOR)
        world.parent.mkdir(parents=True)
        shutil.copyfile(small_world_path, world)
        args = ["demo", "--scale", "small", "--seed", str(TEST_SEED), "--as-of", TEST_ANCHOR.isoformat()]
        result = run_pwh(args, pwh_env(home), cwd=home)
        return {"returncode": result.returncode, "stdout": result.stdout, "stderr": result.stderr}

    return build


@pytest.fixture(scope="session", autouse=True)
def _small_warehouse_started_early(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> None:
    """Start building the demo warehouse as the session begins, in a background thread of the
    first worker, when any selected test needs it.

    Built on first request, it kept the worker that asked second idle for minutes while the first
    built it; started early, both workers run other tests meanwhile. The thread holds the build's
    lock (``shared_once``), so whoever asks for the warehouse waits for it as before.
    """
    if worker_id not in ("master", "gw0"):
        return
    if not any("small_warehouse" in getattr(item, "fixturenames", ()) for item in request.session.items):
        return
    build = _small_warehouse_build(request.getfixturevalue("small_world_path"))
    threading.Thread(
        target=shared_once,
        args=(tmp_path_factory, worker_id, "small_warehouse", build),
        name="small-warehouse",
        daemon=True,
    ).start()


@pytest.fixture(scope="session")
def small_warehouse(small_world_path: Path, tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> SmallWarehouse:
    """Simulators → connectors → raw landing → checks → dbt → publish → exports, as a user runs it:
    built once per session (shared by the xdist workers, started early by
    ``_small_warehouse_started_early``), read-only for the tests.
    """
    from simulators.serve import world_file_name

    world_name = world_file_name("small", TEST_SEED, TEST_ANCHOR)
    build = _small_warehouse_build(small_world_path)
    home, outcome = shared_once(tmp_path_factory, worker_id, "small_warehouse", build)
    warehouse = SmallWarehouse(
        home, home / "simulator" / world_name, TEST_ANCHOR, outcome["returncode"], outcome["stdout"], outcome["stderr"]
    )
    assert warehouse.returncode == 0, (
        f"pwh demo failed ({warehouse.returncode}):\n{warehouse.stdout[-3000:]}\n{warehouse.stderr[-3000:]}"
    )
    return warehouse
