"""`pwh check`, and the same questions before every `pwh run`: can this night work at all?

PWH_HOME must be writable with room to spare, and every configured source must answer the
questions its sync will ask (connectors/preflight.py). A problem is found in seconds and named
with the setting to fix, instead of minutes into a run. A source that fails here is still a run
on record: its entities are logged as failed in the sync log, so kpi_data_quality and
kpi_source_freshness show it (docs/kpis.md "Data quality and run health").
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterable, Sequence
from contextlib import closing
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from connectors.finance import FINANCE_ENTITIES
from connectors.jira import JIRA_ENTITIES, jira_client
from connectors.preflight import (
    PREFLIGHT_POLICY,
    CheckOutcome,
    check_finance_folder,
    check_jira,
    check_servicenow,
)
from connectors.servicenow import SERVICENOW_TABLES, servicenow_client
from connectors.sync_log import SyncAttempt, SyncLog
from orchestration.settings import ConfigError, NotConfigured, WarehousePaths

# Below this much free space a night may fail half-way through writing Parquet or DuckDB.
MIN_FREE_BYTES = 1 << 30
# The entities a failed preflight fails, by the kind of source.
SOURCE_ENTITIES = {
    "Jira": JIRA_ENTITIES,
    "ServiceNow": SERVICENOW_TABLES,
    "Finance exports": FINANCE_ENTITIES,
}


@dataclass(frozen=True)
class SourceSetting:
    """A source as configured: its config, or what is missing (settings.NotConfigured).

    ``name`` is what the table shows (`Jira`, or `Jira acme` for a further site; `ServiceNow acme`
    for a further instance), ``kind`` which checks it gets, ``landing`` its folder under raw/ and
    its name in the sync log."""

    name: str
    config: object
    configured: bool
    kind: str
    landing: str


def check_home(paths: WarehousePaths) -> CheckOutcome:
    """PWH_HOME exists or can be made, a file can be written in it, and it has room."""
    try:
        ensure_home_writable(paths)
    except ConfigError as exc:
        return CheckOutcome("PWH_HOME", "writable", False, str(exc))
    free = shutil.disk_usage(paths.home).free
    if free < MIN_FREE_BYTES:
        return CheckOutcome(
            "PWH_HOME",
            "free space",
            False,
            f"only {free / 2**20:,.0f} MiB free under {paths.home} — free space or move PWH_HOME",
        )
    return CheckOutcome("PWH_HOME", "writable", True, f"{paths.home} ({free / 2**30:,.1f} GiB free)")


def ensure_home_writable(paths: WarehousePaths) -> None:
    """Raise ConfigError naming PWH_HOME when it cannot be created or written."""
    probe = paths.home / f".pwh-write-test-{uuid.uuid4().hex[:8]}"
    try:
        paths.home.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(
            f"PWH_HOME {paths.home} is not writable ({exc.strerror or exc}) — "
            "set PWH_HOME to a folder this user can write"
        ) from None


def check_sources(settings: Sequence[SourceSetting]) -> list[CheckOutcome]:
    """Every configured source's preflight; unconfigured ones say what to set (not a failure)."""
    outcomes: list[CheckOutcome] = []
    for source in settings:
        config = source.config
        if isinstance(config, NotConfigured):
            outcomes.append(
                CheckOutcome(
                    source.name, "configured", True, f"not configured (set {', '.join(config.missing)}): skipped"
                )
            )
        elif source.kind == "Jira":
            with closing(jira_client(config, policy=PREFLIGHT_POLICY)) as client:  # type: ignore[arg-type]
                # each site's rows say which site they are about
                outcomes.extend(replace(outcome, source=source.name) for outcome in check_jira(client))
        elif source.kind == "ServiceNow":
            with closing(servicenow_client(config, policy=PREFLIGHT_POLICY)) as client:  # type: ignore[arg-type]
                # each instance's rows say which instance they are about
                outcomes.extend(replace(outcome, source=source.name) for outcome in check_servicenow(client))
        else:
            outcomes.extend(check_finance_folder(Path(config.folder)))  # type: ignore[attr-defined]
    return outcomes


def record_failures(
    raw_root: Path, outcomes: Iterable[CheckOutcome], started: datetime, sources: Sequence[SourceSetting]
) -> str:
    """Log every entity of each source that failed its preflight as a failed sync attempt under
    a new run id, which is returned (the run that never got past the preflight)."""
    run_id = f"preflight-{started:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    by_name = {source.name: source for source in sources}
    failed = {o.source: o.detail for o in outcomes if not o.ok and o.source in by_name}
    finished = datetime.now(UTC)
    SyncLog(raw_root).append(
        SyncAttempt(run_id, by_name[name].landing, entity, started, finished, "failed", detail=reason)
        for name, reason in failed.items()
        for entity in SOURCE_ENTITIES[by_name[name].kind]
    )
    return run_id


def print_table(outcomes: Sequence[CheckOutcome], out: TextIO) -> None:
    rows = [("source", "check", "result", "detail")] + [
        (o.source, o.check, "ok" if o.ok else "FAILED", o.detail) for o in outcomes
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for index, row in enumerate(rows):
        print(
            "  " + "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "  " + row[3],
            file=out,
        )
        if index == 0:
            print("  " + "  ".join("-" * w for w in widths) + "  " + "-" * 6, file=out)
