"""Clients pointed at running simulators, with a fast retry policy (a module, not a conftest,
so test files and the subprocesses they spawn import it by its full name)."""

from __future__ import annotations

from connectors.http import HttpPolicy
from connectors.jira import JiraClient, JiraConfig
from connectors.servicenow import ServiceNowClient, ServiceNowConfig

# Small backoff so fault-injection tests stay fast; the budget still bounds a stuck server.
TEST_POLICY = HttpPolicy(
    connect_timeout=5, read_timeout=30, max_attempts=10, backoff_base=0.02, backoff_max=0.2, retry_budget_seconds=120
)


def jira_for(sims, policy: HttpPolicy = TEST_POLICY, **kwargs) -> JiraClient:
    return JiraClient(
        JiraConfig(
            sims.jira_url, sims.jira_email, sims.jira_api_token, verify=str(sims.ca_bundle) if sims.ca_bundle else True
        ),
        policy=policy,
        **kwargs,
    )


def servicenow_for(sims, policy: HttpPolicy = TEST_POLICY, **kwargs) -> ServiceNowClient:
    return ServiceNowClient(
        ServiceNowConfig(
            sims.servicenow_url,
            sims.servicenow_user,
            sims.servicenow_password,
            verify=str(sims.ca_bundle) if sims.ca_bundle else True,
        ),
        policy=policy,
        **kwargs,
    )
