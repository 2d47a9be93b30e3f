"""Several Jira sites synced in one step: each into its own change log, a failing one named and not
in the way of the others (connectors/jira/sync.py `sync_jira_sites`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.http import SourceError
from connectors.jira import JiraConfig, sync_jira_sites
from connectors.landing import RawLanding
from connectors.sync_log import SyncLog
from simulators import start_simulators


def test_each_site_lands_in_its_own_folder_and_the_counts_add_up(world_path: Path, tmp_path: Path) -> None:
    landing = RawLanding(tmp_path / "raw")
    with start_simulators(world_path) as sims:
        config = JiraConfig(url=sims.jira_url, email=sims.jira_email, api_token=sims.jira_api_token)
        results = sync_jira_sites([("jira", config), ("jira.acme", config)], landing, entities=["projects", "users"])
    by_entity = {result.entity: result for result in results}
    first, acme = landing.live_keys("jira", "projects"), landing.live_keys("jira.acme", "projects")
    assert first and first == acme  # the same site twice: the same keys, each in its own log
    assert by_entity["projects"].source == "jira" and by_entity["projects"].records == 2 * len(first)
    assert landing.instances("jira") == ["jira", "jira.acme"]


def test_a_failing_site_is_named_and_does_not_keep_the_others_from_syncing(world_path: Path, tmp_path: Path) -> None:
    landing = RawLanding(tmp_path / "raw")
    with start_simulators(world_path) as sims:
        good = JiraConfig(url=sims.jira_url, email=sims.jira_email, api_token=sims.jira_api_token)
        refused = JiraConfig(url=sims.jira_url, email=sims.jira_email, api_token="not-the-token")
        with pytest.raises(SourceError, match=r"^jira\.acme: .*401") as failure:
            sync_jira_sites([("jira.acme", refused), ("jira", good)], landing, entities=["projects"], run_id="r1")
    assert "jira:" not in str(failure.value)  # the site that worked is not blamed
    assert landing.live_keys("jira", "projects")  # synced after the failing site
    assert not landing.live_keys("jira.acme", "projects")
    logged = SyncLog(landing.root).read().to_pylist()
    outcomes = {(row["source"], row["status"]) for row in logged if row["run_id"] == "r1"}
    assert outcomes == {("jira.acme", "failed"), ("jira", "succeeded")}
