"""Comparing a warehouse's marts with an oracle's frames, row by row and column by column.

Numbers match within 1e-6 absolute or 1e-9 relative; counts, labels, dates, timestamps and
booleans match exactly; NULL matches only NULL; a row missing on either side is a disagreement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from oracle.kpi_oracle import is_missing

REL_TOL = 1e-9
ABS_TOL = 1e-6


@dataclass(frozen=True)
class Built:
    """A warehouse to compare: its file, the world it was built from, and its as-of date."""

    database: Path
    world_path: Path
    as_of: date


def read_mart(conn: Any, table: str) -> list[dict[str, Any]]:
    cursor = conn.execute(f"select * from marts.{table}")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def plain(value: Any) -> Any:
    """Python values both sides can compare: timestamps stay timestamps (to the second), dates dates."""
    if is_missing(value):
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, (datetime, date)):
        return value.item()
    return value


def values_match(mart_value: Any, oracle_value: Any) -> bool:
    mart_value, oracle_value = plain(mart_value), plain(oracle_value)
    if mart_value is None or oracle_value is None:
        return mart_value is None and oracle_value is None
    if isinstance(oracle_value, bool) or isinstance(mart_value, bool):
        return isinstance(mart_value, bool) and isinstance(oracle_value, bool) and mart_value == oracle_value
    if isinstance(oracle_value, (int, float)) and isinstance(mart_value, (int, float)):
        return math.isclose(float(mart_value), float(oracle_value), rel_tol=REL_TOL, abs_tol=ABS_TOL)
    if isinstance(oracle_value, datetime) != isinstance(mart_value, datetime):
        return False
    return mart_value == oracle_value


def compare(mart: str, rows: list[dict[str, Any]], frame: pd.DataFrame, key: list[str]) -> list[str]:
    expected = {tuple(plain(r[k]) for k in key): r for r in frame.to_dict("records")}
    actual = {tuple(plain(r[k]) for k in key): r for r in rows}
    problems = []
    if len(actual) != len(rows):
        problems.append(f"{mart}: the key {key} is not unique in the mart")
    columns = [c for c in frame.columns if c not in key]
    sample = rows[0] if rows else {}
    problems += [f"{mart}: column {c} missing from the mart" for c in columns if sample and c not in sample]
    problems += [f"{mart}[{k}]: row missing from the mart" for k in sorted(set(expected) - set(actual), key=str)]
    problems += [f"{mart}[{k}]: row the oracle does not expect" for k in sorted(set(actual) - set(expected), key=str)]
    for k in sorted(set(expected) & set(actual), key=str):
        for c in columns:
            if c in sample and not values_match(actual[k][c], expected[k][c]):
                problems.append(f"{mart}[{k}].{c}: mart={plain(actual[k][c])!r} oracle={plain(expected[k][c])!r}")
    return problems


def report(problems: list[str], limit: int = 60) -> str:
    more = f"\n… and {len(problems) - limit} more" if len(problems) > limit else ""
    return f"{len(problems)} disagreement(s) with the oracle:\n" + "\n".join(problems[:limit]) + more
