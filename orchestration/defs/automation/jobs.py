"""The jobs: nightly_sync (sources → KPI marts), finance_refresh (one source), publish.

Publishing is its own job, launched after every sync run whatever its outcome (a run-status
sensor in the daemon, `pwh run` directly): after a good run it publishes the new marts; after a
run that failed or was blocked it republishes only `kpi_data_quality`, so BI users see why the
numbers did not move while the marts stay at their last good version.
"""

from __future__ import annotations

import dagster as dg

from orchestration.defs.automation.job_names import FINANCE_JOB, NIGHTLY_JOB, PUBLISH_JOB
from orchestration.defs.ingest.landing_assets import SYNC_MODE_TAG

PUBLISH_MODE_TAG = "pwh/publish_mode"
SOURCE_RUN_TAG = "pwh/source_run_id"

# Steps that run after a sync and publish its outcome, not part of the sync itself.
PUBLISHING = dg.AssetSelection.groups("data_quality", "serving")

NIGHTLY_SELECTION = dg.AssetSelection.all() - PUBLISHING
FINANCE_SELECTION = dg.AssetSelection.groups("raw_finance").downstream() - PUBLISHING


def sync_tags(full: bool) -> dict[str, str]:
    return {SYNC_MODE_TAG: "full" if full else "incremental"}


def publish_tags(sync_succeeded: bool, source_run_id: str) -> dict[str, str]:
    return {PUBLISH_MODE_TAG: "full" if sync_succeeded else "data_quality_only", SOURCE_RUN_TAG: source_run_id}


nightly_sync = dg.define_asset_job(
    NIGHTLY_JOB,
    selection=NIGHTLY_SELECTION,
    description="Every source into the raw change log, then dbt: staging → star schema → KPI marts, with checks.",
    tags=sync_tags(full=False),
)

finance_refresh = dg.define_asset_job(
    FINANCE_JOB,
    selection=FINANCE_SELECTION,
    description="A new finance export: load the drop folder and rebuild what depends on it.",
    tags=sync_tags(full=False),
)

publish = dg.define_asset_job(
    PUBLISH_JOB,
    selection=PUBLISHING,
    description="kpi_data_quality, then the published read-only warehouse and the Parquet exports.",
)
