"""The dbt project Dagster runs, and making sure its manifest exists before definitions load."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _dbt_on_path() -> None:
    # dagster-dbt's preparer looks for `dbt` on PATH; a venv that is not activated has it only
    # next to this interpreter.
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def ensure_manifest() -> Path:
    """Parse the dbt project once when its manifest is missing (a fresh clone, a CI run).

    `prepare_if_dev()` only parses under `dagster dev`; the CLI, tests and `dagster definitions
    validate` need the manifest too. Parsing needs no database and no network.
    """
    if not dbt_project.manifest_path.exists():
        _dbt_on_path()
        dbt_project.preparer.prepare(dbt_project)
    return dbt_project.manifest_path


def prepare_manifest() -> Path:
    """Parse now, with the current environment (the CLI calls this once per run).

    dbt's partial parsing is invalidated when env vars its profile reads change; parsing with the
    run's own PWH_HOME once up front lets every dbt step reuse that parse.
    """
    _dbt_on_path()
    dbt_project.preparer.prepare(dbt_project)
    return dbt_project.manifest_path


def mart_names(tag: str) -> tuple[str, ...]:
    """The marts (schema `marts`) carrying a dbt tag, from the manifest: which tables are KPI
    marts (`kpi`) and which are rebuilt after every run (`data_quality`) is said once, by the tags
    in dbt_project.yml."""
    manifest = json.loads(ensure_manifest().read_text())
    return tuple(
        sorted(
            node["name"]
            for node in manifest["nodes"].values()
            if node["resource_type"] == "model"
            and tag in node.get("tags", [])
            and node.get("config", {}).get("schema") == "marts"
        )
    )
