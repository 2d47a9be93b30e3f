"""BI readers of the published file never see an error or a half-built state during a rebuild."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb

from serving.publish import publish
from tests.conftest import SmallWarehouse

# one worker builds the session's small warehouse; its tests run there

READER = textwrap.dedent(
    """
    import json, sys, time, duckdb
    path, seconds, mode = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    seen, errors, reads = set(), [], 0
    held = duckdb.connect(path, read_only=True) if mode == "held" else None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = held or duckdb.connect(path, read_only=True)
            tables = conn.execute("select count(*) from duckdb_tables() where schema_name = 'marts'").fetchone()[0]
            rows = conn.execute("select count(*), sum(bac_amount) from marts.kpi_project_scorecard").fetchone()
            seen.add((tables, rows[0], str(rows[1])))
            if held is None:
                conn.close()
            reads += 1
        except Exception as exc:  # any error is a failure of isolation
            errors.append(f"{type(exc).__name__}: {exc}")
    print(json.dumps({"reads": reads, "errors": errors[:5], "seen": sorted(seen)}))
    """
)


def test_readers_see_whole_old_or_whole_new_marts_while_publishing(
    small_warehouse: SmallWarehouse, tmp_path: Path
) -> None:
    build = tmp_path / "portfolio.duckdb"
    shutil.copyfile(small_warehouse.build_db, build)
    published = tmp_path / "published" / "portfolio.duckdb"
    publish(build, published)
    conn = duckdb.connect(str(published), read_only=True)
    expected = (
        conn.execute("select count(*) from duckdb_tables() where schema_name = 'marts'").fetchone()[0],
        *conn.execute("select count(*), sum(bac_amount) from marts.kpi_project_scorecard").fetchone(),
    )
    conn.close()

    readers = [
        subprocess.Popen([sys.executable, "-c", READER, str(published), "12", mode], stdout=subprocess.PIPE, text=True)
        for mode in ("held", "reopen")
    ]
    time.sleep(1.0)
    publishes = 0
    deadline = time.monotonic() + 9
    while time.monotonic() < deadline:
        publish(build, published)
        publishes += 1
    reports = [json.loads(r.communicate(timeout=120)[0]) for r in readers]

    assert publishes >= 2
    for report in reports:
        assert report["errors"] == [], report["errors"]
        assert report["reads"] > 10
        assert report["seen"] == [[expected[0], expected[1], str(expected[2])]], report["seen"]
    assert not list(published.parent.glob(".*.tmp")), "no temp files left behind"
