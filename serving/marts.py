"""Reading schema `marts` of a DuckDB file: table lists, descriptions, and SQL literals for paths.

DuckDB's ATTACH and COPY take a file name only as a literal in the statement text, not as a bound
parameter, so every path that goes into SQL goes through `sql_literal` (a home folder may be
called `O'Brien`).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

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
