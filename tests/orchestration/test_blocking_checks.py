"""A corrupt raw batch must not reach the KPI marts: the run stops, says why, and BI sees why."""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from connectors.landing import RawLanding, RawRecord
from simulators import start_simulators
from tests.conftest import SmallWarehouse, pwh_env, run_pwh

# A whole night with a corrupt batch (minutes): in `make test-long`, which CI runs after `make test`.
pytestmark = pytest.mark.long

KPI_MARTS = ["kpi_project_scorecard", "kpi_portfolio_summary", "kpi_capacity_utilization", "kpi_budget_vs_actual"]


def _marts(db: Path) -> dict[str, pd.DataFrame]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        return {t: conn.execute(f"select * from marts.{t} order by all").df() for t in KPI_MARTS}
    finally:
        conn.close()


def _corrupt_time_cards(home: Path) -> str:
    """Land a batch with one time card at 30 hours on a Monday and one key twice."""
    landing = RawLanding(home / "raw")
    rows = landing.read("servicenow", "time_card").to_pylist()
    first = next(row for row in rows if not row["is_deleted"])
    record = json.loads(first["record"])
    record["monday"] = "30"
    later = first["source_updated_at"] + timedelta(days=1)
    with landing.writer("servicenow", "time_card") as writer:
        writer.add(RawRecord(first["natural_key"], later, record))
        writer.add(RawRecord(first["natural_key"], later, record))
    return first["natural_key"]


def test_a_corrupt_raw_batch_blocks_the_kpi_marts_and_is_recorded(
    small_warehouse: SmallWarehouse, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(small_warehouse.home, home, ignore=shutil.ignore_patterns("logs", "exports"))
    before_published = _marts(home / "published" / "portfolio.duckdb")
    before_build = _marts(home / "portfolio.duckdb")
    key = _corrupt_time_cards(home)

    # The simulators serve the same world: the run reads nothing new, so only the corrupt batch
    # is in question.
    with start_simulators(small_warehouse.world_path) as sims:
        env = pwh_env(
            home,
            SERVICENOW_URL=sims.servicenow_url,
            SERVICENOW_USER=sims.servicenow_user,
            SERVICENOW_PASSWORD=sims.servicenow_password,
        )
        result = run_pwh(["run", "--as-of", "2026-06-30"], env, cwd=home)

    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    reasons = [line for line in result.stderr.splitlines() if "blocking check failed" in line]
    assert reasons == [
        "pwh: blocking check failed: raw/servicenow/time_card: valid (error) — KPI marts kept their last good version"
    ], result.stderr
    # The marts are exactly what they were, in the build file and in the published file.
    for name, frame in _marts(home / "published" / "portfolio.duckdb").items():
        pd.testing.assert_frame_equal(frame, before_published[name], obj=name)
    for name, frame in _marts(home / "portfolio.duckdb").items():
        pd.testing.assert_frame_equal(frame, before_build[name], obj=name)
    # ...and kpi_data_quality, republished, says which check failed and on how many rows.
    conn = duckdb.connect(str(home / "published" / "portfolio.duckdb"), read_only=True)
    try:
        failed = conn.execute(
            """
            select check_name, failing_rows, detail from marts.kpi_data_quality
            where table_name = 'servicenow/time_card' and not passed and severity = 'error'
            """
        ).df()
    finally:
        conn.close()
    by_check = dict(zip(failed["check_name"], failed["failing_rows"], strict=True))
    assert by_check.get("monday_in_range") == 2, failed.to_string()  # both copies of the key
    assert by_check.get("natural_key_unique_in_batch") == 2, failed.to_string()
    duplicate = failed.loc[failed["check_name"] == "natural_key_unique_in_batch", "detail"].iloc[0]
    assert key in duplicate, duplicate
