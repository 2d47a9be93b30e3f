"""Landing: latest version per key and the skip-if-already-landed index, on real Parquet files."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq

from connectors.landing import LandedVersions, RawLanding, RawRecord

T0 = datetime(2026, 6, 30, 12, 0, 0, 123457, tzinfo=UTC)


def land(landing: RawLanding, records: list[RawRecord]) -> None:
    with landing.writer("servicenow", "risk", batch_rows=2) as writer:
        writer.add_all(records)


def test_latest_versions_and_skip_index(tmp_path: Path) -> None:
    landing = RawLanding(tmp_path)
    land(landing, [RawRecord("a", T0, {"v": 1}), RawRecord("b", T0, {"v": 1}), RawRecord("c", T0, {"v": 1})])
    later = T0 + timedelta(seconds=5)
    land(landing, [RawRecord("a", later, {"v": 2}), RawRecord("b", T0, None, is_deleted=True)])

    latest = landing.latest_versions("servicenow", "risk")
    rows = {k: (u, d) for k, u, d in zip(*(latest.column(c).to_pylist() for c in latest.column_names))}
    assert rows == {"a": (later, False), "b": (T0, True), "c": (T0, False)}

    recent = landing.latest_versions("servicenow", "risk", since=later)
    assert recent.column("natural_key").to_pylist() == ["a"]

    versions = LandedVersions(latest)
    probe = [
        RawRecord("a", later, {"v": 2}),  # the latest version: skip
        RawRecord("a", T0, {"v": 1}),  # an older version, not the latest: would land
        RawRecord("b", T0, {"v": 1}),  # resurrected after a tombstone: lands
        RawRecord("b", T0, None, is_deleted=True),  # the same tombstone again: skip
        RawRecord("d", T0, {"v": 1}),  # new key: lands
    ]
    assert versions.already_landed(probe) == [True, False, False, True, False]
    versions.remember([probe[4]])
    assert versions.already_landed([probe[4]]) == [True]
    assert sorted(versions.live().column("natural_key").to_pylist()) == ["a", "c"]


def test_stale_temp_files_are_removed_and_batches_are_complete(tmp_path: Path) -> None:
    landing = RawLanding(tmp_path)
    folder = landing.entity_dir("servicenow", "risk")
    folder.mkdir(parents=True)
    (folder / ".batch-dead.parquet.tmp").write_bytes(b"half a file")
    land(landing, [RawRecord("a", T0, {"v": 1})])
    assert not list(folder.glob(".batch-*.tmp"))
    assert [pq.read_table(p).num_rows for p in landing.batch_files("servicenow", "risk")] == [1]
