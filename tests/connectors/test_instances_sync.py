"""Several instances of an API source synced in one step (Jira sites, ServiceNow instances): each
into its own change log, a failing one named and not in the way of the others
(connectors/jira/sync.py `sync_jira_sites`, connectors/servicenow/sync.py
`sync_servicenow_instances`, both over connectors/engine.py `sync_instances`).

Each instance is its own simulator on 127.0.0.1 serving the same world, so both folders must hold
the same keys."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from connectors.http import SourceConfigError, SourceError
from connectors.jira import JiraConfig, sync_jira_sites
from connectors.landing import RawLanding
from connectors.servicenow import ServiceNowConfig, sync_servicenow_instances
from connectors.sync_log import SyncLog
from simulators import start_simulators


def _jira(sims: Any, secret: str | None = None) -> JiraConfig:  # noqa: ANN401 (Simulators)
    return JiraConfig(url=sims.jira_url, email=sims.jira_email, api_token=secret or sims.jira_api_token)


def _servicenow(sims: Any, secret: str | None = None) -> ServiceNowConfig:  # noqa: ANN401 (Simulators)
    return ServiceNowConfig(
        url=sims.servicenow_url, user=sims.servicenow_user, password=secret or sims.servicenow_password
    )


# Each source: its sync of several instances, how to reach an instance (with another secret: a
# refused one), what to sync, and the entity whose keys are compared.
SOURCES: dict[str, tuple[Callable[..., Any], Callable[..., Any], dict[str, list[str]], str]] = {
    "jira": (sync_jira_sites, _jira, {"entities": ["projects", "users"]}, "projects"),
    "servicenow": (sync_servicenow_instances, _servicenow, {"tables": ["pm_portfolio", "sys_user"]}, "pm_portfolio"),
}


@pytest.fixture(params=sorted(SOURCES))
def source(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def two(world_path: Path) -> Iterator[tuple[Any, Any]]:
    """Two simulators serving the same world: the first instance and the one named acme."""
    with start_simulators(world_path) as first, start_simulators(world_path) as acme:
        yield first, acme


def test_each_instance_lands_in_its_own_folder_and_the_counts_add_up(
    source: str, two: tuple[Any, Any], tmp_path: Path
) -> None:
    sync, config, selected, entity = SOURCES[source]
    landing = RawLanding(tmp_path / "raw")
    results = sync([(source, config(two[0])), (f"{source}.acme", config(two[1]))], landing, **selected)
    asked = [sims.stats()[source]["requests"] for sims in two]
    assert all(asked), asked  # each instance was read from its own server
    by_entity = {result.entity: result for result in results}
    first_keys, acme_keys = landing.live_keys(source, entity), landing.live_keys(f"{source}.acme", entity)
    assert first_keys and first_keys == acme_keys  # the same world twice: the same keys, each in its own log
    assert by_entity[entity].source == source and by_entity[entity].records == 2 * len(first_keys)
    assert landing.instances(source) == [source, f"{source}.acme"]


def test_a_failing_instance_is_named_and_does_not_keep_the_others_from_syncing(
    source: str, two: tuple[Any, Any], tmp_path: Path
) -> None:
    sync, config, selected, entity = SOURCES[source]
    landing = RawLanding(tmp_path / "raw")
    # read from the acme instance's own variables (JIRA_ACME_…), which the error must name
    refused = replace(config(two[1], "not-the-secret"), variables=f"{source.upper()}_ACME")
    with pytest.raises(SourceError, match=rf"^{source}\.acme: .*401") as failure:
        sync([(f"{source}.acme", refused), (source, config(two[0]))], landing, **selected, run_id="r1")
    assert f"{source}:" not in str(failure.value)  # the instance that worked is not blamed
    secret = {"jira": "JIRA_ACME_API_TOKEN", "servicenow": "SERVICENOW_ACME_PASSWORD"}[source]
    assert secret in str(failure.value)
    assert landing.live_keys(source, entity)  # synced after the failing instance
    assert not landing.live_keys(f"{source}.acme", entity)
    logged = SyncLog(landing.root).read().to_pylist()
    outcomes = {(row["source"], row["status"]) for row in logged if row["run_id"] == "r1"}
    assert outcomes == {(f"{source}.acme", "failed"), (source, "succeeded")}


def test_a_site_whose_client_cannot_be_built_is_named_and_logged(two: tuple[Any, Any], tmp_path: Path) -> None:
    landing = RawLanding(tmp_path / "raw")
    # a scope that would escape the sync's bound: refused before anything is asked
    escaping = replace(_jira(two[1]), jql_scope="project = A) OR (project = B", variables="JIRA_ACME")
    with pytest.raises(SourceConfigError, match=r"^jira\.acme: JIRA_ACME_JQL_SCOPE must be a filter"):
        sync_jira_sites(
            [("jira.acme", escaping), ("jira", _jira(two[0]))], landing, entities=["projects", "users"], run_id="r2"
        )
    assert landing.live_keys("jira", "projects")  # the other site still synced
    logged = SyncLog(landing.root).read().to_pylist()
    outcomes = {(row["source"], row["entity"], row["status"]) for row in logged if row["run_id"] == "r2"}
    assert outcomes == {
        ("jira.acme", "projects", "failed"),
        ("jira.acme", "users", "failed"),
        ("jira", "projects", "succeeded"),
        ("jira", "users", "succeeded"),
    }
