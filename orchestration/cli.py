"""`pwh` — the command line of the portfolio warehouse (docs/contract.md §1).

    pwh demo      simulated Jira + ServiceNow + finance drop, the whole pipeline, headline KPIs
    pwh run       the nightly job against the configured sources (env vars / .env)
    pwh simulate  serve the simulators alone
    pwh ui        the Dagster UI on 127.0.0.1
    pwh export    the published marts as Parquet or Excel files, or a Power BI project
    pwh dashboard the static dashboard from the published marts
    pwh docs      generate and serve the dbt docs site (lineage) on 127.0.0.1

Exit code 0 only when every asset materialised and every blocking check passed; 1 when the
pipeline ran and something failed (one line per failure on stderr); 2 when it could not start
(configuration, usage).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.settings import Settings

if TYPE_CHECKING:  # resources import Dagster, which `pwh --help` should not wait for
    from orchestration.defs.resources import NotConfigured

EXIT_OK, EXIT_FAILED, EXIT_CANNOT_START = 0, 1, 2

# Nothing we run phones home (DEVELOPERS.md).
QUIET_ENV = {
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "DO_NOT_TRACK": "1",
    "GX_ANALYTICS_ENABLED": "false",
    "DAGSTER_DISABLE_TELEMETRY": "true",
}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    for key, value in QUIET_ENV.items():
        os.environ.setdefault(key, value)
    if argv[:1] == ["simulate"]:
        # The simulators own their options (and their --help): hand them over untouched.
        from orchestration.settings import load_environment
        from simulators.serve import main as serve_main

        home = load_environment().get("PWH_HOME")
        if home:
            os.environ.setdefault("PWH_HOME", home)
        return serve_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_FAILED
    except UserFacingError as exc:
        print(f"pwh: {exc}", file=sys.stderr)
        return EXIT_CANNOT_START
    except Exception as exc:
        if os.environ.get("PWH_DEBUG"):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        print(f"pwh: {type(exc).__name__}: {first} (set PWH_DEBUG=1 for the traceback)", file=sys.stderr)
        return EXIT_FAILED


class UserFacingError(Exception):
    """Something the user can fix; printed as one line without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pwh", description="Portfolio warehouse: Jira + ServiceNow + finance exports → KPI marts.")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser(
        "demo",
        help="run the whole pipeline against the built-in simulated enterprise",
        description="Generate (once, then cached) a simulated enterprise, serve it on 127.0.0.1, and run "
        "the whole pipeline into PWH_HOME (default ./warehouse).",
    )
    demo.add_argument("--scale", choices=("small", "medium", "large"), default="medium",
                      help="size of the simulated enterprise (default: medium, ~250 projects)")
    demo.add_argument("--seed", type=int, default=7, help="the same seed gives the same enterprise (default: 7)")
    demo.add_argument("--as-of", type=_date, default=None, help="KPI as-of date (default: PWH_AS_OF or today, UTC)")
    demo.set_defaults(handler=cmd_demo)

    run = sub.add_parser("run", help="the nightly job against the configured sources")
    run.add_argument("--full", action="store_true", help="re-read everything and detect deletes")
    run.add_argument("--as-of", type=_date, default=None, help="KPI as-of date (default: PWH_AS_OF or today, UTC)")
    run.set_defaults(handler=cmd_run)

    # Dispatched to simulators.serve before parsing (see main); listed here for `pwh --help`.
    sub.add_parser("simulate", help="serve the simulated Jira and ServiceNow, write finance exports (pwh simulate --help)")

    ui = sub.add_parser("ui", help="the Dagster UI (dagster dev) on 127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(handler=cmd_ui)

    export = sub.add_parser("export", help="the published marts as files for Power BI / Excel")
    export.add_argument("--format", choices=("parquet", "xlsx", "powerbi"), default="parquet",
                        help="parquet: one file per mart with a manifest.json; xlsx: one workbook; powerbi: a Power BI "
                        "project (PBIP, TMDL model) over the Parquet exports in PWH_HOME/exports/parquet (default: parquet)")
    export.add_argument("--out", type=Path, default=None, help="folder (default: PWH_HOME/exports/<format>)")
    export.set_defaults(handler=cmd_export)

    dashboard = sub.add_parser("dashboard", help="(re)write the static dashboard from the published marts")
    dashboard.add_argument("--out", type=Path, default=None, help="folder (default: PWH_HOME/reports)")
    dashboard.set_defaults(handler=cmd_dashboard)

    docs = sub.add_parser("docs", help="generate and serve the dbt docs site (lineage) on 127.0.0.1")
    docs.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (default: 8080)")
    docs.set_defaults(handler=cmd_docs)
    return parser


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date like 2026-06-30: {text!r}") from exc


# --- commands -------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    if args.as_of:
        os.environ["PWH_AS_OF"] = args.as_of.isoformat()
    settings = _settings()
    unconfigured = unconfigured_sources()
    if len(unconfigured) == 3 and not _has_landed_data(settings):
        missing = "; ".join(f"{c.source} needs {', '.join(c.missing)}" for c in unconfigured)
        raise UserFacingError(
            f"nothing to run: no source is configured and nothing has landed in {settings.paths.raw} — "
            f"{missing} (see README), or try `pwh demo`"
        )
    for source in unconfigured:
        print(f"warning: {source.message}", file=sys.stderr)
    return run_pipeline(settings, full=args.full)


def _has_landed_data(settings: Settings) -> bool:
    """Whether any real batch landed before (the zero-row placeholders do not count)."""
    return any(
        not path.name.endswith("-empty.parquet") for path in settings.paths.raw.glob("*/*/batch-*.parquet")
    )


def cmd_demo(args: argparse.Namespace) -> int:
    from simulators import start_simulators
    from simulators.serve import ensure_world

    if args.as_of:
        os.environ["PWH_AS_OF"] = args.as_of.isoformat()
    settings = _settings()  # PWH_AS_OF from the environment or .env, else today (UTC)
    as_of = settings.as_of
    paths = settings.paths
    started = time.monotonic()
    print(f"Generating the {args.scale} simulated enterprise (seed {args.seed}, as of {as_of}) …", flush=True)
    world_path = ensure_world(args.scale, args.seed, as_of, paths.simulator)
    finance_dir = paths.simulator / "finance-drop"
    with start_simulators(world_path, finance_dir=finance_dir) as sims:
        os.environ.update(
            {
                "JIRA_URL": sims.jira_url,
                "JIRA_EMAIL": sims.jira_email,
                "JIRA_API_TOKEN": sims.jira_api_token,
                "SERVICENOW_URL": sims.servicenow_url,
                "SERVICENOW_USER": sims.servicenow_user,
                "SERVICENOW_PASSWORD": sims.servicenow_password,
                "FINANCE_EXPORT_DIR": str(finance_dir),
            }
        )
        print(f"Simulated Jira at {sims.jira_url}, ServiceNow at {sims.servicenow_url}, finance drop {finance_dir}", flush=True)
        code = run_pipeline(_settings(), full=False)
    print(f"Demo finished in {time.monotonic() - started:,.0f} s.")
    print(f"  published warehouse (open this in Power BI / DuckDB): {paths.published_db}")
    print(f"  Parquet exports: {paths.exports / 'parquet'}")
    print(f"  dashboard (open in a browser): {paths.home / 'reports' / 'index.html'}")
    print(f"  data-quality results: {paths.quality / 'check_results'} (and marts.kpi_data_quality)")
    return code


def cmd_ui(args: argparse.Namespace) -> int:
    from orchestration.runner import prepare_dagster_home

    settings = _settings()
    home = prepare_dagster_home(settings.paths)
    workspace = Path(__file__).resolve().parents[1] / "workspace.yaml"
    env = {**os.environ, "DAGSTER_HOME": str(home), "PWH_HOME": str(settings.home)}
    print(f"Dagster UI on http://127.0.0.1:{args.port} (DAGSTER_HOME={home}); Ctrl-C to stop.", flush=True)
    command = [sys.executable, "-m", "dagster", "dev", "-w", str(workspace), "-h", "127.0.0.1", "-p", str(args.port)]
    return subprocess.call(command, env=env, cwd=workspace.parent)


def cmd_export(args: argparse.Namespace) -> int:
    from serving.exports import export

    settings = _settings()
    out = args.out or settings.paths.exports / args.format
    try:
        if args.format == "powerbi":
            return _export_powerbi(settings, out)
        written = export(settings.paths.published_db, out, args.format)
    except FileNotFoundError as exc:
        raise UserFacingError(str(exc)) from exc
    for path in written:
        print(path)
    return EXIT_OK


def _export_powerbi(settings: Settings, out: Path) -> int:
    """Refresh the Parquet exports the project reads, then write the project from dbt's manifest."""
    from orchestration.defs.transform.project import ensure_manifest
    from serving.exports import export
    from serving.powerbi import write_project

    parquet = settings.paths.exports / "parquet"
    export(settings.paths.published_db, parquet, "parquet")
    result = write_project(ensure_manifest(), parquet, out, currency=settings.reporting_currency)
    print(result.pbip)
    print(f"{result.tables} tables, {result.relationships} relationships, {result.measures} measures; "
          f"Parquet folder parameter: {parquet}")
    return EXIT_OK


def cmd_dashboard(args: argparse.Namespace) -> int:
    from serving.dashboard import build_dashboard

    settings = _settings()
    out = args.out or settings.paths.home / "reports"
    try:
        result = build_dashboard(settings.paths.published_db, out, currency=settings.reporting_currency)
    except FileNotFoundError as exc:
        raise UserFacingError(str(exc)) from exc
    print(result.pages[0])
    return EXIT_OK


def cmd_docs(args: argparse.Namespace) -> int:
    """`dbt docs generate` into PWH_HOME/dbt_docs, then `dbt docs serve` there, on 127.0.0.1 only."""
    from orchestration.defs.transform.project import DBT_PROJECT_DIR

    settings = _settings()
    if not settings.paths.build_db.exists():
        raise UserFacingError(f"no warehouse at {settings.paths.build_db}: run `pwh run` (or `pwh demo`) first")
    dbt = str(Path(sys.executable).with_name("dbt"))
    target = settings.paths.home / "dbt_docs"
    common = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(target)]
    print(f"Generating the dbt docs site into {target} …", flush=True)
    generated = subprocess.call([dbt, "docs", "generate", *common], cwd=DBT_PROJECT_DIR)
    if generated != 0:
        return EXIT_FAILED
    print(f"dbt docs on http://127.0.0.1:{args.port} (lineage: the graph button, bottom right); Ctrl-C to stop.", flush=True)
    return subprocess.call([dbt, "docs", "serve", *common, "--host", "127.0.0.1", "--port", str(args.port), "--no-browser"],
                           cwd=DBT_PROJECT_DIR)


# --- the pipeline -----------------------------------------------------------------------------


def _settings() -> Settings:
    from orchestration.settings import ConfigError, executor_choice

    try:
        settings = Settings.from_env()
        executor_choice()
    except ConfigError as exc:
        raise UserFacingError(str(exc)) from exc
    # Child processes (Dagster steps, dbt) must see the same absolute paths.
    os.environ["PWH_HOME"] = str(settings.home)
    os.environ["PWH_AS_OF"] = settings.as_of.isoformat()
    os.environ["PWH_REPORTING_CURRENCY"] = settings.reporting_currency
    return settings


def unconfigured_sources() -> list[NotConfigured]:
    from orchestration.defs.resources import (
        FinanceDropResource,
        JiraResource,
        NotConfigured,
        ServiceNowResource,
    )

    configs = [JiraResource().config(), ServiceNowResource().config(), FinanceDropResource().config()]
    return [c for c in configs if isinstance(c, NotConfigured)]


def run_pipeline(settings: Settings, *, full: bool) -> int:
    """nightly_sync, then publish (always: kpi_data_quality must record a failed run too)."""
    from dagster import DagsterInstance

    from orchestration.console import child_output_to
    from orchestration.defs.automation.jobs import NIGHTLY_JOB, PUBLISH_JOB, publish_tags, sync_tags
    from orchestration.defs.transform.project import prepare_manifest
    from orchestration.progress import ProgressPrinter
    from orchestration.report import print_headline
    from orchestration.runner import prepare_dagster_home, run_job

    os.environ["DAGSTER_HOME"] = str(prepare_dagster_home(settings.paths))
    log_path = settings.paths.home / "logs" / f"run-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.log"
    mode = "full" if full else "incremental"
    print(f"Running {NIGHTLY_JOB} ({mode}, as of {settings.as_of}) into {settings.home}", flush=True)
    print(f"  step and dbt logs: {log_path}", flush=True)
    with child_output_to(log_path) as (out, err):
        # Parse with this run's environment, so every dbt step can reuse the parse.
        prepare_manifest()
        printer = ProgressPrinter(out)
        with DagsterInstance.get() as instance:
            nightly = run_job(NIGHTLY_JOB, instance, tags=sync_tags(full), on_event=printer)
            publish = run_job(PUBLISH_JOB, instance, tags=publish_tags(nightly.success, nightly.run_id), on_event=printer)
    failures = [*nightly.failures, *publish.failures]
    if nightly.success and publish.success:
        print_headline(settings.paths.published_db, sys.stdout)
        return EXIT_OK
    for check in nightly.failed_checks:
        if check.endswith("(error)"):
            print(f"pwh: blocking check failed: {check} — KPI marts kept their last good version", file=sys.stderr)
    for failure in failures:
        print(f"pwh: {failure}", file=sys.stderr)
    print(f"pwh: details in {log_path} and in `pwh ui` (run {nightly.run_id})", file=sys.stderr)
    if settings.paths.published_db.exists():
        print_headline(settings.paths.published_db, sys.stdout)
    return EXIT_FAILED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
