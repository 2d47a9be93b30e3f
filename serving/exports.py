"""The published marts as files: Parquet (with descriptions and a manifest) or one Excel workbook.

Each file is written under a temporary name and renamed, so Power BI refreshing from the folder
never reads a half-written file.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from serving.about import read_about
from serving.marts import column_descriptions, list_tables, open_published, table_description, table_ref

FORMATS = ("parquet", "xlsx")
MANIFEST_NAME = "manifest.json"
# Snappy rather than zstd: every Parquet reader BI tools ship (Power Query's included) reads it.
PARQUET_COMPRESSION = "snappy"


def export(published_db: Path, out_dir: Path, fmt: str) -> list[Path]:
    """Write `fmt` files of every published mart into `out_dir`; returns the files written."""
    if fmt not in FORMATS:
        raise ValueError(f"export format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    conn = open_published(published_db)
    try:
        conn.execute("set TimeZone = 'UTC'")  # timestamps are UTC in every file
        out_dir.mkdir(parents=True, exist_ok=True)
        catalog = published_db.stem
        if fmt == "parquet":
            return export_parquet(conn, catalog, out_dir)
        from serving.workbook import write_workbook

        return [write_workbook(conn, catalog, out_dir / "portfolio_marts.xlsx", published_db)]
    finally:
        conn.close()


def _described_schema(
    schema: pa.Schema, table: str, description: str | None, columns: dict[str, str], as_of: date | None
) -> pa.Schema:
    """The Arrow schema with dbt's descriptions as field and file metadata (Parquet key-value metadata)."""
    fields = [f.with_metadata({"description": columns[f.name]}) if f.name in columns else f for f in schema]
    metadata = {"table": table, "description": description or "", "as_of_date": as_of.isoformat() if as_of else ""}
    return pa.schema(fields, metadata=metadata)


def export_parquet(conn: duckdb.DuckDBPyConnection, catalog: str, out_dir: Path) -> list[Path]:
    about = read_about(conn, catalog)
    written: list[Path] = []
    entries: list[dict[str, Any]] = []
    for table in list_tables(conn, catalog):
        arrow = conn.sql(f"select * from {table_ref(table, catalog)}").to_arrow_table()
        description = table_description(conn, catalog, table)
        schema = _described_schema(
            arrow.schema, table, description, column_descriptions(conn, catalog, table), about.as_of_date
        )
        target = out_dir / f"{table}.parquet"
        tmp = out_dir / f".{table}.parquet.tmp"
        pq.write_table(pa.Table.from_arrays(arrow.columns, schema=schema), tmp, compression=PARQUET_COMPRESSION)
        os.replace(tmp, target)
        written.append(target)
        entries.append(
            {
                "table": table,
                "file": target.name,
                "rows": arrow.num_rows,
                "columns": arrow.num_columns,
                "description": description,
            }
        )
    manifest = {
        "as_of_date": about.as_of_date,
        "refreshed_at": about.refreshed_at,
        "latest_run_id": about.latest_run_id,
        "exported_at": datetime.now(UTC),
        "tables": entries,
        "freshness": about.freshness,
    }
    target = out_dir / MANIFEST_NAME
    tmp = out_dir / f".{MANIFEST_NAME}.tmp"
    tmp.write_text(json.dumps(manifest, indent=2, default=_json_value) + "\n")
    os.replace(tmp, target)
    written.append(target)
    return written


def _json_value(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"not JSON: {type(value).__name__}")
