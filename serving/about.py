"""What the published file says about itself: the as-of date, when it was refreshed, and how
fresh each source is. Shown on the first sheet of the workbook, in the Parquet folder's
manifest.json and in the dashboard's banner. Every value is a mart value; nothing is derived.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import duckdb

from serving.marts import list_tables, table_ref

FRESHNESS_COLUMNS = (
    "source_name",
    "entity",
    "last_success_at",
    "last_attempt_status",
    "hours_since_last_success",
    "is_stale",
    "last_failure_reason",
)


@dataclass(frozen=True)
class About:
    as_of_date: date | None
    refreshed_at: datetime | None  # start of the latest run (kpi_run_health)
    latest_run_id: str | None
    freshness: list[dict[str, Any]] = field(default_factory=list)  # kpi_source_freshness rows


def read_about(conn: duckdb.DuckDBPyConnection, catalog: str) -> About:
    tables = set(list_tables(conn, catalog))
    as_of = None
    for table in ("kpi_headline", "kpi_project_scorecard"):
        if table in tables:
            row = conn.execute(f"select max(as_of_date) from {table_ref(table, catalog)}").fetchone()
            as_of = row[0] if row else None
            break
    refreshed, run_id = None, None
    if "kpi_run_health" in tables:
        row = conn.execute(
            f"select run_started_at, run_id from {table_ref('kpi_run_health', catalog)} where is_latest_run"
        ).fetchone()
        if row:
            refreshed, run_id = row
    freshness: list[dict[str, Any]] = []
    if "kpi_source_freshness" in tables:
        cursor = conn.execute(
            f"select {', '.join(FRESHNESS_COLUMNS)} from {table_ref('kpi_source_freshness', catalog)} "
            "order by source_name, entity"
        )
        freshness = [dict(zip(FRESHNESS_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    return About(as_of, refreshed, run_id, freshness)
