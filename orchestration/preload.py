"""Imported once by the multiprocess executor's forkserver, so each step forks warm.

Without it every step process imports dagster, dagster-dbt and our definitions (and parses the
dbt manifest) from scratch: tens of seconds per step on a 2-core machine.
"""

from orchestration.runner import load_definitions

load_definitions()
