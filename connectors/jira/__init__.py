"""Jira Cloud: the REST v3 client (client.py) and its sync into ``raw/jira/<entity>``, a further site into
``raw/jira.<site>/<entity>`` (sync.py)."""

from connectors.jira.client import JiraClient, JiraConfig, jira_client
from connectors.jira.sync import JIRA_ENTITIES, JIRA_OVERLAP, sync_jira, sync_jira_sites

__all__ = ["JIRA_ENTITIES", "JIRA_OVERLAP", "JiraClient", "JiraConfig", "jira_client", "sync_jira", "sync_jira_sites"]
