"""Jira Cloud → raw/jira/<entity>: projects, issues, status history, worklogs and reference data."""

from collections.abc import Iterator
from contextlib import closing

import dagster as dg

from connectors.landing import RawLanding
from connectors.sync import JIRA_ENTITIES, jira_client, sync_jira
from orchestration.defs.ingest.landing_assets import (
    SOURCE_RETRY_POLICY,
    ensure_entities,
    is_full_sync,
    materializations,
    progress_logger,
    raw_specs,
    selected_entities,
    skipped,
    source_errors,
)
from orchestration.defs.resources import JiraResource, WarehouseResource
from orchestration.settings import NotConfigured

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
    entities = selected_entities(context, "jira")
    landing = RawLanding(warehouse.paths.raw)
    ensure_entities(landing, "jira", entities)
    config = jira.config()
    if isinstance(config, NotConfigured):
        yield from skipped(context, landing, "jira", entities, config.message)
        return
    full = is_full_sync(context)
    with source_errors(), closing(jira_client(config)) as client:
        results = sync_jira(
            client,
            landing,
            full=full,
            entities=entities,
            progress=progress_logger(context),
            run_id=context.run.run_id,
        )
    yield from materializations(context, "jira", results, full)
