"""Run a sync in a separate process, for tests that kill it, change its time zone or measure it.

Usage: ``python sync_child.py --landing DIR [--sources jira,servicenow,finance] [--batch-rows N]
[--full] [--per-entity]``. The simulator endpoints and credentials come from the environment
variable ``PWH_TEST_SIMS`` (the JSON object ``Simulators.as_json()`` prints) so they never appear
on a command line. Prints one JSON object: per-entity results, seconds, and this process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

# Run as a script, sys.path[0] is this folder; the repository root makes `connectors` importable.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from connectors.finance import sync_finance  # noqa: E402
from connectors.http import HttpPolicy  # noqa: E402
from connectors.jira import JIRA_ENTITIES, JiraClient, JiraConfig, sync_jira  # noqa: E402
from connectors.landing import RawLanding  # noqa: E402
from connectors.servicenow import SERVICENOW_TABLES, ServiceNowClient, ServiceNowConfig, sync_servicenow  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--landing", required=True)
    parser.add_argument("--sources", default="jira,servicenow")
    parser.add_argument("--batch-rows", type=int, default=50_000)
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--per-entity", action="store_true", help="time every entity on its own")
    args = parser.parse_args()
    sims = json.loads(os.environ["PWH_TEST_SIMS"])
    landing = RawLanding(args.landing)
    policy = HttpPolicy(backoff_base=0.05, backoff_max=0.5, retry_budget_seconds=120)
    out: list[dict] = []
    sources = args.sources.split(",")

    def timed(call, *entities):
        started = time.perf_counter()
        results = call()
        seconds = time.perf_counter() - started
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        for result in results:
            out.append(
                {**result.as_metadata(), "seconds": seconds, "group": list(entities), "peak_rss_mib_so_far": peak}
            )

    if "jira" in sources:
        jira = JiraClient(JiraConfig(sims["jira_url"], sims["jira_email"], sims["jira_api_token"]), policy=policy)
        if args.per_entity:
            groups = [
                ("projects",),
                ("statuses",),
                ("fields",),
                ("users",),
                ("versions",),
                ("boards",),
                ("sprints",),
                ("issues", "issue_changelogs"),
                ("worklogs",),
            ]
            for group in groups:
                timed(
                    lambda g=group: sync_jira(
                        jira, landing, full=args.full, entities=list(g), batch_rows=args.batch_rows
                    ),
                    *group,
                )
        else:
            timed(lambda: sync_jira(jira, landing, full=args.full, batch_rows=args.batch_rows), *JIRA_ENTITIES)
    if "servicenow" in sources:
        sn = ServiceNowClient(
            ServiceNowConfig(sims["servicenow_url"], sims["servicenow_user"], sims["servicenow_password"]),
            policy=policy,
        )
        if args.per_entity:
            for table in SERVICENOW_TABLES:
                timed(
                    lambda t=table: sync_servicenow(
                        sn, landing, full=args.full, tables=[t], batch_rows=args.batch_rows
                    ),
                    table,
                )
        else:
            timed(lambda: sync_servicenow(sn, landing, full=args.full, batch_rows=args.batch_rows), *SERVICENOW_TABLES)
    if "finance" in sources:
        timed(
            lambda: sync_finance(Path(sims["finance_dir"]), landing, settle_seconds=0, batch_rows=args.batch_rows),
            "finance",
        )
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"results": out, "peak_rss_mib": peak_kib / 1024}))


if __name__ == "__main__":
    main()
