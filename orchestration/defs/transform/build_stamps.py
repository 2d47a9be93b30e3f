"""A dbt step (or the scenario step) whose inputs are those of its last good build does not build again.

A step's tables are a function of the dbt project (its files and dbt's version), the environment
dbt is given (PWH_HOME, the reporting currency, the as-of date) and the batches in the raw
landing. When all three equal those of the step's last successful build of its whole selection,
building again would write the same tables: the step reports its models as materialised,
unchanged since that run, and replays that build's dbt test outcomes (the same SQL over the same
data gives the same results) instead of running dbt. A night with nothing new then costs the sync
and the checks, not a rebuild (docs/architecture.md "A night with nothing new").

The scenario step keeps a stamp the same way: its inputs are the planner's code, the scenario
files and the marts it reads (orchestration/scenarios.py ``solve_inputs``); its "checks" are the
scenarios that failed, replayed as the same warnings.

The stamp, one file per step under PWH_HOME/builds, is removed before a build of the step starts
and written only after a build of its whole selection succeeds: a killed, failed or partial build
(a subset from the Dagster UI) makes the next run build. `pwh run --full` always builds. Not
seen: someone running dbt by hand against the warehouse file; `pwh run --full` after that.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from connectors.landing import RawLanding
from orchestration.defs.transform.project import project_digest

# The metadata key of a table reported unchanged: the run whose build it still is.
UNCHANGED_SINCE_RUN = "pwh/unchanged_since_run"


@dataclass(frozen=True)
class ReplayedCheck:
    """One check outcome of the stamped build, as Dagster reported it: a dbt test's, or a failed
    scenario's (the scenario step)."""

    asset_key: list[str]
    check_name: str
    passed: bool
    is_error: bool
    failing_rows: int
    message: str


@dataclass(frozen=True)
class BuildStamp:
    """What a step's last good build was made from, the outputs it materialised in the order dbt
    built them (an order Dagster accepts: upstream first), and its dbt test outcomes."""

    step: str
    inputs: str
    run_id: str
    built_at: str
    outputs: list[str]
    checks: list[ReplayedCheck]


def build_inputs(dbt_env: Mapping[str, str], raw_root: Path) -> str:
    """The digest of everything a dbt step reads: project, dbt's environment, landed batches."""
    digest = hashlib.sha256()
    digest.update(f"project {project_digest()}\n".encode())
    for name in sorted(dbt_env):
        digest.update(f"env {name}={dbt_env[name]}\n".encode())
    digest.update(f"raw {RawLanding(raw_root).batches_digest()}\n".encode())
    return digest.hexdigest()


class BuildStamps:
    """The stamps folder: one JSON file per step (the dbt steps, the scenario step)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, step: str) -> Path:
        return self.folder / f"{step}.json"

    def matching(self, step: str, inputs: str) -> BuildStamp | None:
        """The step's stamp when its last good build was made from exactly `inputs`."""
        try:
            data = json.loads(self._path(step).read_text())
            stamp = BuildStamp(**{**data, "checks": [ReplayedCheck(**check) for check in data["checks"]]})
        except (OSError, ValueError, TypeError, KeyError):
            return None  # none yet, or unreadable: build
        return stamp if stamp.step == step and stamp.inputs == inputs else None

    def forget(self, step: str) -> None:
        """Before a build: whatever happens next, the old stamp no longer describes the tables."""
        self._path(step).unlink(missing_ok=True)

    def record(
        self, step: str, inputs: str, run_id: str, outputs: Iterable[str], checks: Iterable[ReplayedCheck]
    ) -> None:
        """After a successful build of the whole selection; written whole or not at all."""
        stamp = BuildStamp(step, inputs, run_id, datetime.now(UTC).isoformat(), list(outputs), list(checks))
        self.folder.mkdir(parents=True, exist_ok=True)
        temp = self._path(step).with_suffix(f".{os.getpid()}.tmp")
        temp.write_text(json.dumps(asdict(stamp), indent=1))
        temp.replace(self._path(step))
