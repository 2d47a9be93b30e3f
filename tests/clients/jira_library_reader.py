"""Read the simulated Jira with the ``jira`` library, as a user of it would, and print what it read.

Runs in ``.venv-clients/jira`` (it imports nothing of this project): ``python jira_library_reader.py
URL EMAIL TOKEN CA_BUNDLE`` prints one JSON object of ids per entity on stdout, for
``tests/clients/test_clients.py`` to compare with the other clients and with the world file.
"""

from __future__ import annotations

import json
import string
import sys

from jira import JIRA


def main(url: str, email: str, token: str, ca_bundle: str) -> dict[str, list[str]]:
    """Every entity the library reads through the endpoints the simulators added for it."""
    client = JIRA(server=url, basic_auth=(email, token), options={"verify": ca_bundle}, max_retries=0)
    users: set[str] = set()
    # Jira Cloud's user search needs a query; every display name starts with a letter.
    for letter in string.ascii_lowercase:
        users.update(user.accountId for user in client.search_users(query=letter, maxResults=1000))
    projects = client.projects()
    versions = [v.id for p in projects for v in client.project_versions(p.key)]
    components = [c.id for p in projects for c in client.project_components(p.key)]
    boards = client.boards(maxResults=0)
    sprints = [s.id for b in boards if b.type == "scrum" for s in client.sprints(b.id, maxResults=0)]
    issues = client.enhanced_search_issues("updated >= 0 order by key", maxResults=0, fields="key")
    comments = [c.id for issue in issues for c in client.comments(issue.id)]
    return {
        "users": sorted(users),
        "projects": sorted(p.id for p in projects),
        "versions": sorted(versions),
        "components": sorted(components),
        "boards": sorted(str(b.id) for b in boards),
        "sprints": sorted(str(s) for s in sprints),
        "issues": sorted(issue.id for issue in issues),
        "comments": sorted(comments),
    }


if __name__ == "__main__":
    json.dump(main(*sys.argv[1:5]), sys.stdout)
