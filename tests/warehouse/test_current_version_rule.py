"""One rule for "the current version of a raw record", and dbt agrees with the landing.

The landing owns the rule (connectors.landing.CURRENT_VERSION_ORDER); dbt's latest_versions
macro writes the same order in SQL. Both read the same hand-made batches here, each built to
tell the rules apart: a later source time wins; on a tie the copy loaded last wins, even from a
batch whose id sorts first; a version without a source time is the oldest; a tombstone hides the
record. A real `dbt build` of stg_servicenow__risk reads them through the macro.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from connectors.landing import RAW_SCHEMA, RawLanding
from quality.raw_scope import pending_rows

pytestmark = pytest.mark.slow

T1, T2 = datetime(2026, 5, 1, 8, tzinfo=UTC), datetime(2026, 5, 2, 8, tzinfo=UTC)


def risk(sys_id: str, name: str, updated: datetime | None) -> str:
    return json.dumps(
        {
            "sys_id": sys_id,
            "number": f"RSK{sys_id}",
            "short_description": name,
            "task": "",
            "state": "open",
            "probability": "3",
            "impact": "3",
            "estimated_cost": "10",
            "sys_created_on": "2026-04-01 00:00:00",
            "sys_updated_on": "" if updated is None else updated.strftime("%Y-%m-%d %H:%M:%S"),
        },
        sort_keys=True,
    )


def batch(folder: Path, batch_id: str, loaded_at: datetime, rows: list[tuple[str, datetime | None, bool, str]]) -> None:
    table = pa.table(
        {
            "natural_key": [r[0] for r in rows],
            "source_updated_at": [r[1] for r in rows],
            "loaded_at": [loaded_at] * len(rows),
            "batch_id": [batch_id] * len(rows),
            "sync_mode": ["incremental"] * len(rows),
            "is_deleted": [r[2] for r in rows],
            "record": [None if r[2] else risk(r[0], r[3], r[1]) for r in rows],
        },
        schema=RAW_SCHEMA,
    )
    pq.write_table(table, folder / f"batch-{batch_id}.parquet")


def test_dbt_and_the_landing_pick_the_same_current_version(tmp_path: Path, dbt_builder) -> None:
    landing_home = tmp_path / "landing"
    landing = RawLanding(landing_home / "raw")
    landing.ensure_entity("servicenow", "risk")
    folder = landing.entity_dir("servicenow", "risk")
    # Batch "…01" was loaded AFTER batch "…02" (a clock step back, a batch copied in by hand):
    # on equal source times the loaded_at order decides, not the batch id.
    batch(
        folder,
        "20260502T090000000000Z-aaaa",
        datetime(2026, 5, 2, 12, tzinfo=UTC),
        [
            ("A", T1, False, "A old"),
            ("B", T2, False, "B loaded last"),
            ("C", T1, False, "C dated"),
            ("D", T1, False, "D alive"),
        ],
    )
    batch(
        folder,
        "20260502T100000000000Z-bbbb",
        datetime(2026, 5, 2, 10, tzinfo=UTC),
        [
            ("A", T2, False, "A new"),
            ("B", T2, False, "B loaded first"),
            ("C", None, False, "C undated"),
            ("D", T2, True, ""),
        ],
    )

    latest = landing.latest_versions("servicenow", "risk", with_batch=True).to_pylist()
    by_key = {r["natural_key"]: r for r in latest}
    assert by_key["A"]["source_updated_at"] == T2
    assert by_key["B"]["batch_id"].endswith("aaaa"), "on a tie the copy loaded last wins"
    assert by_key["C"]["source_updated_at"] == T1, "a version without a source time is the oldest"
    assert by_key["D"]["is_deleted"]
    landing_names = {"A": "A new", "B": "B loaded last", "C": "C dated"}

    # The raw checks' scope picks the same rows.
    frame, _ = pending_rows(landing, "servicenow", "risk", None)
    scoped = {
        row.natural_key: json.loads(row.record)["short_description"] for row in frame.itertuples() if not row.is_deleted
    }
    assert scoped == landing_names

    (landing_home / "quality").mkdir()
    build = dbt_builder(landing_home, tmp_path / "home", date(2026, 6, 30), select=["stg_servicenow__risk"])
    with build.connect() as conn:
        staged = dict(conn.execute("select risk_sys_id, risk_name from staging.stg_servicenow__risk").fetchall())
    assert staged == landing_names, build.output[-2000:]
