"""`dagster asset materialize` of every raw asset from the command line, against the simulators.

It runs under the multiprocess executor (PWH_EXECUTOR=multiprocess: a forkserver that preloads the
definitions, each step in a process of its own), the one test that keeps that executor covered:
every whole-pipeline test runs the default, in-process.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from connectors.landing import RawLanding
from simulators import start_simulators
from simulators.world import World
from tests.conftest import sims_env

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


def test_materialize_all_raw_assets_with_the_dagster_cli(small_world_path: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    dagster_home = tmp_path / "dagster"
    dagster_home.mkdir()
    (dagster_home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    world = World.open(small_world_path)
    expected = world.counts()
    world.close()
    with start_simulators(small_world_path, finance_dir=tmp_path / "drop") as sims:
        env = sims_env(home, sims, DAGSTER_HOME=str(dagster_home), PWH_EXECUTOR="multiprocess")
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        result = subprocess.run(
            [
                str(Path(sys.executable).with_name("dagster")),
                "asset",
                "materialize",
                "-m",
                "orchestration.definitions",
                "--select",
                "group:raw_jira,group:raw_servicenow,group:raw_finance",
            ],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=900,
        )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    events = result.stdout + result.stderr
    assert "Executing steps using multiprocess executor" in events
    # a process of its own for each step: each source's sync, then the raw checks
    started = set(re.findall(r'STEP_WORKER_STARTED - Executing step "(\w+)"', events))
    assert started == {"raw_jira", "raw_servicenow", "raw_finance", "raw_quality_checks"}, events[-3000:]
    landing = RawLanding(home / "raw")
    for entity, count in expected.items():
        source, name = entity.split("/")
        assert len(landing.live_keys(source, name)) == count, entity
