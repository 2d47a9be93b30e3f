"""Shared fixtures: one small simulated world per test session, copied when a test changes it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def small_world_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A `small` world generated once per session. Treat it as read-only; use `world` to change one."""
    from simulators.world import World

    path = tmp_path_factory.mktemp("world") / "small.sqlite"
    World.generate(path, scale="small", seed=TEST_SEED, anchor=TEST_ANCHOR).close()
    return path


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

    Steps run in-process unless a test asks for more: on the small world the per-process start-up
    of the multiprocess executor costs more than the work. The demo fixture runs multiprocess.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JIRA_", "SERVICENOW_", "FINANCE_", "PWH_"))}
    env.update({"PWH_HOME": str(home), "PYTHONUNBUFFERED": "1", "PWH_EXECUTOR": "in_process", **extra})
    return env


def run_pwh(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 900) -> subprocess.CompletedProcess:
    pwh = Path(sys.executable).with_name("pwh")
    return subprocess.run([str(pwh), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test that uses the demo warehouse runs on the worker that built it: one demo build per
    suite, not one per worker. (Before xdist's own hook, which reads the group marks.)"""
    for item in items:
        if "small_warehouse" in getattr(item, "fixturenames", ()) and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group("small_warehouse"))


@pytest.fixture(scope="session")
def small_warehouse(small_world_path: Path, tmp_path_factory: pytest.TempPathFactory) -> SmallWarehouse:
    """Simulators → connectors → raw landing → checks → dbt → publish → exports, as a user runs it.

    The session's small world is put where `pwh demo` caches worlds, so the demo serves exactly
    the world the other tests read.
    """
    from simulators.serve import world_file_name

    home = tmp_path_factory.mktemp("pwh_home")
    world = home / "simulator" / world_file_name("small", TEST_SEED, TEST_ANCHOR)
    world.parent.mkdir(parents=True)
    shutil.copyfile(small_world_path, world)
    args = ["demo", "--scale", "small", "--seed", str(TEST_SEED), "--as-of", TEST_ANCHOR.isoformat()]
    result = run_pwh(args, pwh_env(home, PWH_EXECUTOR="multiprocess"), cwd=home)
    warehouse = SmallWarehouse(home, world, TEST_ANCHOR, result.returncode, result.stdout, result.stderr)
    assert result.returncode == 0, (
        f"pwh demo failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return warehouse
