"""Reliability: SQL built from configuration quotes what it is given (defect 9, part).

dbt models cannot bind parameters, so a configured path or code went into SQL as text: a
PWH_HOME with an apostrophe broke every model, and a reporting currency or as-of date with a
quote could end the literal and run as SQL. Compiled by the real dbt, read as it would run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"


def test_configured_paths_and_codes_stay_inside_their_sql_literals(tmp_path: Path) -> None:
    home = tmp_path / "o'brien"
    home.mkdir()
    env = {**os.environ, "PWH_HOME": str(home), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("PWH_AS_OF", None)
    target = tmp_path / "target"
    dbt_vars = {"reporting_currency": "USD' or 1=1 --", "as_of_date": "2026-06-30' as date) --"}
    completed = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            "compile",
            "--project-dir",
            str(DBT_PROJECT),
            "--profiles-dir",
            str(DBT_PROJECT),
            "--target-path",
            str(target),
            "--log-path",
            str(tmp_path / "logs"),
            "--select",
            "stg_finance__files",
            "int_fx_rates_monthly",
            "--vars",
            json.dumps(dbt_vars),
        ],
        cwd=DBT_PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout[-3000:]
    compiled = target / "compiled" / "portfolio_warehouse" / "models"
    files_sql = (compiled / "staging" / "finance" / "stg_finance__files.sql").read_text()
    fx_sql = (compiled / "intermediate" / "int_fx_rates_monthly.sql").read_text()

    assert f"read_parquet('{home}/raw/finance/files/*.parquet'".replace("o'brien", "o''brien") in files_sql
    assert "'USD'' or 1=1 --'" in fx_sql
    # DuckDB reads the doubled quote back as the one the configuration holds.
    assert duckdb.connect().execute("select 'USD'' or 1=1 --'").fetchone()[0] == dbt_vars["reporting_currency"]


def test_names_in_python_built_sql_are_quoted_identifiers(tmp_path: Path) -> None:
    from quality.inputs import DuckDBTable, read_table

    database = tmp_path / "odd.duckdb"
    with duckdb.connect(str(database)) as conn:
        conn.execute('create schema "odd""schema"')
        conn.execute('create table "odd""schema"."t; drop table x" (v integer)')
        conn.execute('insert into "odd""schema"."t; drop table x" values (1)')
        assert read_table(conn, 'odd"schema', "t; drop table x")["v"].tolist() == [1]
    table = DuckDBTable(database, 'odd"schema', "t; drop table x")
    assert table.qualified_name == '"odd""schema"."t; drop table x"'
    assert table.read()["v"].tolist() == [1]
