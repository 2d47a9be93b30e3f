"""dagster-dbt is told dbt's version (ProjectDbtCliResource) instead of running `dbt --version`."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster_dbt import DbtCliResource

from orchestration.defs.transform.project import ProjectDbtCliResource, dbt_executable, dbt_project, dbt_resource


def test_the_version_told_is_the_one_dbt_reports() -> None:
    # the name this overrides is dagster-dbt's own: renamed in an upgrade, the override would do
    # nothing and every run would pay `dbt --version` again
    assert "_cli_version" in vars(DbtCliResource)
    told = dbt_resource()
    assert isinstance(told, ProjectDbtCliResource)
    assert Path(told.dbt_executable).parent == Path(sys.executable).parent
    asked = DbtCliResource(
        project_dir=dbt_project, profiles_dir=str(dbt_project.profiles_dir), dbt_executable=dbt_executable()
    )
    assert told._cli_version == asked._cli_version  # `dbt --version`, run by dagster-dbt
