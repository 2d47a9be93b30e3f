"""Fixtures for connector tests: running simulators and clients pointed at them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.connectors.clients import TEST_POLICY, jira_for, servicenow_for  # noqa: F401  (re-exported)


@pytest.fixture(scope="session")
def small_sims(small_world_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """Simulators serving the session's (read-only) small world, with its finance exports."""
    from simulators import start_simulators

    finance = tmp_path_factory.mktemp("finance-drop")
    with start_simulators(small_world_path, finance_dir=finance) as sims:
        yield sims
