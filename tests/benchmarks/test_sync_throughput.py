"""Throughput of a full sync of the `medium` world: records per second per entity, and peak RSS.

Run with ``make benchmark`` (or ``pytest -m benchmark tests/benchmarks/test_sync_throughput.py -s``).
The medium world is generated once into a cache folder (``PWH_BENCH_CACHE``, default the system
temp dir) and reused. The sync runs in a child process so its peak RSS is the connector's own,
not the simulators' (which serve from this process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import pytest

from connectors.landing import RawLanding

CHILD = Path(__file__).resolve().parents[1] / "connectors" / "sync_child.py"
ANCHOR = date(2026, 6, 30)
SEED = 7
# A flat-memory sync of `medium` fits comfortably in this; a leak or an unbounded buffer does not.
PEAK_RSS_LIMIT_MIB = 1024


def medium_world() -> Path:
    """The cached medium world; the cache key includes the generator's version (serve.py)."""
    from simulators.serve import ensure_world

    folder = Path(os.environ.get("PWH_BENCH_CACHE", tempfile.gettempdir())) / "pwh-bench"
    return ensure_world("medium", SEED, ANCHOR, folder)


@pytest.mark.benchmark
def test_full_sync_of_medium_throughput_and_memory(tmp_path: Path) -> None:
    from simulators import start_simulators
    from simulators.world import World

    world_path = medium_world()
    landing = RawLanding(tmp_path / "raw")
    with start_simulators(world_path, finance_dir=tmp_path / "drop") as sims:
        done = subprocess.run(
            [
                sys.executable,
                str(CHILD),
                "--landing",
                str(landing.root),
                "--sources",
                "jira,servicenow,finance",
                "--per-entity",
            ],
            env={**os.environ, "PWH_TEST_SIMS": sims.as_json()},
            capture_output=True,
            text=True,
            timeout=3600,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    with World.open(world_path) as world:
        expected = world.counts()

    lines = [f"{'entity':42} {'records':>9} {'seconds':>8} {'records/s':>10} {'peak MiB':>9}"]
    for row in report["results"]:
        name = f"{row['source']}/{row['entity']}"
        group = "+".join(row["group"]) if len(row["group"]) > 1 else ""
        rate = row["records"] / row["seconds"] if row["seconds"] else 0.0
        label = f"{name} (timed with {group})" if group and row["source"] == "jira" else name
        lines.append(
            f"{label:42} {row['records']:>9} {row['seconds']:>8.2f} {rate:>10.0f} {row['peak_rss_mib_so_far']:>9.0f}"
        )
    lines.append(f"peak RSS of the sync process: {report['peak_rss_mib']:.0f} MiB")
    print("\n" + "\n".join(lines))
    out = os.environ.get("PWH_BENCH_OUT")
    if out:
        Path(out).write_text(json.dumps(report, indent=2))

    for key, count in expected.items():
        source, entity = key.split("/")
        assert len(landing.live_keys(source, entity)) == count, key
    assert report["peak_rss_mib"] < PEAK_RSS_LIMIT_MIB
