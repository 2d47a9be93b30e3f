"""Fixtures for connector tests: running simulators and clients pointed at them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.http import HttpPolicy
from connectors.jira import JiraClient, JiraConfig
from connectors.servicenow import ServiceNowClient, ServiceNowConfig

# Small backoff so fault-injection tests stay fast; the budget still bounds a stuck server.
TEST_POLICY = HttpPolicy(connect_timeout=5, read_timeout=30, max_attempts=10, backoff_base=0.02,
                         backoff_max=0.2, retry_budget_seconds=120)


def jira_for(sims, policy: HttpPolicy = TEST_POLICY, **kwargs) -> JiraClient:
    return JiraClient(JiraConfig(sims.jira_url, sims.jira_email, sims.jira_api_token,
                                 verify=str(sims.ca_bundle) if sims.ca_bundle else True), policy=policy, **kwargs)


def servicenow_for(sims, policy: HttpPolicy = TEST_POLICY, **kwargs) -> ServiceNowClient:
    return ServiceNowClient(
        ServiceNowConfig(sims.servicenow_url, sims.servicenow_user, sims.servicenow_password,
                         verify=str(sims.ca_bundle) if sims.ca_bundle else True),
        policy=policy, **kwargs,
    )


@pytest.fixture(scope="session")
def small_sims(small_world_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """Simulators serving the session's (read-only) small world, with its finance exports."""
    from simulators import start_simulators

    finance = tmp_path_factory.mktemp("finance-drop")
    with start_simulators(small_world_path, finance_dir=finance) as sims:
        yield sims
