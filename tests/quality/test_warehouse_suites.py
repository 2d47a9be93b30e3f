"""Warehouse-level counts: failing_rows is the number of unmapped lines, accounts or projects."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from quality import DuckDBTable, run_suite

FCT_SPEND = pd.DataFrame(
    {
        "spend_id": ["s1", "s2", "s3", "s4"],
        "project_key": ["pk1", "unknown", "unknown", "pk2"],
        "wbs_code": ["WBS-1", "WBS-X", None, "WBS-2"],
        "is_wbs_matched": [True, False, False, True],
        "file_name": ["gl.csv"] * 4,
        "file_line": [2, 3, 4, 5],
        "spend_amount_local": [10.0, 20.0, 30.0, 40.0],
        "currency": ["EUR"] * 4,
    }
)
DIM_RESOURCE = pd.DataFrame(
    {
        "resource_key": ["r1", "r2", "r3", "unknown"],
        "resource_id": ["alice", "jira:acc-2", "jira:acc-3", "-1"],
        "resource_name": ["Alice", "Bob", "Carol", "Unknown"],
        "jira_account_id": ["acc-1", "acc-2", "acc-3", None],
        "source_system": ["servicenow", "jira", "jira", "unknown"],
    }
)
DIM_JIRA_PROJECT = pd.DataFrame(
    {
        "jira_project_key": ["MOB", "OPS", "GHOST", "-1"],
        "jira_project_name": ["Mobile", "Operations", None, "Unknown"],
        "is_in_jira": [True, True, False, False],
        "is_matched": [True, False, True, False],
    }
)


@pytest.fixture
def marts_db(tmp_path: Path) -> Path:
    path = tmp_path / "portfolio.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("create schema marts")
        for name, frame in (
            ("fct_spend", FCT_SPEND),
            ("dim_resource", DIM_RESOURCE),
            ("dim_jira_project", DIM_JIRA_PROJECT),
        ):
            conn.register("frame", frame)
            conn.execute(f"create table marts.{name} as select * from frame")
            conn.unregister("frame")
    return path


@pytest.mark.parametrize(
    ("suite", "table", "count", "first_sampled"),
    [
        ("warehouse_unmapped_gl_lines", "fct_spend", 2, {"spend_id": "s2", "wbs_code": "WBS-X"}),
        ("warehouse_unmapped_jira_accounts", "dim_resource", 2, {"jira_account_id": "acc-2"}),
        ("warehouse_unmapped_jira_projects", "dim_jira_project", 1, {"jira_project_key": "OPS"}),
    ],
)
def test_counts_in_a_duckdb_file(marts_db: Path, suite, table, count, first_sampled):
    result = run_suite(suite, DuckDBTable(marts_db, "marts", table))

    assert result.error is None
    assert not result.passed
    assert result.failing_rows == count
    assert [(o.passed, o.failing_rows) for o in result.outcomes] == [(False, count)]
    assert first_sampled.items() <= result.sample[0].items()


def test_the_same_count_from_a_dataframe():
    result = run_suite("warehouse_unmapped_gl_lines", FCT_SPEND)

    assert result.failing_rows == 2
    assert [row["spend_id"] for row in result.sample] == ["s2", "s3"]
    assert result.outcomes[0].detail == "GL lines whose wbs_code maps to no project: 2 found"


def test_nothing_unmapped_passes():
    result = run_suite("warehouse_unmapped_gl_lines", FCT_SPEND[FCT_SPEND["is_wbs_matched"]])

    assert result.passed and result.failing_rows == 0 and result.sample == []


def test_a_column_the_mart_lost_is_an_error(marts_db: Path):
    with duckdb.connect(str(marts_db)) as conn:
        conn.execute("alter table marts.fct_spend drop column is_wbs_matched")

    result = run_suite("warehouse_unmapped_gl_lines", DuckDBTable(marts_db, "marts", "fct_spend"))

    assert not result.passed
    assert "is_wbs_matched" in result.error
