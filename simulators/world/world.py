"""The simulated enterprise as one object: generate or open a world file, read it, move its clock.

```python
world = World.generate(path, scale="small", seed=7, anchor=date(2026, 6, 30))
world.counts()            # live records per raw entity
world.advance(1)          # one day later: new, changed and deleted records
world.bulk_import_worklogs(2500, at)   # worklogs sharing one updated instant, as an import leaves them
world.write_finance_exports(folder)
```
"""

from __future__ import annotations

import json
import math
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from simulators.world.advance import AdvanceSummary, advance_one_day, entity_keys
from simulators.world.bulk_import import bulk_import_worklogs
from simulators.world.finance_exports import write_exports
from simulators.world.generation import generate_world
from simulators.world.scales import SCALES
from simulators.world.store import DDL, SERVICENOW_TABLES, connect, glide_datetime, read_meta

__all__ = ["SCALES", "AdvanceSummary", "World", "entity_keys"]


@dataclass
class World:
    """An open world file and its clock."""

    path: Path
    conn: sqlite3.Connection = field(repr=False)
    scale: str
    seed: int
    anchor: date

    @classmethod
    def generate(
        cls,
        path: Path | str,
        scale: str = "medium",
        seed: int = 7,
        anchor: date | None = None,
        jira_timezone: str = "America/Los_Angeles",
    ) -> World:
        """Write the world of (scale, seed, anchor) to ``path`` (replacing any file there) and open it.

        The same arguments always give a byte-identical file. ``anchor`` defaults to today (UTC),
        so a demo world always looks current.
        """
        if scale not in SCALES:
            raise ValueError(f"unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        anchor = anchor or datetime.now(UTC).date()
        conn = connect(path)
        # A fresh file needs no rollback journal: a failed generation is simply generated again.
        # Without it the bulk load is written once, instead of once to the WAL and again to the file.
        conn.execute("pragma journal_mode=off")
        with conn:
            generate_world(conn, SCALES[scale], seed, anchor, jira_timezone)
        conn.executescript(DDL)  # the secondary indexes the bulk load went without
        conn.executescript("analyze;")
        conn.execute("pragma journal_mode=wal")
        conn.close()
        return cls.open(path)

    @classmethod
    def open(cls, path: Path | str) -> World:
        """Open an existing world file for reading and advancing."""
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"no world file at {path}: generate one with World.generate")
        conn = connect(path)
        meta = read_meta(conn)
        return cls(path, conn, meta["scale"], int(meta["seed"]), date.fromisoformat(meta["anchor"]))

    @property
    def now(self) -> datetime:
        """The world clock (aware UTC); every record is stamped at or before it."""
        value = self.conn.execute("select value from meta where key = 'now'").fetchone()[0]
        return datetime.fromisoformat(value)

    def meta(self) -> dict[str, str]:
        return read_meta(self.conn)

    def counts(self) -> dict[str, int]:
        """Live records per raw entity key."""
        result = dict.fromkeys(entity_keys(), 0)
        for table, count in self.conn.execute("select tbl, count(*) from sn_record group by tbl"):
            result[f"servicenow/{table}"] = count
        for entity, table in (
            ("jira/projects", "jira_project"),
            ("jira/issues", "jira_issue"),
            ("jira/worklogs", "jira_worklog"),
            ("jira/issue_changelogs", "jira_changelog"),
            ("jira/users", "jira_user"),
            ("jira/versions", "jira_version"),
            ("jira/boards", "jira_board"),
            ("jira/sprints", "jira_sprint"),
        ):
            result[entity] = self.conn.execute(f"select count(*) from {table}").fetchone()[0]
        # A changelog holds the sprint histories beside the status ones (the sync reads both).
        result["jira/issue_changelogs"] += self.conn.execute("select count(*) from jira_sprint_history").fetchone()[0]
        for entity, name in (("jira/statuses", "statuses"), ("jira/fields", "fields")):
            body = self.conn.execute("select body from jira_static where name = ?", (name,)).fetchone()[0]
            result[entity] = len(json.loads(body))
        return result

    def changes_since(self, ts: datetime) -> dict[str, set[str]]:
        """Keys of live records per entity whose updated time is at or after ``ts``.

        Snapshot entities (projects, users, statuses, fields, versions, boards, sprints) carry no
        updated time, so their sets are empty (versions and sprints do change with the clock: a
        snapshot sync compares their content instead).
        """
        result: dict[str, set[str]] = {key: set() for key in entity_keys()}
        whole_second = ts.astimezone(UTC)
        if whole_second.microsecond:
            whole_second = whole_second.replace(microsecond=0) + timedelta(seconds=1)
        bound = glide_datetime(whole_second)
        for table in SERVICENOW_TABLES:
            result[f"servicenow/{table}"] = {
                row[0]
                for row in self.conn.execute(
                    "select sys_id from sn_record where tbl = ? and sys_updated_on >= ?", (table, bound)
                )
            }
        ms = math.ceil(ts.timestamp() * 1000)
        for entity, sql in (
            ("jira/issues", "select id from jira_issue where updated_ms >= ?"),
            ("jira/worklogs", "select id from jira_worklog where updated_ms >= ?"),
            (
                "jira/issue_changelogs",
                "select id from jira_changelog where created_ms >= ?1 "
                "union all select id from jira_sprint_history where created_ms >= ?1",
            ),
        ):
            result[entity] = {str(row[0]) for row in self.conn.execute(sql, (ms,))}
        return result

    def deleted_since(self, ts: datetime) -> dict[str, set[str]]:
        """Keys per entity deleted at or after ``ts``."""
        result: dict[str, set[str]] = {key: set() for key in entity_keys()}
        whole_second = ts.astimezone(UTC)
        if whole_second.microsecond:
            whole_second = whole_second.replace(microsecond=0) + timedelta(seconds=1)
        for table, sys_id in self.conn.execute(
            "select tbl, sys_id from sn_deleted where deleted_on >= ?", (glide_datetime(whole_second),)
        ):
            result[f"servicenow/{table}"].add(sys_id)
        ms = math.ceil(ts.timestamp() * 1000)
        result["jira/issues"] = {
            str(r[0]) for r in self.conn.execute("select id from jira_issue_deleted where deleted_ms >= ?", (ms,))
        }
        result["jira/worklogs"] = {
            str(r[0]) for r in self.conn.execute("select id from jira_worklog_deleted where deleted_ms >= ?", (ms,))
        }
        return result

    def advance(self, days: int = 1) -> AdvanceSummary:
        """Move the clock forward by whole days, changing the world as each day would.

        Each day is seeded by (seed, day), so advancing 3 days at once or one day three times gives
        the same world.
        """
        if days < 1:
            raise ValueError("advance() moves forward by at least one day")
        summary = AdvanceSummary.empty(self.now, entity_keys())
        for _ in range(days):
            with self.conn:
                day = advance_one_day(self.conn, self.seed)
            summary = summary.then(day)
        return summary

    def bulk_import_worklogs(self, count: int, at: datetime, issues: int = 5) -> list[str]:
        """Add ``count`` worklogs that all share the updated instant ``at`` on ``issues`` issues, as
        a bulk import or migration leaves them; returns their ids (``bulk_import.py``).

        ``count`` of 1000 or more is an instant Jira's ``/worklog/updated`` cannot page past.
        """
        return [str(i) for i in bulk_import_worklogs(self.conn, count, at, issues)]

    def write_finance_exports(self, folder: Path | str) -> list[Path]:
        """Write the finance CSV exports into ``folder``; the same world always writes the same bytes."""
        return write_exports(self.conn, Path(folder))

    def finance_broken_rows(self) -> list[tuple[str, int, str]]:
        """(file name, physical line, reason) of every row finance exported broken on purpose."""
        return [
            tuple(row)
            for row in self.conn.execute(
                "select export_file, export_line, reason from fin_broken_row order by export_file, export_line"
            )
        ]

    def finance_lines_without_fx_rate(self) -> list[dict[str, object]]:
        """GL lines in a currency with no ``fin_fx_rate`` row for their month (never the reporting one).

        They are real lines, in ``fin_gl_line`` and in their file; the warehouse cannot convert them
        and rejects them with a reason, so a KPI computed from the truth leaves them out.
        """
        cursor = self.conn.execute(
            "select g.* from fin_gl_line g "
            "where g.currency <> (select value from meta where key = 'reporting_currency') "
            "and not exists (select 1 from fin_fx_rate f where f.currency = g.currency "
            "and f.period = printf('%04d-%02d', g.fiscal_year, g.fiscal_period)) "
            "order by g.company_code, g.fiscal_year, g.document_number, g.line_number"
        )
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor]

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> World:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
