"""Publishing the marts for BI readers (docs/architecture.md decision 3).

dbt owns `PWH_HOME/portfolio.duckdb`. BI tools open `PWH_HOME/published/portfolio.duckdb`, which
is only ever replaced whole: the marts are copied into a new file next to it, which is then
renamed over the old one. A reader that has the old file open keeps reading the old file; a reader
that opens the path gets the old or the new file, never a half-built one.

Publishing never opens the published file itself. After a failed run the previous marts are read
from a plain file copy of it: a BI tool that (wrongly) holds the published file open read-write
holds DuckDB's lock on it, and attaching it, even read-only, would fail with
`Could not set lock on file`.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from serving.marts import (
    MARTS_SCHEMA,
    column_descriptions,
    list_tables,
    quote_identifier,
    sql_literal,
    table_description,
    table_ref,
    write_table,
)

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class PublishResult:
    path: Path
    tables: dict[str, int]
    mode: str  # "full" or "data_quality_only"


def remove_stale_temp_files(published_db: Path) -> list[Path]:
    """Temp files a killed publish left beside the published file (its new copy, the copy of the
    previous file, their WAL); removed. Only call while no publish runs (pwh holds the run lock):
    a live publish's files have the same names."""
    removed = []
    for path in sorted(published_db.parent.glob(f".{published_db.name}.*.tmp*")):
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _copy_table(conn: duckdb.DuckDBPyConnection, source_catalog: str, table: str) -> int:
    """Copy one table with its data and its comments (dbt persists descriptions as comments)."""
    target = table_ref(table)
    conn.execute(f"create or replace table {target} as select * from {table_ref(table, source_catalog)}")
    description = table_description(conn, source_catalog, table)
    if description:
        conn.execute(f"comment on table {target} is {sql_literal(description)}")
    for column, text in column_descriptions(conn, source_catalog, table).items():
        conn.execute(f"comment on column {target}.{quote_identifier(column)} is {sql_literal(text)}")
    return conn.execute(f"select count(*) from {target}").fetchone()[0]


def _side_files(path: Path) -> list[Path]:
    return [path, Path(f"{path}.wal")]


def _copy_of_published(published_db: Path, stem: Path) -> Path:
    """A plain copy of the published file (and its WAL, should a writer have left one): no lock taken."""
    copy = stem.with_name(stem.name + ".previous")
    shutil.copyfile(published_db, copy)
    wal = Path(f"{published_db}.wal")
    if wal.exists():
        shutil.copyfile(wal, f"{copy}.wal")
    return copy


def publish(build_db: Path, published_db: Path, *, refresh_only: Sequence[str] | None = None) -> PublishResult:
    """Write the published file atomically.

    Full (``refresh_only`` None): every table of schema `marts` in the build file. After a run
    that failed or was blocked, ``refresh_only`` names the data-quality marts: the previously
    published marts stay as they were and only those are replaced, so BI users see why the
    numbers did not move.
    """
    if not build_db.exists():
        raise FileNotFoundError(f"no warehouse at {build_db}: run `pwh run` (or `pwh demo`) first")
    published_db.parent.mkdir(parents=True, exist_ok=True)
    tmp = published_db.with_name(f".{published_db.name}.{uuid.uuid4().hex[:8]}.tmp")
    previous: Path | None = None
    counts: dict[str, int] = {}
    try:
        conn = duckdb.connect(str(tmp))
        try:
            conn.execute(f"create schema if not exists {MARTS_SCHEMA}")
            conn.execute(f"attach {sql_literal(build_db)} as build (read_only)")
            if refresh_only is not None and published_db.exists():
                previous = _copy_of_published(published_db, tmp)
                conn.execute(f"attach {sql_literal(previous)} as previous (read_only)")
                for table in list_tables(conn, "previous"):
                    if table not in refresh_only:
                        counts[table] = _copy_table(conn, "previous", table)
                conn.execute("detach previous")
                built = list_tables(conn, "build")
                for table in refresh_only:
                    if table in built:
                        counts[table] = _copy_table(conn, "build", table)
            else:
                for table in list_tables(conn, "build"):
                    counts[table] = _copy_table(conn, "build", table)
            conn.execute("detach build")
            conn.execute("checkpoint")
        finally:
            conn.close()
        os.replace(tmp, published_db)
    finally:
        for path in [*_side_files(tmp), *(_side_files(previous) if previous else [])]:
            path.unlink(missing_ok=True)
    return PublishResult(published_db, counts, "full" if refresh_only is None else "data_quality_only")


@dataclass(frozen=True)
class NewTable:
    """A table to publish that dbt does not build: its rows, columns (name, SQL type, description)
    and description."""

    name: str
    frame: pd.DataFrame
    columns: Sequence[tuple[str, str, str]]
    description: str


def publish_tables(
    published_db: Path, tables: Sequence[NewTable], *, replace_where: tuple[str, Sequence[str]] | None = None
) -> PublishResult:
    """Replace some tables of the published file, atomically, leaving every other table as it is.

    The new file starts as a plain copy of the published one (never opened: decision 3), gets the
    tables written, and is renamed over it. With ``replace_where`` = (column, values), only the
    published rows whose column holds one of the values are replaced; the other rows stay.
    """
    if not published_db.exists():
        raise FileNotFoundError(f"no published warehouse at {published_db}: run `pwh run` (or `pwh demo`) first")
    tmp = published_db.with_name(f".{published_db.name}.{uuid.uuid4().hex[:8]}.tmp")
    counts: dict[str, int] = {}
    try:
        shutil.copyfile(published_db, tmp)
        wal = Path(f"{published_db}.wal")
        if wal.exists():
            shutil.copyfile(wal, f"{tmp}.wal")
        conn = duckdb.connect(str(tmp))
        try:
            existing = set(list_tables(conn, conn.execute("select current_database()").fetchall()[0][0]))
            for table in tables:
                ref = table_ref(table.name)
                kept = table.name in existing and replace_where is not None
                if kept:
                    column, values = replace_where
                    conn.execute(
                        f"create temp table _kept as select * from {ref} "
                        f"where {quote_identifier(column)} is null or {quote_identifier(column)} not in "
                        f"(select unnest(?::varchar[]))",
                        [list(values)],
                    )
                write_table(conn, table.name, table.frame, table.columns, table.description)
                if kept:
                    conn.execute(f"insert into {ref} by name select * from _kept")
                    conn.execute("drop table _kept")
                counts[table.name] = conn.execute(f"select count(*) from {ref}").fetchall()[0][0]
            conn.execute("checkpoint")
        finally:
            conn.close()
        os.replace(tmp, published_db)
    finally:
        for path in _side_files(tmp):
            path.unlink(missing_ok=True)
    return PublishResult(published_db, counts, "tables")
