"""The fixed parts of the simulated Jira site: statuses, fields, issue types, link types, server info."""

from __future__ import annotations

from simulators.world.store import BASE_URL_PLACEHOLDER as BASE
from simulators.world.store import SERVER_TIME_PLACEHOLDER, SPRINT_FIELD_ID, STORY_POINTS_FIELD_ID

CATEGORIES = {
    "new": {
        "self": f"{BASE}/rest/api/3/statuscategory/2",
        "id": 2,
        "key": "new",
        "colorName": "blue-gray",
        "name": "To Do",
    },
    "indeterminate": {
        "self": f"{BASE}/rest/api/3/statuscategory/4",
        "id": 4,
        "key": "indeterminate",
        "colorName": "yellow",
        "name": "In Progress",
    },
    "done": {
        "self": f"{BASE}/rest/api/3/statuscategory/3",
        "id": 3,
        "key": "done",
        "colorName": "green",
        "name": "Done",
    },
}
# name -> (id, category key, description)
STATUSES = {
    "To Do": ("10000", "new", "Work that has not been started."),
    "In Progress": ("3", "indeterminate", "This issue is being actively worked on at the moment by the assignee."),
    "In Review": ("10001", "indeterminate", "The work is waiting for review."),
    "Blocked": ("10003", "indeterminate", "Work cannot go on until something else is done."),
    "Done": ("10002", "done", "Work is finished."),
}
ISSUE_TYPES = {
    "Epic": {"id": "10000", "name": "Epic", "subtask": False, "hierarchyLevel": 1},
    "Story": {"id": "10001", "name": "Story", "subtask": False, "hierarchyLevel": 0},
    "Task": {"id": "10002", "name": "Task", "subtask": False, "hierarchyLevel": 0},
    "Bug": {"id": "10004", "name": "Bug", "subtask": False, "hierarchyLevel": 0},
    "Sub-task": {"id": "10003", "name": "Sub-task", "subtask": True, "hierarchyLevel": -1},
}
PRIORITIES = (
    {"id": "1", "name": "Highest"},
    {"id": "2", "name": "High"},
    {"id": "3", "name": "Medium"},
    {"id": "4", "name": "Low"},
    {"id": "5", "name": "Lowest"},
)
RESOLUTIONS = {"Done": {"id": "10000", "name": "Done"}, "Won't Do": {"id": "10001", "name": "Won't Do"}}
LINK_TYPES = {
    "Blocks": {"id": "10000", "name": "Blocks", "inward": "is blocked by", "outward": "blocks"},
    "Duplicate": {"id": "10002", "name": "Duplicate", "inward": "is duplicated by", "outward": "duplicates"},
    "Relates": {"id": "10003", "name": "Relates", "inward": "relates to", "outward": "relates to"},
}


def status_body(name: str) -> dict:
    """The status object embedded in an issue's fields."""
    status_id, category, description = STATUSES[name]
    category_body = CATEGORIES[category]
    return {
        "self": f"{BASE}/rest/api/3/status/{status_id}",
        "description": description,
        "iconUrl": f"{BASE}/images/icons/statuses/generic.png",
        "name": name,
        "id": status_id,
        "statusCategory": category_body,
    }


def statuses() -> list[dict]:
    """GET /status."""
    return [status_body(name) for name in STATUSES]


def _field(
    field_id: str,
    name: str,
    schema: dict,
    *,
    custom: bool = False,
    clause: list[str] | None = None,
    orderable: bool = True,
    searchable: bool = True,
) -> dict:
    body = {
        "id": field_id,
        "key": field_id,
        "name": name,
        "custom": custom,
        "orderable": orderable,
        "navigable": True,
        "searchable": searchable,
        "clauseNames": clause if clause is not None else [field_id.lower()],
        "schema": schema,
    }
    return body


def fields() -> list[dict]:
    """GET /field: the system fields the connectors read, two custom fields they need, and noise."""
    return [
        _field("summary", "Summary", {"type": "string", "system": "summary"}),
        _field("issuetype", "Issue Type", {"type": "issuetype", "system": "issuetype"}, clause=["issuetype", "type"]),
        _field("status", "Status", {"type": "status", "system": "status"}, orderable=False),
        _field("priority", "Priority", {"type": "priority", "system": "priority"}),
        _field("assignee", "Assignee", {"type": "user", "system": "assignee"}),
        _field("reporter", "Reporter", {"type": "user", "system": "reporter"}),
        _field("project", "Project", {"type": "project", "system": "project"}, orderable=False),
        _field("parent", "Parent", {"type": "issuelink", "system": "parent"}, clause=["parent"]),
        _field(
            "created",
            "Created",
            {"type": "datetime", "system": "created"},
            clause=["created", "createdDate"],
            orderable=False,
        ),
        _field(
            "updated",
            "Updated",
            {"type": "datetime", "system": "updated"},
            clause=["updated", "updatedDate"],
            orderable=False,
        ),
        _field(
            "resolutiondate",
            "Resolved",
            {"type": "datetime", "system": "resolutiondate"},
            clause=["resolutiondate", "resolved"],
            orderable=False,
        ),
        _field("resolution", "Resolution", {"type": "resolution", "system": "resolution"}),
        _field(
            "statuscategorychangedate",
            "Status Category Changed",
            {"type": "datetime", "system": "statuscategorychangedate"},
            clause=["statusCategoryChangedDate"],
            orderable=False,
        ),
        _field("duedate", "Due date", {"type": "date", "system": "duedate"}, clause=["due", "duedate"]),
        _field("labels", "Labels", {"type": "array", "items": "string", "system": "labels"}),
        _field(
            "components",
            "Components",
            {"type": "array", "items": "component", "system": "components"},
            clause=["component"],
        ),
        _field(
            "fixVersions",
            "Fix versions",
            {"type": "array", "items": "version", "system": "fixVersions"},
            clause=["fixVersion"],
        ),
        _field(
            "timeoriginalestimate",
            "Original estimate",
            {"type": "number", "system": "timeoriginalestimate"},
            clause=["originalEstimate", "timeoriginalestimate"],
            orderable=False,
        ),
        _field(
            "timespent", "Time Spent", {"type": "number", "system": "timespent"}, clause=["timespent"], orderable=False
        ),
        _field(
            "issuelinks",
            "Linked Issues",
            {"type": "array", "items": "issuelinks", "system": "issuelinks"},
            clause=[],
            searchable=False,
        ),
        _field(
            STORY_POINTS_FIELD_ID,
            "Story point estimate",
            {"type": "number", "custom": "com.pyxis.greenhopper.jira:jsw-story-points", "customId": 10016},
            custom=True,
            clause=["cf[10016]", "Story point estimate"],
        ),
        _field(
            SPRINT_FIELD_ID,
            "Sprint",
            {"type": "array", "items": "json", "custom": "com.pyxis.greenhopper.jira:gh-sprint", "customId": 10020},
            custom=True,
            clause=["cf[10020]", "Sprint"],
        ),
        _field(
            "customfield_10011",
            "Epic Name",
            {"type": "string", "custom": "com.pyxis.greenhopper.jira:gh-epic-label", "customId": 10011},
            custom=True,
            clause=["cf[10011]", "Epic Name"],
        ),
        _field(
            "customfield_10034",
            "Team",
            {
                "type": "team",
                "custom": "com.atlassian.jira.plugin.system.customfieldtypes:atlassian-team",
                "customId": 10034,
            },
            custom=True,
            clause=["cf[10034]", "Team"],
        ),
        _field(
            "customfield_10050",
            "Customer request type",
            {"type": "sd-customerrequesttype", "custom": "com.atlassian.servicedesk:vp-origin", "customId": 10050},
            custom=True,
            clause=["cf[10050]", "Customer request type"],
        ),
    ]


def myself(account: dict, time_zone: str) -> dict:
    """GET /myself of the API user."""
    return {
        "self": f"{BASE}/rest/api/3/user?accountId={account['accountId']}",
        "accountId": account["accountId"],
        "accountType": "atlassian",
        "emailAddress": account["emailAddress"],
        "displayName": account["displayName"],
        "active": True,
        "timeZone": time_zone,
        "locale": "en_US",
        "groups": {"size": 2, "items": []},
        "applicationRoles": {"size": 1, "items": []},
        "avatarUrls": avatar_urls(account["accountId"]),
    }


def server_info() -> dict:
    """GET /serverInfo (the server fills in its base URL and clock)."""
    return {
        "baseUrl": BASE,
        "displayUrl": BASE,
        "version": "1001.0.0-SNAPSHOT",
        "versionNumbers": [1001, 0, 0],
        "deploymentType": "Cloud",
        "buildNumber": 100289,
        "buildDate": "2026-01-12T00:00:00.000+0000",
        "serverTime": SERVER_TIME_PLACEHOLDER,
        "scmInfo": "4a1c86fd1b2e0e4f7b9e8ddfa52b05ff8c3f4e4a",
        "serverTitle": "Jira",
        "serverTimeZone": "Etc/UTC",
    }


def issue_link_types() -> dict:
    """GET /issueLinkType."""
    return {
        "issueLinkTypes": [
            {**link, "self": f"{BASE}/rest/api/3/issueLinkType/{link['id']}"} for link in LINK_TYPES.values()
        ]
    }


def avatar_urls(key: str) -> dict:
    return {
        size: f"{BASE}/secure/useravatar?size={name}&ownerId={key}"
        for size, name in (("48x48", "large"), ("24x24", "small"), ("16x16", "xsmall"), ("32x32", "medium"))
    }
