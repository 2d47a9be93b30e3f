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
counts["finance/gl_lines"] = world.conn.execute("select count(*) from fin_gl_line").fetchone()[0]
world.close()
print(json.dumps({"seconds": seconds, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "counts": counts}))
"""

LIMITS = {"small": 60, "medium": 300, "large": 1800}  # seconds, generous for a shared 2-core box
# The large world's figures: 2,500 projects, 10,000 people, ~500k issues, ~2M worklogs, ~1.5M
# weekly time cards, ~500k GL lines.
LARGE = {
    "servicenow/pm_project": (2500, 2500),
    "servicenow/sys_user": (10_000, 10_000),
    "jira/issues": (400_000, 650_000),
    "jira/worklogs": (1_600_000, 2_600_000),
    "servicenow/time_card": (1_300_000, 1_800_000),
    "finance/gl_lines": (400_000, 650_000),
}


@pytest.mark.benchmark
@pytest.mark.timeout(3600)
@pytest.mark.parametrize("scale", ["small", "medium", "large"])
def test_generation_time_and_peak_memory(scale: str, tmp_path: Path) -> None:
    path = tmp_path / f"{scale}.sqlite"
    try:
        result = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), scale],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={"PYTHONPATH": str(ROOT), "PATH": ""},
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
        f"time cards {counts['servicenow/time_card']}, GL lines {counts['finance/gl_lines']}, "
        f"projects {counts['servicenow/pm_project']}, people {counts['servicenow/sys_user']}, "
        f"resource plans {counts['servicenow/resource_plan']}"
    )
    assert counts["servicenow/pm_project"] > 0
    if scale == "large":
        for entity, (low, high) in LARGE.items():
            assert low <= counts[entity] <= high, (entity, counts[entity])
    assert figures["seconds"] < LIMITS[scale]
