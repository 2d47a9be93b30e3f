"""Shared fixtures: one small simulated world per test session, copied when a test changes it."""

from __future__ import annotations

import os
import shutil
import sys
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
