"""How long each world size takes to generate, and how much memory it needs (run with -m benchmark)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Generates in a child process so peak RSS is the generator's own, not the test runner's.
CHILD = """
import json, resource, sys, time
from datetime import date
from simulators.world import World
started = time.perf_counter()
world = World.generate(sys.argv[1], scale=sys.argv[2], seed=7, anchor=date(2026, 6, 30))
seconds = time.perf_counter() - started
counts = world.counts()
world.close()
print(json.dumps({"seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "counts": counts}))
"""

LIMITS = {"small": 60, "medium": 300, "large": 1800}  # seconds, generous for a shared 2-core box


@pytest.mark.benchmark
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("scale", ["small", "medium", "large"])
def test_generation_time_and_peak_memory(scale: str, tmp_path: Path) -> None:
    path = tmp_path / f"{scale}.sqlite"
    try:
        result = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), scale],
            check=True, capture_output=True, text=True, cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": ""},
        )
        size_mb = path.stat().st_size / 2**20
    finally:
        # pytest keeps old temp folders; a 4 GB large world should not linger in one.
        for leftover in tmp_path.glob(f"{scale}.sqlite*"):
            leftover.unlink()
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    counts = figures["counts"]
    print(
        f"\n{scale}: {figures['seconds']:.1f} s, peak RSS {figures['peak_rss_mb']:.0f} MB, file {size_mb:.0f} MB, "
        f"issues {counts['jira/issues']}, worklogs {counts['jira/worklogs']}, "
        f"time cards {counts['servicenow/time_card']}, projects {counts['servicenow/pm_project']}"
    )
    assert counts["servicenow/pm_project"] > 0
    assert figures["seconds"] < LIMITS[scale]
