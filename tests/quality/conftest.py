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
def synced_landing(small_world_path: Path, tmp_path_factory: pytest.TempPathFactory) -> RawLanding:
    """The session's small world, synced once by the real connectors over real HTTP into a landing."""
    from connectors.finance import sync_finance
    from connectors.jira import JiraConfig, jira_client, sync_jira
    from connectors.servicenow import ServiceNowConfig, servicenow_client, sync_servicenow
    from simulators import start_simulators

    root = tmp_path_factory.mktemp("quality-sync")
    landing = RawLanding(root / "raw")
    with start_simulators(small_world_path, finance_dir=root / "finance") as sims:
        sync_jira(jira_client(JiraConfig(sims.jira_url, sims.jira_email, sims.jira_api_token)), landing)
        sync_servicenow(
            servicenow_client(ServiceNowConfig(sims.servicenow_url, sims.servicenow_user, sims.servicenow_password)),
            landing,
        )
        sync_finance(root / "finance", landing, settle_seconds=0)
    return landing
