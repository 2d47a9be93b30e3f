"""Schema `marts` of a DuckDB file: table lists, descriptions, SQL literals for paths, and writing a
described table that dbt does not build.

DuckDB's ATTACH and COPY take a file name only as a literal in the statement text, not as a bound
parameter, so every path that goes into SQL goes through `sql_literal` (a home folder may be
called `O'Brien`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    import pandas as pd

MARTS_SCHEMA = "marts"


def sql_literal(text: str | Path) -> str:
    """A SQL string literal: quotes doubled, so any text or path is one literal."""
    return "'" + str(text).replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_ref(table: str, catalog: str | None = None) -> str:
    """`marts."table"`, or `"catalog".marts."table"` for an attached file."""
    prefix = f"{quote_identifier(catalog)}." if catalog else ""
    return f"{prefix}{MARTS_SCHEMA}.{quote_identifier(table)}"


def list_tables(conn: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = conn.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = ? order by table_name",
        [catalog, MARTS_SCHEMA],
    ).fetchall()
    return [r[0] for r in rows]


def table_description(conn: duckdb.DuckDBPyConnection, catalog: str, table: str) -> str | None:
    row = conn.execute(
        "select comment from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?",
        [catalog, MARTS_SCHEMA, table],
    ).fetchone()
    return row[0] if row and row[0] else None


def column_descriptions(conn: duckdb.DuckDBPyConnection, catalog: str, table: str) -> dict[str, str]:
    """Column name → description (dbt persists its descriptions as DuckDB comments)."""
    rows = conn.execute(
        "select column_name, comment from duckdb_columns() "
        "where database_name = ? and schema_name = ? and table_name = ? and comment is not null",
        [catalog, MARTS_SCHEMA, table],
    ).fetchall()
    return {name: text for name, text in rows}


def open_published(published_db: Path) -> duckdb.DuckDBPyConnection:
    """The published file, read-only; a missing file is the user's to fix (run the pipeline)."""
    if not published_db.exists():
        raise FileNotFoundError(f"no published warehouse at {published_db}: run `pwh run` (or `pwh demo`) first")
    return duckdb.connect(str(published_db), read_only=True)


def write_table(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    frame: pd.DataFrame,
    columns: Sequence[tuple[str, str, str]],
    description: str,
    catalog: str | None = None,
) -> int:
    """Create or replace `marts.<table>` from a data frame: each column cast to its SQL type, the table's
    and every column's description stored as DuckDB comments (as dbt's persist_docs does for models).

    For tables that dbt does not build (the scenario marts); returns the rows written.
    """
    # NaN is not NULL to DuckDB (a NaN cannot become a decimal): missing values go in as None.
    clean = frame[[name for name, _, _ in columns]].astype(object).where(frame.notna(), None)
    view = f"_frame_{table}"
    conn.register(view, clean)
    try:
        select = ", ".join(f"cast({quote_identifier(n)} as {t}) as {quote_identifier(n)}" for n, t, _ in columns)
        conn.execute(
            f"create schema if not exists {(quote_identifier(catalog) + '.') if catalog else ''}{MARTS_SCHEMA}"
        )
        conn.execute(f"create or replace table {table_ref(table, catalog)} as select {select} from {view}")
    finally:
        conn.unregister(view)
    target = table_ref(table, catalog)
    conn.execute(f"comment on table {target} is {sql_literal(description)}")
    for name, _, text in columns:
        conn.execute(f"comment on column {target}.{quote_identifier(name)} is {sql_literal(text)}")
    return len(clean)
