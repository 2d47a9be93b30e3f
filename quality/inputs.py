"""Turning what a caller hands ``run_suite`` into a pandas DataFrame.

great-expectations 1.24 cannot validate DuckDB tables through SQL (docs/architecture.md
"great-expectations validates data frames, not DuckDB SQL"), so every input becomes a DataFrame
first: a DuckDB table is read read-only, raw Parquet batches are read with pyarrow, and the JSON
``record`` of a raw row is parsed into one column per field a suite needs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq


def quote_identifier(name: str) -> str:
    """A schema, table or column name as a SQL identifier: in double quotes, inner quotes doubled,
    so a name can never end the identifier and run as SQL (DuckDB binds values, not names)."""
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class DuckDBTable:
    """A table in a DuckDB file, read read-only (never while another process writes the file)."""

    database: Path
    schema: str
    table: str

    @property
    def qualified_name(self) -> str:
        """``"schema"."table"``, quoted for SQL."""
        return f"{quote_identifier(self.schema)}.{quote_identifier(self.table)}"

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A read-only connection (fails while another process holds the file for writing)."""
        return duckdb.connect(str(self.database), read_only=True)

    def read(self) -> pd.DataFrame:
        """The whole table as a DataFrame."""
        with self.connect() as conn:
            return read_table(conn, self.schema, self.table)


def read_table(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> pd.DataFrame:
    """A whole table as a DataFrame (KPI marts and dimensions are small enough)."""
    return conn.sql(f"select * from {quote_identifier(schema)}.{quote_identifier(table)}").df()


SuiteData = pd.DataFrame | Path | str | Sequence[Path | str] | DuckDBTable


def read_raw_batches(paths: Iterable[Path | str]) -> pd.DataFrame:
    """Raw landing batch files, concatenated in the order given, as one DataFrame."""
    tables = [pq.read_table(Path(p)) for p in paths]
    if not tables:
        return pd.DataFrame(
            {
                "natural_key": pd.Series([], dtype="object"),
                "source_updated_at": pd.Series([], dtype="datetime64[us, UTC]"),
                "batch_id": pd.Series([], dtype="object"),
                "is_deleted": pd.Series([], dtype="bool"),
                "record": pd.Series([], dtype="object"),
            }
        )
    return pa.concat_tables(tables, promote_options="default").to_pandas()


def load_frame(data: SuiteData) -> pd.DataFrame:
    """Any accepted input as a DataFrame with a fresh 0..n-1 index (GX reports failing rows by index)."""
    if isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, DuckDBTable):
        frame = data.read()
    elif isinstance(data, (str, Path)):
        frame = read_raw_batches([data])
    else:
        frame = read_raw_batches(data)
    return frame.reset_index(drop=True)


def flatten_records(frame: pd.DataFrame, fields: Sequence[str]) -> pd.DataFrame:
    """Add one text column per dotted field path (``fields.status.statusCategory.key``).

    Every value becomes text, as ServiceNow sends it (numbers and booleans in their JSON spelling),
    so one expectation works for all three sources. Empty strings become null: ServiceNow sends
    ``""`` for "no value", and a required id that is ``""`` is missing. Tombstones carry no record
    and get nulls.
    """
    # pandas 3 reads a null string as NaN, so test for text rather than for None.
    records = [json.loads(text) if isinstance(text, str) else None for text in frame["record"].tolist()]
    columns = {path: [_text(_dig(rec, path)) for rec in records] for path in fields}
    flat = pd.DataFrame(columns, index=frame.index, dtype="object")
    kept = frame.drop(columns=[c for c in fields if c in frame.columns])
    return pd.concat([kept, flat], axis=1)


def _dig(record: Any, path: str) -> Any:
    value = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    if isinstance(value, (dict, list, bool, int, float)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def add_numbers(frame: pd.DataFrame, fields: Iterable[str]) -> pd.DataFrame:
    """Add ``<field>__number``: the field as a float, NaN where absent or not a number.

    The text column keeps the original value, so "is numeric" is checked on the text and ranges
    on the number; a value that is not a number fails only the first.
    """
    extra = {number_column(name): pd.to_numeric(frame[name], errors="coerce") for name in fields}
    return frame.assign(**extra)


def number_column(field: str) -> str:
    """The name of the numeric twin ``add_numbers`` gives a text field."""
    return f"{field}__number"
