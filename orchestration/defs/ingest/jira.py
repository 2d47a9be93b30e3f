"""Jira Cloud → raw/jira/<entity>: projects, releases, boards, sprints, issues, their status and sprint
history, worklogs and reference data. Each further site (JIRA_SITES) lands in raw/jira.<site>/<entity>
in the same step; an asset stands for the entity on every site."""

from connectors.jira import JIRA_ENTITIES, sync_jira_sites
from orchestration.defs.ingest.landing_assets import instances_sync, source_asset

DESCRIPTIONS = {
    "projects": "Jira projects (/project/search). Snapshot entity: only changed records land.",
    "statuses": "Jira statuses with their status category (/status). Snapshot entity.",
    "fields": "Jira field catalogue (/field); staging finds the story-points and sprint fields here by name.",
    "users": "Jira accounts (/users/search); joined to ServiceNow users by e-mail.",
    "versions": (
        "Jira fix versions (releases) of every landed project (/project/{id}/version, paged). Snapshot entity: "
        "only changed versions land (released, archived, dates, overdue)."
    ),
    "boards": "Jira Software boards (/rest/agile/1.0/board, paged). Snapshot entity; scrum boards have sprints.",
    "sprints": (
        "Sprints of every landed scrum board (/rest/agile/1.0/board/{id}/sprint, paged): state, start, end and "
        "completion. Snapshot entity; which issues were in a sprint when comes from the Sprint changelog items."
    ),
    "issues": (
        "Jira issues (/search/jql), incremental on `updated` with epoch-millisecond JQL; "
        "`--full` adds tombstones for deleted issues."
    ),
    "issue_changelogs": (
        "Status and sprint change histories (/changelog/bulkfetch) of the issues landed in the same run; "
        "one row per history."
    ),
    "worklogs": "Jira worklogs (/worklog/updated + /worklog/list); deletions from /worklog/deleted land as tombstones.",
}


raw_jira = source_asset(
    "jira",
    JIRA_ENTITIES,
    DESCRIPTIONS,
    instances_sync(sync_jira_sites, "entities"),
    doc="Land Jira Cloud records into the raw change log, incrementally (or fully when the run is tagged full).",
)
