"""raw_servicenow with a further instance, in Dagster: one step lands each instance in its own folder,
and the raw checks validate and date each folder on its own (orchestration/defs/ingest/servicenow.py,
orchestration/defs/quality/raw_checks.py)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from connectors.landing import RawLanding
from connectors.sync_log import SyncLog
from orchestration.defs.ingest.landing_assets import raw_key
from orchestration.defs.ingest.servicenow import raw_servicenow
from orchestration.defs.quality.raw_checks import raw_quality_checks
from orchestration.defs.resources import ServiceNowInstance, ServiceNowResource, WarehouseResource
from quality.results import read_results
from simulators import start_simulators

TABLES = ("pm_portfolio", "sys_user")


def test_each_instance_lands_in_its_own_folder_and_is_checked_on_its_own(world_path: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    with start_simulators(world_path) as first, start_simulators(world_path) as acme:
        servicenow = ServiceNowResource(
            url=first.servicenow_url,
            user=first.servicenow_user,
            password=first.servicenow_password,
            instances=[
                ServiceNowInstance(
                    name="acme", url=acme.servicenow_url, user=acme.servicenow_user, password=acme.servicenow_password
                )
            ],
        )
        result = dg.materialize(
            [raw_servicenow, raw_quality_checks],
            resources={"warehouse": WarehouseResource(home=str(home)), "servicenow": servicenow},
            selection=dg.AssetSelection.assets(*(raw_key("servicenow", table) for table in TABLES)),
        )
    assert result.success
    landing = RawLanding(home / "raw")
    for table in TABLES:
        assert landing.live_keys("servicenow", table) and landing.live_keys("servicenow", table) == (
            landing.live_keys("servicenow.acme", table)
        )
    # One asset per table stands for both instances: its records count both.
    (portfolios,) = [
        m for m in result.get_asset_materialization_events() if m.asset_key == raw_key("servicenow", "pm_portfolio")
    ]
    landed = portfolios.materialization.metadata["records"].value
    assert landed == 2 * len(landing.live_keys("servicenow", "pm_portfolio"))
    # Each instance is in the sync log under its own folder.
    logged = {(row["source"], row["entity"]) for row in SyncLog(landing.root).read().to_pylist()}
    assert logged == {(folder, table) for folder in ("servicenow", "servicenow.acme") for table in TABLES}
    # The checks passed, and each folder has its own check rows.
    evaluations = result.get_asset_check_evaluations()
    assert evaluations and all(e.passed for e in evaluations if e.check_name == "valid")
    targets = set(read_results(home / "quality")["table_name"])
    assert {f"{folder}/{table}" for folder in ("servicenow", "servicenow.acme") for table in TABLES} <= targets
