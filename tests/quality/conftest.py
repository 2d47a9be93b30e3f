"""Fixtures for quality tests: a landing in tmp_path and a writer of real raw batches."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.landing import RawLanding, RawRecord

UPDATED = datetime(2026, 6, 2, 10, 0, tzinfo=UTC)

WriteBatch = Callable[..., list[Path]]


@pytest.fixture
def landing(tmp_path: Path) -> RawLanding:
    return RawLanding(tmp_path / "raw")


@pytest.fixture
def write_batch(landing: RawLanding) -> WriteBatch:
    """Land ``records`` (dicts keyed by ``key_field``; None = tombstone via ``deleted``) as one batch."""

    def write(
        source: str,
        entity: str,
        records: Iterable[dict[str, Any]],
        *,
        key_field: str = "sys_id",
        deleted: Iterable[str] = (),
        updated: datetime | None = UPDATED,
    ) -> list[Path]:
        with landing.writer(source, entity) as writer:
            for record in records:
                writer.add(RawRecord(str(record[key_field]), updated, record))
            for key in deleted:
                writer.add(RawRecord(key, updated, None, is_deleted=True))
        return writer.stats.files

    return write


@pytest.fixture(scope="session")
def synced_landing(small_landing: Path) -> RawLanding:
    """The session's small world, synced by the real connectors over real HTTP into a landing
    (``small_landing``: landed once per session and shared; read-only)."""
    return RawLanding(small_landing / "raw")
