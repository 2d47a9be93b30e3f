"""The dbt project Dagster runs, and making sure its manifest exists before definitions load."""

from __future__ import annotations

from pathlib import Path

from dagster_dbt import DbtProject

DBT_PROJECT_DIR = Path(__file__).resolve().parents[3] / "dbt_project"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def ensure_manifest() -> Path:
    """Parse the dbt project once when its manifest is missing (a fresh clone, a CI run).

    `prepare_if_dev()` only parses under `dagster dev`; the CLI, tests and `dagster definitions
    validate` need the manifest too. Parsing needs no database and no network.
    """
    if not dbt_project.manifest_path.exists():
        dbt_project.preparer.prepare(dbt_project)
    return dbt_project.manifest_path
