"""The check-results log: format, atomic appends, the never-empty folder, reading counts back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from mart_rows import capacity_row, frame

from quality import ExpectationOutcome, SuiteResult, run_suite
from quality.results import (
    CHECK_RESULTS_SCHEMA,
    LAYERS,
    CheckRow,
    ensure_results_folder,
    latest_row_counts,
    read_results,
    results_folder,
    to_check_rows,
    write_check_rows,
)

CHECKED_AT = datetime(2026, 6, 30, 2, 0, tzinfo=UTC)


def suite_result(*outcomes: ExpectationOutcome, error: str | None = None) -> SuiteResult:
    return SuiteResult(
        suite="raw_servicenow_time_card",
        passed=all(o.passed for o in outcomes) and error is None,
        failing_rows=sum(o.failing_rows for o in outcomes),
        sample=[],
        outcomes=list(outcomes),
        evaluated_rows=10,
        error=error,
    )


def test_ensure_results_folder_writes_one_empty_batch_that_duckdb_can_read(tmp_path: Path):
    folder = ensure_results_folder(tmp_path / "quality")
    ensure_results_folder(tmp_path / "quality")

    files = sorted(folder.iterdir())
    assert [f.name for f in files] == ["batch-00000000T000000000000Z-empty.parquet"]
    assert pq.read_schema(files[0]).equals(CHECK_RESULTS_SCHEMA)
    with duckdb.connect() as conn:
        count = conn.execute(f"select count(*) from read_parquet('{folder}/*.parquet')").fetchone()[0]
    assert count == 0


def test_to_check_rows_gives_one_row_per_outcome_in_utc():
    result = suite_result(
        ExpectationOutcome("monday_in_range", False, 3, "monday is between 0 and 24: 3 of 10 rows fail"),
        ExpectationOutcome("state_known_value", True, 0, "ok"),
    )
    cest = timezone(timedelta(hours=2))

    rows = to_check_rows(result, "raw", "servicenow/time_card", "error", "run-1", CHECKED_AT.astimezone(cest))

    assert [(r.check_name, r.passed, r.failing_rows) for r in rows] == [
        ("monday_in_range", False, 3),
        ("state_known_value", True, 0),
    ]
    assert {r.checked_at for r in rows} == {CHECKED_AT}
    assert rows[0].checked_at.tzinfo == UTC
    assert {(r.layer, r.table_name, r.severity, r.run_id) for r in rows} == {
        ("raw", "servicenow/time_card", "error", "run-1")
    }


def test_a_suite_that_never_ran_its_expectations_gives_one_row_with_the_error():
    rows = to_check_rows(
        suite_result(error="could not prepare the data: OSError: gone"),
        "raw",
        "servicenow/time_card",
        "error",
        "run-1",
        CHECKED_AT,
    )

    assert len(rows) == 1
    assert (rows[0].check_name, rows[0].passed, rows[0].detail) == (
        "raw_servicenow_time_card",
        False,
        "could not prepare the data: OSError: gone",
    )


@pytest.mark.parametrize(
    ("layer", "severity", "checked_at"),
    [("staging", "warn", CHECKED_AT), ("raw", "info", CHECKED_AT), ("raw", "warn", CHECKED_AT.replace(tzinfo=None))],
)
def test_to_check_rows_rejects_values_outside_the_format(layer, severity, checked_at):
    with pytest.raises(ValueError):
        to_check_rows(suite_result(), layer, "t", severity, "run-1", checked_at)


def test_every_layer_a_row_may_carry_is_one_dbt_accepts_on_kpi_data_quality():
    """A scenario solve that failed once wrote layer `planning`, which dbt's accepted_values test
    rejected on every later night: the two lists must stay the same."""
    import yaml

    spec = Path(__file__).resolve().parents[2] / "dbt_project/models/marts/data_quality/kpi_data_quality.yml"
    columns = yaml.safe_load(spec.read_text())["models"][0]["columns"]
    layer = next(c for c in columns if c["name"] == "layer")
    accepted = next(
        t["accepted_values"]["arguments"]["values"]
        for t in layer["data_tests"]
        if isinstance(t, dict) and "accepted_values" in t
    )
    assert tuple(accepted) == LAYERS
    with pytest.raises(ValueError, match="layer must be one of"):
        CheckRow(CHECKED_AT, "r1", "scenarios", "scenario_summary", "scenario_solves:x", "warn", False, 1, "x")


def test_written_batches_read_back_in_the_documented_schema(tmp_path: Path):
    quality = tmp_path / "quality"
    ensure_results_folder(quality)
    first = to_check_rows(
        suite_result(ExpectationOutcome("a", True, 0, "ok")), "raw", "jira/issues", "error", "r1", CHECKED_AT
    )
    later = to_check_rows(
        suite_result(ExpectationOutcome("b", False, 7, "bad")),
        "marts",
        "kpi_delivery_flow",
        "warn",
        "r2",
        CHECKED_AT + timedelta(days=1),
    )

    path = write_check_rows(quality, later)
    write_check_rows(quality, first)

    assert path is not None and path.parent == results_folder(quality)
    assert not list(results_folder(quality).glob(".*"))  # no temp file left behind
    assert pq.read_schema(path).equals(CHECK_RESULTS_SCHEMA)
    results = read_results(quality)
    assert results[["run_id", "check_name", "passed", "failing_rows"]].values.tolist() == [
        ["r1", "a", True, 0],
        ["r2", "b", False, 7],
    ]
    assert str(results["failing_rows"].dtype) == "int64"
    assert write_check_rows(quality, []) is None


def test_read_results_of_a_folder_that_does_not_exist_is_empty(tmp_path: Path):
    results = read_results(tmp_path / "nowhere")

    assert results.empty and list(results.columns) == CHECK_RESULTS_SCHEMA.names


def test_latest_row_counts_feed_the_next_runs_comparison(tmp_path: Path):
    quality = tmp_path / "quality"
    for day, rows in ((1, 4), (2, 6)):
        result = run_suite("marts_kpi_capacity_utilization", frame([capacity_row(n) for n in range(rows)]))
        write_check_rows(
            quality,
            to_check_rows(
                result, "marts", "kpi_capacity_utilization", "warn", f"run-{day}", CHECKED_AT + timedelta(days=day)
            ),
        )

    counts = latest_row_counts(quality)
    shrunk = run_suite(
        "marts_kpi_capacity_utilization",
        frame([capacity_row(1)]),
        params={"previous_row_count": counts["kpi_capacity_utilization"]},
    )

    assert counts == {"kpi_capacity_utilization": 6}
    assert [o.name for o in shrunk.outcomes if not o.passed] == ["row_count_vs_previous_run"]
