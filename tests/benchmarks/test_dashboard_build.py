"""Building the static dashboard from the medium world's published marts: under 10 seconds.

Run with ``make benchmark`` (or ``pytest -m benchmark tests/benchmarks/test_dashboard_build.py -s``).
The medium warehouse is built once with `pwh demo --scale medium` into a cache folder
(``PWH_BENCH_CACHE``, default the system temp dir) and reused; only the dashboard build is timed.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb
import pytest

from serving.dashboard import PAGES, build_dashboard
from tests.conftest import pwh_env, run_pwh

ANCHOR = date(2026, 6, 30)
SEED = 7
LIMIT_SECONDS = 10.0


def medium_published() -> Path:
    home = Path(os.environ.get("PWH_BENCH_CACHE", tempfile.gettempdir())) / "pwh-bench" / "medium-home"
    published = home / "published" / "portfolio.duckdb"
    if not published.exists():
        home.mkdir(parents=True, exist_ok=True)
        args = ["demo", "--scale", "medium", "--seed", str(SEED), "--as-of", ANCHOR.isoformat()]
        result = run_pwh(args, pwh_env(home, PWH_EXECUTOR="multiprocess"), cwd=home, timeout=5400)
        assert result.returncode == 0, result.stderr[-3000:]
    return published


@pytest.mark.benchmark
def test_dashboard_build_on_medium_is_under_ten_seconds(tmp_path: Path) -> None:
    published = medium_published()
    conn = duckdb.connect(str(published), read_only=True)
    try:
        projects = conn.execute("select count(*) from marts.kpi_project_scorecard").fetchone()[0]
        people = conn.execute("select count(distinct resource_id) from marts.kpi_capacity_utilization").fetchone()[0]
    finally:
        conn.close()
    started = time.perf_counter()
    result = build_dashboard(published, tmp_path / "reports")
    seconds = time.perf_counter() - started
    sizes = {p.name: p.stat().st_size for p in result.pages}
    print(
        f"\ndashboard of the medium world ({projects} projects, {people} people): {seconds:.2f} s, "
        f"{len(result.pages)} pages, {sum(sizes.values()) / 1e6:.1f} MB of pages + plotly.js"
    )
    assert len(result.pages) == len(PAGES)
    assert seconds < LIMIT_SECONDS
