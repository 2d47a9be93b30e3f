"""Finance drop folder → ``landing/finance/<entity>``, over the shared sync engine (``connectors.engine``).

Each new export file is copied, hashed and parsed by ``connectors.finance.reader``; its rows land
before its ``finance/files`` row, so a file whose hash landed is never loaded twice.
"""

from __future__ import annotations

import logging
import tempfile
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from connectors.engine import EntityResult, Progress, _logged, _start
from connectors.finance.reader import (
    FinanceConfig,
    FinanceFileReader,
    NotARegularFile,
    copy_regular_file,
    hash_and_sniff_encoding,
    scan_drop_folder,
)
from connectors.landing import DEFAULT_BATCH_ROWS, RawLanding, RawRecord
from connectors.sync_log import new_run_id

__all__ = ["FINANCE_ENTITIES", "sync_finance"]

log = logging.getLogger(__name__)

FINANCE_ENTITIES: tuple[str, ...] = ("gl_actuals", "forecast", "fx_rates", "finance_rejects", "files")


def sync_finance(
    folder: Path,
    landing: RawLanding,
    *,
    settle_seconds: float = FinanceConfig.settle_seconds,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: Progress | None = None,
    run_id: str | None = None,
) -> list[EntityResult]:
    """Load every new export file of the drop folder; one result per finance entity.

    A file whose content hash already landed (``finance/files``) loads nothing; a changed file
    (new hash) loads fully. Each file is copied to a private temp folder first, so the hash and
    the parsed rows describe the same bytes even if finance overwrites the file meanwhile.
    Every file loaded by one call shares one arrival time (when the folder was scanned) and
    ``run_id``: which of two files is newer is decided from them in the warehouse
    (docs/contract.md §4), never from file modification times.
    """
    folder = Path(folder)
    run = run_id or new_run_id()
    with _logged(landing, "finance", FINANCE_ENTITIES, run) as results:
        with landing.lock("finance", FINANCE_ENTITIES):
            _start(landing, "finance", FINANCE_ENTITIES, FINANCE_ENTITIES)
            results.extend(
                _sync_finance_locked(
                    folder, landing, settle_seconds=settle_seconds, batch_rows=batch_rows, progress=progress, run_id=run
                )
            )
        return results


def _sync_finance_locked(
    folder: Path,
    landing: RawLanding,
    *,
    settle_seconds: float,
    batch_rows: int,
    progress: Progress | None,
    run_id: str,
) -> list[EntityResult]:
    results = {entity: EntityResult("finance", entity) for entity in FINANCE_ENTITIES}
    arrived_at = datetime.now(UTC)
    scan = scan_drop_folder(folder, settle_seconds=settle_seconds)
    results["files"].warnings.extend(scan.warnings)
    landed = landing.live_keys("finance", "files")
    loaded_now: set[str] = set()

    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="pwh-finance-") as scratch:
        writers = {
            entity: stack.enter_context(
                landing.writer("finance", entity, sync_mode="incremental", batch_rows=batch_rows)
            )
            for entity in FINANCE_ENTITIES
        }
        for path in scan.ready:
            copy = Path(scratch) / path.name
            try:
                before, after = copy_regular_file(path, copy)
            except FileNotFoundError:
                results["files"].warnings.append(f"{path.name}: disappeared before it could be read; skipped")
                continue
            except NotARegularFile as exc:  # swapped for a link or a pipe after the folder was scanned
                results["files"].warnings.append(str(exc))
                copy.unlink(missing_ok=True)
                continue
            if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns):
                results["files"].warnings.append(f"{path.name}: changed while being copied; skipped this run")
                copy.unlink(missing_ok=True)
                continue
            # For lineage only: which file is newer is decided by arrival (docs/contract.md §4).
            modified = datetime.fromtimestamp(before.st_mtime, tz=UTC)
            sha256, encoding, size, warning = hash_and_sniff_encoding(copy)
            if sha256 in landed or sha256 in loaded_now:
                results["files"].skipped_unchanged += 1
                copy.unlink(missing_ok=True)
                continue
            reader = FinanceFileReader(copy, sha256=sha256, encoding=encoding, size_bytes=size, modified_at=modified)
            report = reader.report
            if warning:
                report.warnings.append(warning)
            for row in reader.rows():
                record = {**row.record, "file_name": path.name}
                writers[row.entity].add(RawRecord.compact(f"{sha256}:{row.line}", modified, record))
            # A file's rows land before its files row: a crash in between re-loads the file
            # (same keys, same versions — staging dedups) instead of losing it.
            for entity in ("gl_actuals", "forecast", "fx_rates", "finance_rejects"):
                writers[entity].flush()
            report.path = path
            report.arrived_at = arrived_at
            report.run_id = run_id
            writers["files"].add(RawRecord(sha256, modified, report.as_record()))
            writers["files"].flush()
            loaded_now.add(sha256)
            copy.unlink(missing_ok=True)
            kind_result = results[report.kind]
            kind_result.files += 1
            kind_result.rejects += report.rejects
            kind_result.warnings.extend(report.warnings)
            results["finance_rejects"].files += 1 if report.rejects else 0
            results["files"].files += 1
            if progress is not None:
                progress(f"finance/{report.kind}", writers[report.kind].stats.records)
            log.info("finance file %s: %d rows, %d rejects", path.name, report.rows, report.rejects)

    for entity, result in results.items():
        stats = writers[entity].stats
        result.records = stats.records
        result.tombstones = stats.tombstones
        result.watermark = landing.max_source_updated_at("finance", entity)
    results["finance_rejects"].rejects = results["finance_rejects"].records
    return [results[e] for e in FINANCE_ENTITIES]
