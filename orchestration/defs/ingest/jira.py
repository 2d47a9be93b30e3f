"""Jira Cloud → raw/jira/<entity>: projects, issues, status history, worklogs and reference data."""

from collections.abc import Iterator
from contextlib import closing

import dagster as dg

from connectors.jira import JIRA_ENTITIES, jira_client, sync_jira
from orchestration.defs.ingest.landing_assets import SOURCE_RETRY_POLICY, land_source, raw_specs, selected_entities
from orchestration.defs.resources import JiraResource, WarehouseResource

DESCRIPTIONS = {
    "projects": "Jira projects (/project/search). Snapshot entity: only changed records land.",
    "statuses": "Jira statuses with their status category (/status). Snapshot entity.",
    "fields": "Jira field catalogue (/field); staging finds the story-points and sprint fields here by name.",
    "users": "Jira accounts (/users/search); joined to ServiceNow users by e-mail.",
    "issues": (
        "Jira issues (/search/jql), incremental on `updated` with epoch-millisecond JQL; "
        "`--full` adds tombstones for deleted issues."
    ),
    "issue_changelogs": (
        "Status change histories (/changelog/bulkfetch) of the issues landed in the same run; one row per history."
    ),
    "worklogs": "Jira worklogs (/worklog/updated + /worklog/list); deletions from /worklog/deleted land as tombstones.",
}


@dg.multi_asset(
    name="raw_jira",
    specs=raw_specs("jira", JIRA_ENTITIES, DESCRIPTIONS),
    can_subset=True,
    retry_policy=SOURCE_RETRY_POLICY,
)
def raw_jira(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, jira: JiraResource
) -> Iterator[dg.MaterializeResult]:
    """Land Jira Cloud records into the raw change log, incrementally (or fully when the run is tagged full)."""
    config = jira.config()

    def sync(landing, entities, *, full, progress, run_id):
        with closing(jira_client(config)) as client:
            return sync_jira(client, landing, full=full, entities=entities, progress=progress, run_id=run_id)

    yield from land_source(context, warehouse, "jira", selected_entities(context, "jira"), config, sync)
