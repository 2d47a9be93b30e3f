"""`pwh` — the command line of the portfolio warehouse (docs/contract.md §1).

    pwh demo      simulated Jira + ServiceNow + finance drop, the whole pipeline, headline KPIs
    pwh run       the nightly job against the configured sources (env vars / .env)
    pwh check     in seconds: can each configured source be read, is PWH_HOME writable?
    pwh simulate  serve the simulators alone
    pwh ui        the Dagster UI on 127.0.0.1, to look around (automations off)
    pwh serve     production: Dagster webserver and daemon, schedule and sensors on
    pwh export    the published marts as Parquet or Excel files, or a Power BI project
    pwh dashboard the static dashboard from the published marts
    pwh scenario  solve the portfolio scenarios against the published marts and publish the slates
    pwh docs      generate and serve the dbt docs site (lineage) on 127.0.0.1

Exit code 0 only when every asset materialised and every blocking check passed; 1 when the
pipeline ran and something failed (one line per failure on stderr); 2 when it could not start
(configuration, a busy PWH_HOME or port, usage); 130 / 143 when interrupted by SIGINT / SIGTERM.

This module parses the command line and dispatches. Beside it: pipeline.py (`pwh run`, `pwh demo`:
one night of the pipeline; console.py, progress.py and report.py are what it shows on the
terminal), preflight.py (`pwh check`, and the same questions before every run) and servers.py
(`pwh ui`, `pwh serve`). `pwh simulate` is simulators/serve.py. What the Dagster definitions use
too stays in orchestration/: settings.py, runner.py, lifecycle.py and scenarios.py.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from orchestration.settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_CANNOT_START = 0, 1, 2

# Nothing we run phones home (README: no telemetry).
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
    from orchestration.cli.servers import CannotServe
    from orchestration.lifecycle import Interrupted, RunBusy
    from orchestration.settings import ConfigError

    try:
        return int(args.handler(args))
    except Interrupted as exc:
        run = f"run {exc.run_id[:8]} canceled; " if exc.run_id else ""
        print(
            f"pwh: interrupted by {signal.Signals(exc.signum).name}: {run}the published warehouse and the raw "
            "landing are whole (the next run carries on from what landed)",
            file=sys.stderr,
            flush=True,
        )
        sys.stdout.flush()
        # os._exit skips the interpreter's exit hooks, among them the one that unlinks the named
        # semaphores dbt's adapters create (a "spawn" multiprocessing lock): run those hooks first,
        # or Python's resource tracker reports them as leaked on the terminal after our line.
        multiprocessing.util._run_finalizers(0)
        # Exit now: a step thread still winding down must not print Dagster's log lines on the
        # terminal after the one line that says what happened (the run is canceled already).
        os._exit(128 + exc.signum)
    except KeyboardInterrupt:
        print("pwh: interrupted before anything ran", file=sys.stderr)
        return 128 + signal.SIGINT
    except (UserFacingError, ConfigError, RunBusy, CannotServe) as exc:
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
    parser = argparse.ArgumentParser(
        prog="pwh", description="Portfolio warehouse: Jira + ServiceNow + finance exports → KPI marts."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser(
        "demo",
        help="run the whole pipeline against the built-in simulated enterprise",
        description="Generate (once, then cached) a simulated enterprise, serve it on 127.0.0.1, and run "
        "the whole pipeline into PWH_HOME (default ./warehouse).",
    )
    demo.add_argument(
        "--scale",
        choices=("small", "medium", "large"),
        default="medium",
        help="size of the simulated enterprise (default: medium, ~250 projects)",
    )
    demo.add_argument("--seed", type=int, default=7, help="the same seed gives the same enterprise (default: 7)")
    demo.add_argument("--as-of", type=_date, default=None, help="KPI as-of date (default: PWH_AS_OF or today, UTC)")
    for flag, what, names, holds, listing in (
        ("--jira-sites", "Jira sites", "site2 and site3", "projects, issues and people", "JIRA_SITES"),
        (
            "--servicenow-instances",
            "ServiceNow instances",
            "instance2 and instance3",
            "portfolios, projects and people",
            "SERVICENOW_INSTANCES",
        ),
    ):
        demo.add_argument(
            flag,
            type=int,
            choices=(1, 2, 3),
            default=1,
            help=f"simulated {what} (default: 1); each further one, named {names}, serves an enterprise of "
            f"the next seed, with its own {holds} ({listing})",
        )
    demo.set_defaults(handler=cmd_demo)

    run = sub.add_parser(
        "run",
        help="the nightly job against the configured sources",
        description="Sync every configured source (JIRA_*, SERVICENOW_*, FINANCE_EXPORT_DIR; env vars or .env) "
        "into PWH_HOME's raw landing, rebuild the star schema and KPI marts, check them and publish them. "
        "Each source is asked the preflight questions first (see `pwh check`). One run at a time per PWH_HOME.",
    )
    run.add_argument(
        "--full", action="store_true", help="re-read everything from the sources and detect deleted records"
    )
    run.add_argument("--as-of", type=_date, default=None, help="KPI as-of date (default: PWH_AS_OF or today, UTC)")
    run.add_argument(
        "--wait",
        action="store_true",
        help="when another run holds PWH_HOME, wait for it to end instead of exiting with 2",
    )
    run.set_defaults(handler=cmd_run)

    check = sub.add_parser(
        "check",
        help="in seconds: can each configured source be read, is PWH_HOME writable?",
        description="For each configured source: reachable, TLS verified, credentials accepted, one page of every "
        "endpoint or table the sync reads; the finance drop folder readable; PWH_HOME writable with free "
        "space. Prints a table; exit 0 when everything configured passes, 1 otherwise.",
    )
    check.set_defaults(handler=cmd_check)

    # Dispatched to simulators.serve before parsing (see main); listed here for `pwh --help`.
    sub.add_parser(
        "simulate", help="serve the simulated Jira and ServiceNow, write finance exports (pwh simulate --help)"
    )

    ui = sub.add_parser(
        "ui",
        help="the Dagster UI (dagster dev) on 127.0.0.1, to look around: lineage, runs, checks",
        description="Starts `dagster dev` on this project's workspace with PWH_HOME's Dagster instance. The "
        "nightly schedule and the sensors start switched off, so nothing runs by itself while you look "
        "around; for production use `pwh serve`.",
    )
    ui.add_argument("--port", type=int, default=3000, help="port on 127.0.0.1 (default: 3000)")
    ui.add_argument(
        "--with-automations",
        action="store_true",
        help="start the nightly schedule and the sensors switched on, as `pwh serve` does",
    )
    ui.set_defaults(handler=cmd_ui)

    serve = sub.add_parser(
        "serve",
        help="production: the Dagster webserver and daemon, nightly schedule and sensors on",
        description="Runs `dagster-webserver` and `dagster-daemon` over this workspace with PWH_HOME's Dagster "
        "instance: the nightly schedule, the finance drop-folder sensor and the publish sensors are on. "
        "Stops both on SIGINT/SIGTERM. See docs/operations.md for systemd and containers.",
    )
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind the webserver to (default: 127.0.0.1; 0.0.0.0 exposes it to the network)",
    )
    serve.add_argument("--port", type=int, default=3000, help="webserver port (default: 3000)")
    serve.set_defaults(handler=cmd_serve)

    export = sub.add_parser(
        "export",
        help="the published marts as files for Power BI / Excel",
        description="Writes every table of the published warehouse (PWH_HOME/published/portfolio.duckdb, "
        "schema marts) as files: one Parquet file per table, one Excel workbook, or a Power BI project.",
    )
    export.add_argument(
        "--format",
        choices=("parquet", "xlsx", "powerbi"),
        default="parquet",
        help="parquet: one file per mart with a manifest.json; xlsx: one workbook; powerbi: a Power BI "
        "project (PBIP, TMDL model) over the Parquet exports in PWH_HOME/exports/parquet (default: parquet)",
    )
    export.add_argument("--out", type=Path, default=None, help="folder (default: PWH_HOME/exports/<format>)")
    export.set_defaults(handler=cmd_export)

    dashboard = sub.add_parser(
        "dashboard",
        help="(re)write the static dashboard from the published marts",
        description="Writes the portfolio dashboard (index.html and one page per subject, chart library included, "
        "no server or network needed) from PWH_HOME/published/portfolio.duckdb. Every good run writes it too.",
    )
    dashboard.add_argument("--out", type=Path, default=None, help="folder (default: PWH_HOME/reports)")
    dashboard.set_defaults(handler=cmd_dashboard)

    scenario = sub.add_parser(
        "scenario",
        help="solve the portfolio scenarios against the published marts and publish the slates",
        description="Solves each scenario file (scenarios/*.yml, or PWH_SCENARIO_DIR) against the published "
        "warehouse: the best slate within budget, capacity, dependencies and the file's rules, beside the greedy "
        "slate, the budget frontier and the sensitivities; prints each summary and publishes the scenario marts "
        "(docs/scenarios.md). Exit 1 when a scenario is invalid or infeasible, with one line saying why.",
    )
    scenario.add_argument(
        "names",
        nargs="*",
        metavar="NAME",
        help="the scenarios to solve, by name (default: every file in the folder); only their rows "
        "of the scenario marts are replaced",
    )
    scenario.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="the folder of scenario files (default: PWH_SCENARIO_DIR, else the project's scenarios/)",
    )
    scenario.add_argument(
        "--no-publish",
        action="store_true",
        help="solve and print only: leave the published marts and the exports as they are",
    )
    scenario.set_defaults(handler=cmd_scenario)

    docs = sub.add_parser(
        "docs",
        help="generate and serve the dbt docs site (lineage) on 127.0.0.1",
        description="Runs `dbt docs generate` against the current warehouse and serves the site (every model, "
        "column description and the lineage graph) on 127.0.0.1 until Ctrl-C.",
    )
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
    from orchestration.cli.pipeline import configured_sources, run_pipeline
    from orchestration.cli.preflight import ensure_home_writable

    settings = _settings(args.as_of).for_run()
    ensure_home_writable(settings.paths)
    sources = configured_sources(settings)
    unconfigured = [s.config for s in sources if not s.configured]
    if len(unconfigured) == len(sources):
        missing = "; ".join(f"{c.source} needs {', '.join(c.missing)}" for c in unconfigured)
        raise UserFacingError(f"nothing to run: no source is configured — {missing} (see README), or try `pwh demo`")
    for config in unconfigured:
        print(f"warning: {config.message}", file=sys.stderr)
    return run_pipeline(settings, full=args.full, command="pwh run" + (" --full" if args.full else ""), wait=args.wait)


def cmd_check(args: argparse.Namespace) -> int:
    from orchestration.cli.pipeline import configured_sources
    from orchestration.cli.preflight import check_home, check_sources, print_table

    settings = _settings()
    sources = configured_sources(settings)
    outcomes = [check_home(settings.paths), *check_sources(sources)]
    print_table(outcomes, sys.stdout)
    if not any(s.configured for s in sources):
        print(
            "pwh: no source is configured: set JIRA_*, SERVICENOW_* or FINANCE_EXPORT_DIR (see README)", file=sys.stderr
        )
        return EXIT_FAILED
    return EXIT_OK if all(o.ok for o in outcomes) else EXIT_FAILED


def cmd_demo(args: argparse.Namespace) -> int:
    from orchestration.cli.pipeline import run_pipeline
    from orchestration.cli.preflight import ensure_home_writable
    from orchestration.settings import JiraSettings, ServiceNowSettings
    from simulators import start_simulators
    from simulators.serve import ensure_world

    settings = _settings(args.as_of).for_run()  # --as-of, else PWH_AS_OF (environment or .env), else today (UTC)
    ensure_home_writable(settings.paths)
    as_of = settings.as_of
    paths = settings.paths
    started = time.monotonic()
    print(f"Generating the {args.scale} simulated enterprise (seed {args.seed}, as of {as_of}) …", flush=True)
    world_path = ensure_world(args.scale, args.seed, as_of, paths.simulator)
    # Further Jira sites and ServiceNow instances: the Jira and the ServiceNow of an enterprise of the
    # next seeds (an acquired company's). Enterprise n serves site n and instance n, when asked for.
    further = {
        n: ensure_world(args.scale, args.seed + n - 1, as_of, paths.simulator)
        for n in range(2, max(args.jira_sites, args.servicenow_instances) + 1)
    }
    finance_dir = paths.simulator / "finance-drop"
    with contextlib.ExitStack() as stack:
        sims = stack.enter_context(start_simulators(world_path, finance_dir=finance_dir))
        enterprises = {n: stack.enter_context(start_simulators(path)) for n, path in further.items()}
        sites = [(f"site{n}", other) for n, other in enterprises.items() if n <= args.jira_sites]
        instances = [(f"instance{n}", other) for n, other in enterprises.items() if n <= args.servicenow_instances]
        # The simulators stand in for the configured sources (JIRA_JQL_SCOPE still applies).
        demo = settings.with_sources(
            jira=JiraSettings(sims.jira_url, sims.jira_email, sims.jira_api_token, settings.jira.jql_scope),
            servicenow=ServiceNowSettings(sims.servicenow_url, sims.servicenow_user, sims.servicenow_password),
            finance_export_dir=finance_dir,
            jira_sites=tuple(
                JiraSettings(site.jira_url, site.jira_email, site.jira_api_token, site=name) for name, site in sites
            ),
            servicenow_instances=tuple(
                ServiceNowSettings(one.servicenow_url, one.servicenow_user, one.servicenow_password, name)
                for name, one in instances
            ),
        )
        print(
            f"Simulated Jira at {sims.jira_url}, ServiceNow at {sims.servicenow_url}, finance drop {finance_dir}",
            flush=True,
        )
        for name, site in sites:
            print(f"Simulated Jira site {name} at {site.jira_url}", flush=True)
        for name, one in instances:
            print(f"Simulated ServiceNow instance {name} at {one.servicenow_url}", flush=True)
        code = run_pipeline(demo, full=False, command=f"pwh demo --scale {args.scale}")
    print(f"Demo finished in {time.monotonic() - started:,.0f} s.")
    print(f"  published warehouse (open this in Power BI / DuckDB): {paths.published_db}")
    print(f"  Parquet exports: {paths.exports / 'parquet'}")
    print(f"  dashboard (open in a browser): {paths.home / 'reports' / 'index.html'}")
    print(f"  data-quality results: {paths.quality / 'check_results'} (and marts.kpi_data_quality)")
    return code


def cmd_ui(args: argparse.Namespace) -> int:
    return _serve("ui", "127.0.0.1", args.port, automations=args.with_automations)


def cmd_serve(args: argparse.Namespace) -> int:
    return _serve("serve", args.host, args.port, automations=True)


def _serve(kind: str, host: str, port: int, *, automations: bool) -> int:
    from dagster import DagsterInstance

    from orchestration.cli.preflight import ensure_home_writable
    from orchestration.cli.servers import commands, ensure_can_serve, supervise
    from orchestration.lifecycle import daemon_alive, prepare_dagster_home

    settings = _settings()
    ensure_home_writable(settings.paths)
    home = prepare_dagster_home(settings.paths)
    with DagsterInstance.from_config(str(home)) as instance:
        ensure_can_serve(host, port, daemon_alive(instance), settings.home)
    # Dagster's processes read the settings again when they load the definitions: they get them
    # as this command read them (`.env` included, PWH_HOME absolute), not a date pinned today.
    env = {
        **os.environ,
        **settings.environment(),
        "DAGSTER_HOME": str(home),
        "PWH_AUTOMATIONS": "on" if automations else "off",
    }
    state = "on" if automations else "off (switch them on in the UI, or use --with-automations)"
    print(
        f"Dagster UI on http://{host}:{port} (DAGSTER_HOME={home}); schedule and sensors {state}; Ctrl-C to stop.",
        flush=True,
    )
    return supervise(commands(kind, host, port), env)


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
    print(
        f"{result.tables} tables, {result.relationships} relationships, {result.measures} measures; "
        f"Parquet folder parameter: {parquet}"
    )
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


def cmd_scenario(args: argparse.Namespace) -> int:
    """Solve against the published file, print, publish the scenario marts and refresh the exports."""
    from orchestration.lifecycle import run_lock
    from orchestration.scenarios import print_run, publish_run, read_frames, scenario_folder, solve_folder
    from planning.scenario import ScenarioError
    from serving.marts import open_published

    settings = _settings()
    paths = settings.paths
    folder = args.dir.resolve() if args.dir else scenario_folder(settings.scenario_dir)
    try:
        conn = open_published(paths.published_db)
    except FileNotFoundError as exc:
        raise UserFacingError(str(exc)) from exc
    try:
        frames = read_frames(conn)
    finally:
        conn.close()
    try:
        run = solve_folder(frames, folder, args.names)
    except ScenarioError as exc:
        # no scenario folder, or a name no file has: a setting or a usage error, so it cannot start
        # (docs/contract.md §1); a scenario that fails to solve is a failure of its own, below
        raise UserFacingError(str(exc)) from exc
    print_run(run, sys.stdout)
    if not args.no_publish:
        # One writer per PWH_HOME: a nightly run publishing at the same moment would lose one of the two.
        with run_lock(paths, "pwh scenario " + " ".join(args.names)):
            publish_run(paths.published_db, run, args.names)
            from serving.exports import export

            export(paths.published_db, paths.exports / "parquet", "parquet")
            if (paths.reports / "index.html").exists():
                from serving.dashboard import build_dashboard

                build_dashboard(paths.published_db, paths.reports, currency=settings.reporting_currency)
        print(
            f"published: {paths.published_db} (scenario_selection, scenario_summary, scenario_frontier, "
            f"scenario_sensitivity) and {paths.exports / 'parquet'}",
            flush=True,
        )
    for failure in run.failures:
        print(f"pwh: {failure.message}", file=sys.stderr)
    return EXIT_FAILED if run.failures else EXIT_OK


def cmd_docs(args: argparse.Namespace) -> int:
    """`dbt docs generate` into PWH_HOME/dbt_docs, then `dbt docs serve` there, on 127.0.0.1 only."""
    from orchestration.defs.resources import dbt_environment, source_resources
    from orchestration.defs.transform.project import DBT_PROJECT_DIR

    settings = _settings().for_run()
    resources = source_resources(settings)
    # dbt sees what a run's dbt steps see (PWH_HOME, the as-of date, each Jira site's configured
    # custom fields), so the site documents the warehouse as it is built
    env = {**os.environ, **dbt_environment(resources["warehouse"], resources["jira"])}
    if not settings.paths.build_db.exists():
        raise UserFacingError(f"no warehouse at {settings.paths.build_db}: run `pwh run` (or `pwh demo`) first")
    dbt = str(Path(sys.executable).with_name("dbt"))
    target = settings.paths.home / "dbt_docs"
    common = [
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target),
    ]
    print(f"Generating the dbt docs site into {target} …", flush=True)
    generated = subprocess.call([dbt, "docs", "generate", *common], cwd=DBT_PROJECT_DIR, env=env)
    if generated != 0:
        return EXIT_FAILED
    print(
        f"dbt docs on http://127.0.0.1:{args.port} (lineage: the graph button, bottom right); Ctrl-C to stop.",
        flush=True,
    )
    return subprocess.call(
        [dbt, "docs", "serve", *common, "--host", "127.0.0.1", "--port", str(args.port), "--no-browser"],
        cwd=DBT_PROJECT_DIR,
        env=env,
    )


# --- the pipeline -----------------------------------------------------------------------------


def _settings(as_of: date | None = None) -> Settings:
    """The settings, read once per command (`as_of`: `--as-of`, which PWH_AS_OF gives way to)."""
    from orchestration.settings import ConfigError

    try:
        return Settings.from_env(as_of=as_of)
    except ConfigError as exc:
        raise UserFacingError(str(exc)) from exc
