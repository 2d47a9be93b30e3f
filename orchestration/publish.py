"""Publishing the marts for BI readers, and exporting them as files (docs/architecture.md decision 3).

dbt owns `PWH_HOME/portfolio.duckdb`. BI tools open `PWH_HOME/published/portfolio.duckdb`, which
is only ever replaced whole: the marts are copied into a new file next to it, which is then
renamed over the old one. A reader that has the old file open keeps reading the old file; a reader
that opens the path gets the old or the new file, never a half-built one, and never a lock error.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

MARTS_SCHEMA = "marts"
EXCEL_MAX_ROWS = 1_048_575  # one row of the sheet is the header


@dataclass(frozen=True)
class PublishResult:
    path: Path
    tables: dict[str, int]
    mode: str  # "full" or "data_quality_only"


def remove_stale_temp_files(published_db: Path) -> list[Path]:
    """Temp files a killed publish left beside the published file (and their WAL); removed.

    Only call while no publish runs (pwh holds the run lock): a live publish's temp file has the
    same shape."""
    removed = []
    for path in sorted(published_db.parent.glob(f".{published_db.name}.*.tmp*")):
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _tables(conn: duckdb.DuckDBPyConnection, catalog: str) -> list[str]:
    rows = conn.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = ? order by table_name",
        [catalog, MARTS_SCHEMA],
    ).fetchall()
    return [r[0] for r in rows]


def _copy_table(conn: duckdb.DuckDBPyConnection, source_catalog: str, table: str) -> int:
    """Copy one table with its data and its comments (dbt persists descriptions as comments)."""
    conn.execute(f'create or replace table {MARTS_SCHEMA}."{table}" as select * from "{source_catalog}".{MARTS_SCHEMA}."{table}"')
    comment = conn.execute(
        "select comment from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?",
        [source_catalog, MARTS_SCHEMA, table],
    ).fetchone()
    if comment and comment[0]:
        conn.execute(f'comment on table {MARTS_SCHEMA}."{table}" is {_quote(comment[0])}')
    for column, text in conn.execute(
        "select column_name, comment from duckdb_columns() where database_name = ? and schema_name = ? and table_name = ? and comment is not null",
        [source_catalog, MARTS_SCHEMA, table],
    ).fetchall():
        conn.execute(f'comment on column {MARTS_SCHEMA}."{table}"."{column}" is {_quote(text)}')
    return conn.execute(f'select count(*) from {MARTS_SCHEMA}."{table}"').fetchone()[0]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


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
    counts: dict[str, int] = {}
    try:
        conn = duckdb.connect(str(tmp))
        try:
            conn.execute(f"create schema if not exists {MARTS_SCHEMA}")
            conn.execute(f"attach '{build_db}' as build (read_only)")
            if refresh_only is not None and published_db.exists():
                conn.execute(f"attach '{published_db}' as previous (read_only)")
                for table in _tables(conn, "previous"):
                    if table not in refresh_only:
                        counts[table] = _copy_table(conn, "previous", table)
                conn.execute("detach previous")
                built = _tables(conn, "build")
                for table in refresh_only:
                    if table in built:
                        counts[table] = _copy_table(conn, "build", table)
            else:
                for table in _tables(conn, "build"):
                    counts[table] = _copy_table(conn, "build", table)
            conn.execute("detach build")
            conn.execute("checkpoint")
        finally:
            conn.close()
        os.replace(tmp, published_db)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return PublishResult(published_db, counts, "full" if refresh_only is None else "data_quality_only")


def export(published_db: Path, out_dir: Path, fmt: str) -> list[Path]:
    """The published marts as files: one Parquet file per table, or one Excel workbook.

    Each file is written under a temp name and renamed, so Power BI refreshing from the folder
    never reads a half-written file.
    """
    if fmt not in ("parquet", "xlsx"):
        raise ValueError(f"export format must be parquet or xlsx, not {fmt!r}")
    if not published_db.exists():
        raise FileNotFoundError(f"no published warehouse at {published_db}: run `pwh run` (or `pwh demo`) first")
    out_dir.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(published_db), read_only=True)
    written: list[Path] = []
    try:
        tables = _tables(conn, published_db.stem)
        if fmt == "parquet":
            for table in tables:
                target = out_dir / f"{table}.parquet"
                tmp = out_dir / f".{table}.parquet.tmp"
                conn.execute(f"copy (select * from {MARTS_SCHEMA}.\"{table}\") to '{tmp}' (format parquet, compression zstd)")
                os.replace(tmp, target)
                written.append(target)
        else:
            written.append(_export_xlsx(conn, tables, out_dir / "portfolio_marts.xlsx"))
    finally:
        conn.close()
    return written


def _export_xlsx(conn: duckdb.DuckDBPyConnection, tables: list[str], target: Path) -> Path:
    import pandas as pd

    tmp = target.with_name(f".{target.name}.tmp")
    skipped: list[tuple[str, int]] = []
    with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        for table in tables:
            rows = conn.execute(f'select count(*) from {MARTS_SCHEMA}."{table}"').fetchone()[0]
            if rows > EXCEL_MAX_ROWS:
                skipped.append((table, rows))
                continue
            frame = conn.execute(f'select * from {MARTS_SCHEMA}."{table}"').df()
            for column in frame.select_dtypes(include=["datetimetz"]).columns:
                frame[column] = frame[column].dt.tz_localize(None)  # Excel has no time zones (UTC)
            frame.to_excel(writer, sheet_name=table[:31], index=False)
        if skipped:  # say in the workbook which tables are missing and why
            notes = pd.DataFrame(
                {"table": [t for t, _ in skipped], "rows": [n for _, n in skipped],
                 "note": ["more rows than an Excel sheet holds: use the Parquet export"] * len(skipped)}
            )
            notes.to_excel(writer, sheet_name="_not_exported", index=False)
    os.replace(tmp, target)
    return target
