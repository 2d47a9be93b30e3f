"""`pwh run` and `pwh demo`: one night of the pipeline, from the command line.

In order: take PWH_HOME's run lock (one run at a time); ask every configured source the preflight
questions (orchestration/cli/preflight.py) — a drop folder that cannot be read stops it there (exit 2,
nothing synced or published); a source that fails is reported in seconds, logged as a failed run and published
to the data-quality marts, and the night stops there; clean up after a run that was killed
(orchestration/lifecycle.py); otherwise run `nightly_sync`
and then `publish` (always: kpi_data_quality must record a failed night too) and print the
headline. SIGINT and SIGTERM cancel the run cleanly (orchestration/runner.py).
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import TextIO

from orchestration.defs.automation.job_names import NIGHTLY_JOB, PUBLISH_JOB
from orchestration.settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_CANNOT_START = 0, 1, 2


def run_pipeline(settings: Settings, *, full: bool, command: str, wait: bool = False) -> int:
    from orchestration.cli.console import child_output_to
    from orchestration.cli.preflight import check_sources
    from orchestration.lifecycle import prepare_dagster_home, run_lock

    dagster_home = prepare_dagster_home(settings.paths)
    started = datetime.now(UTC)
    log_path = settings.paths.home / "logs" / f"run-{started:%Y%m%dT%H%M%SZ}.log"
    # The lock first: a second run says so in a second, before Dagster is even imported.
    with run_lock(settings.paths, command, wait=wait):
        # What runs, at once: Dagster and the definitions take seconds to load.
        mode = "full" if full else "incremental"
        print(f"Running {NIGHTLY_JOB} ({mode}, as of {settings.as_of}) into {settings.home}", flush=True)
        print(f"  step and dbt logs: {log_path}", flush=True)
        # Then the preflight, still before Dagster: a closed port or a bad token is said at once.
        # Its retries and warnings go to the log; the verdict to the terminal.
        asked = time.monotonic()
        with child_output_to(log_path) as (out, err):
            failed = [o for o in check_sources(configured_sources(settings)) if not o.ok]
            for outcome in failed:
                print(f"pwh: {outcome.source} cannot be read: {outcome.detail}", file=err, flush=True)
            if not any(outcome.local for outcome in failed):
                # The next line comes once Dagster has loaded the definitions and started a step.
                checked = f"  sources checked in {time.monotonic() - asked:.1f} s; loading the pipeline"
                print(checked, file=out, flush=True)
        if any(outcome.local for outcome in failed):
            # A setting on this machine (the drop folder) to fix: like an unwritable PWH_HOME, the
            # night does not start: nothing is synced, recorded or published. A source that fails is a
            # failed night instead, on record for BI.
            return EXIT_CANNOT_START

        from dagster import DagsterInstance

        from orchestration.lifecycle import (
            RunBusy,
            daemon_alive,
            daemon_runs_in_progress,
            recover_crashed_runs,
        )
        from serving.publish import remove_stale_temp_files

        with DagsterInstance.from_config(str(dagster_home)) as instance:
            for note in recover_crashed_runs(instance, daemon_alive=daemon_alive(instance)):
                print(f"pwh: {note}", file=sys.stderr, flush=True)
            for path in remove_stale_temp_files(settings.paths.published_db):
                print(f"pwh: removed {path.name}, left by a publish that was killed", file=sys.stderr, flush=True)
            # A daemon that no longer runs will never run what it queued: only a live one's runs count.
            if daemon_alive(instance):
                _wait_for_daemon_runs(instance, wait, RunBusy, daemon_runs_in_progress)
            return _night(settings, instance, full=full, failed=failed, started=started, log_path=log_path)


def _wait_for_daemon_runs(instance, wait: bool, busy: type[Exception], in_progress) -> None:  # noqa: ANN001
    while True:
        running = in_progress(instance)
        if not running:
            return
        if not wait:
            raise busy(f"the Dagster daemon is running {', '.join(running)}; wait for it, or run with --wait")
        time.sleep(5)


def _night(settings: Settings, instance, *, full: bool, failed: list, started: datetime, log_path) -> int:  # noqa: ANN001
    """The night itself, once the preflight has answered (`failed`: the sources that cannot be read)."""
    from orchestration.cli.console import child_output_to
    from orchestration.cli.preflight import record_failures
    from orchestration.cli.progress import ProgressPrinter
    from orchestration.cli.report import print_headline
    from orchestration.defs.automation.jobs import publish_tags, sync_tags
    from orchestration.defs.resources import dbt_environment, run_config, source_resources
    from orchestration.defs.transform.project import prepare_manifest
    from orchestration.runner import interrupts_raise, run_job

    paths = settings.paths
    # What the runs use is in their run config (shown in the UI): these settings as resources,
    # secrets as the names of their variables. The step processes get the values of those
    # variables (and the settings, for loading the definitions) as their environment.
    resources = source_resources(settings)
    warehouse = resources["warehouse"]
    sync_config, publish_config = run_config(resources), run_config({"warehouse": warehouse})
    env = settings.environment()
    with interrupts_raise(), child_output_to(log_path) as (out, err):
        printer = ProgressPrinter(out)
        if failed:
            # Already said on the terminal; now put it on record for BI.
            run_id = record_failures(paths.raw, failed, started, configured_sources(settings))
            print(f"  recording the failed run {run_id} in the data-quality marts", file=out, flush=True)
            publish = run_job(
                PUBLISH_JOB,
                instance,
                tags=publish_tags(False, run_id),
                run_config=publish_config,
                env=env,
                on_event=printer,
            )
            nightly = None
        else:
            # Parse with the environment the dbt steps will have, so every dbt step can reuse the parse.
            prepare_manifest(dbt_environment(warehouse, resources["jira"]))
            nightly = run_job(
                NIGHTLY_JOB, instance, tags=sync_tags(full), run_config=sync_config, env=env, on_event=printer
            )
            publish = run_job(
                PUBLISH_JOB,
                instance,
                tags=publish_tags(nightly.success, nightly.run_id),
                run_config=publish_config,
                env=env,
                on_event=printer,
            )
    if nightly is not None and nightly.success and publish.success:
        print_headline(paths.published_db, sys.stdout)
        return EXIT_OK
    _report_failures(nightly, publish, log_path, sys.stderr)
    if paths.published_db.exists():
        print_headline(paths.published_db, sys.stdout)
    return EXIT_FAILED


def _report_failures(nightly, publish, log_path, err: TextIO) -> None:  # noqa: ANN001 (RunOutcome)
    if nightly is not None:
        for check in nightly.failed_checks:
            if check.endswith("(error)"):
                print(f"pwh: blocking check failed: {check} — KPI marts kept their last good version", file=err)
        for failure in nightly.failures:
            print(f"pwh: {failure}", file=err)
    for failure in publish.failures:
        print(f"pwh: {failure}", file=err)
    run = f" (run {nightly.run_id})" if nightly is not None else ""
    print(f"pwh: details in {log_path} and in `pwh ui`{run}", file=err)


def configured_sources(settings: Settings):  # noqa: ANN201 (list[SourceSetting])
    """Each source with its config, or what a user must set (no Dagster import: `pwh check` is quick)."""
    from orchestration.cli.preflight import SourceSetting
    from orchestration.settings import NotConfigured

    sources = [
        *(
            (f"Jira {site.site}" if site.site else "Jira", "Jira", site.source_instance, config)
            for site, config in settings.jira_site_configs()
        ),
        *(
            (f"ServiceNow {one.instance}" if one.instance else "ServiceNow", "ServiceNow", one.source_instance, config)
            for one, config in settings.servicenow_instance_configs()
        ),
        ("Finance exports", "Finance exports", "finance", settings.finance_config()),
    ]
    return [
        SourceSetting(name, config, not isinstance(config, NotConfigured), kind, landing)
        for name, kind, landing, config in sources
    ]
