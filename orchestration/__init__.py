"""Dagster wiring and the `pwh` CLI: the thin layer over connectors, dbt and quality.

definitions.py, defs/  what Dagster loads: assets, checks, jobs, schedule, sensors, resources
cli/                   the `pwh` command line (pyproject: pwh = "orchestration.cli:main")
settings.py            configuration from the environment, for both
runner.py, preload.py  running a job from the command line; the step processes' warm start
lifecycle.py           one run at a time per PWH_HOME, crashes cleaned up, the Dagster instance
scenarios.py           the scenario marts, for the Dagster asset and `pwh scenario`
"""
