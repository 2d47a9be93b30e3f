"""`pwh check` with several ServiceNow instances: each is asked on its own and named in the table
("ServiceNow acme"), and a failed preflight is logged under the instance's own folder."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from connectors.sync_log import SyncLog
from orchestration.cli.pipeline import configured_sources
from orchestration.cli.preflight import check_sources, record_failures
from orchestration.settings import JiraSettings, ServiceNowSettings, Settings
from simulators import start_simulators


def test_each_instance_is_checked_and_named_and_a_refused_one_is_logged_under_its_folder(
    world_path: Path, tmp_path: Path
) -> None:
    with start_simulators(world_path) as first, start_simulators(world_path) as acme:
        settings = Settings(home=tmp_path, as_of=None).with_sources(
            jira=JiraSettings(),  # Jira unset: it is skipped, not asked
            servicenow=ServiceNowSettings(first.servicenow_url, first.servicenow_user, first.servicenow_password),
            finance_export_dir=tmp_path / "drop",
            servicenow_instances=(
                ServiceNowSettings(acme.servicenow_url, acme.servicenow_user, acme.servicenow_password, "acme"),
                ServiceNowSettings(acme.servicenow_url, acme.servicenow_user, "not-the-password", "globex"),
            ),
        )
        sources = [source for source in configured_sources(settings) if source.kind == "ServiceNow"]
        started = datetime.now(UTC)
        outcomes = check_sources(sources)
    asked = {outcome.source for outcome in outcomes}
    assert asked == {"ServiceNow", "ServiceNow acme", "ServiceNow globex"}
    failed = {(outcome.source, outcome.check) for outcome in outcomes if not outcome.ok}
    assert failed == {("ServiceNow globex", "sign in")}
    run_id = record_failures(tmp_path / "raw", outcomes, started, sources)
    logged = {row["source"] for row in SyncLog(tmp_path / "raw").read().to_pylist() if row["run_id"] == run_id}
    assert logged == {"servicenow.globex"}
