"""The finance drop-folder sensor: a new file starts finance_refresh; a file being written waits."""

from __future__ import annotations

import os
import time
from pathlib import Path

import dagster as dg
import pytest

from orchestration.defs.automation.sensors import finance_drop_sensor as build_sensor
from orchestration.defs.resources import FinanceDropResource, WarehouseResource

finance_drop_sensor = build_sensor(dg.DefaultSensorStatus.STOPPED)


@pytest.fixture
def drop_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "drop"
    folder.mkdir()
    return folder


def _settled(path: Path, age_seconds: float = 120) -> None:
    old = time.time() - age_seconds
    os.utime(path, (old, old))


def _evaluate(folder: Path, cursor: str | None = None, as_of: str | None = None):
    """The sensor with the resources the definitions give it (FINANCE_EXPORT_DIR, PWH_HOME)."""
    resources = {
        "finance": FinanceDropResource(export_dir=str(folder)),
        "warehouse": WarehouseResource(home=str(folder.parent / "home"), as_of=as_of),
    }
    return finance_drop_sensor(dg.build_sensor_context(cursor=cursor, resources=resources))


def test_new_file_requests_a_finance_refresh_run_for_finance_and_downstream_only(drop_folder: Path) -> None:
    from orchestration.definitions import defs

    export = drop_folder / "gl_actuals_2026H1.csv"
    export.write_text("company_code,fiscal_year\nUS01,2026\n")
    _settled(export)
    result = _evaluate(drop_folder, as_of="2026-06-30")
    assert isinstance(result, dg.SensorResult)
    assert len(result.run_requests) == 1
    assert "gl_actuals_2026H1.csv" in result.run_requests[0].tags["pwh/finance_files"]
    # The run carries the warehouse settings it will use, as-of date included: the UI shows them.
    warehouse = result.run_requests[0].run_config["resources"]["warehouse"]["config"]
    assert warehouse["as_of"] == "2026-06-30" and warehouse["home"] == str(drop_folder.parent / "home")
    assert finance_drop_sensor.job_name == "finance_refresh"

    job = defs().resolve_job_def("finance_refresh")
    keys = set(job.asset_layer.executable_asset_keys)
    assert dg.AssetKey(["raw", "finance", "gl_actuals"]) in keys
    assert dg.AssetKey(["marts", "fct_spend"]) in keys
    assert dg.AssetKey(["marts", "kpi_budget_vs_actual"]) in keys
    # Only finance and what depends on it: no other source is re-read.
    assert not any(k.path[:2] in (["raw", "jira"], ["raw", "servicenow"]) for k in keys)
    assert dg.AssetKey(["staging", "stg_jira__issues"]) not in keys

    # The same file seen again: nothing new.
    again = _evaluate(drop_folder, result.cursor)
    assert isinstance(again, dg.SkipReason)


def test_a_changed_file_runs_again_and_a_file_still_being_written_waits(drop_folder: Path) -> None:
    export = drop_folder / "forecast_2026-06.csv"
    export.write_text("fiscal_year,version\n")
    _settled(export, 300)
    first = _evaluate(drop_folder)
    cursor = first.cursor

    export.write_text("fiscal_year,version\n2026,2026-06\n")  # corrected re-export, just written
    waiting = _evaluate(drop_folder, cursor)
    assert isinstance(waiting, dg.SkipReason)
    assert "forecast_2026-06.csv" in waiting.skip_message

    _settled(export, 60)
    second = _evaluate(drop_folder, cursor)
    assert isinstance(second, dg.SensorResult) and len(second.run_requests) == 1
    assert second.run_requests[0].run_key != first.run_requests[0].run_key


def test_other_files_are_ignored(drop_folder: Path) -> None:
    for name in ("notes.txt", ".gl_actuals_2026H1.csv.part", "gl_actuals_draft.xlsx"):
        path = drop_folder / name
        path.write_text("x")
        _settled(path)
    assert isinstance(_evaluate(drop_folder), dg.SkipReason)


def test_the_sensor_wakes_for_every_name_the_finance_connector_loads(drop_folder: Path) -> None:
    # Finance systems write names in capitals too; the connector loads them, so the sensor must see them.
    export = drop_folder / "GL_ACTUALS_2026H1.CSV"
    export.write_text("company_code,fiscal_year\nUS01,2026\n")
    _settled(export)
    result = _evaluate(drop_folder)
    assert isinstance(result, dg.SensorResult)
    assert result.run_requests[0].tags["pwh/finance_files"] == "GL_ACTUALS_2026H1.CSV"
