"""The jobs' names, apart from their definitions: `pwh run` names the job it starts before it
imports Dagster (a progress line within a second of the command)."""

NIGHTLY_JOB = "nightly_sync"
FINANCE_JOB = "finance_refresh"
PUBLISH_JOB = "publish"
