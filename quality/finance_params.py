"""Params the finance raw suites need, read from the same run's raw batches.

The currency check needs the currencies that have FX rates; the reject-rate check needs, per
file, how many rows did load. Both come from landed batches, so the caller only passes paths.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pyarrow.parquet as pq

from quality.inputs import flatten_records, read_raw_batches


def fx_currencies(fx_rate_batches: Iterable[Path | str]) -> set[str]:
    """Currencies with at least one rate in the given ``finance/fx_rates`` batches.

    Pass every fx_rates batch landed so far, not only this run's: rates loaded last month still
    convert this month's lines.
    """
    frame = read_raw_batches(list(fx_rate_batches))
    frame = flatten_records(frame[~frame["is_deleted"].astype(bool)], ["currency"])
    return {c for c in frame["currency"].tolist() if isinstance(c, str)}


def loaded_rows_per_file(loaded_batches: Iterable[Path | str]) -> dict[str, int]:
    """Rows that loaded, by file sha256, from gl_actuals, forecast and fx_rates batches.

    A finance row's natural key is ``<file sha256>:<line>`` (connectors/sync.py), so only the key
    column is read: the whole history of loaded rows, without parsing a record.
    """
    counts: Counter[str] = Counter()
    for path in loaded_batches:
        table = pq.read_table(Path(path), columns=["natural_key", "is_deleted"])
        for key, deleted in zip(table.column("natural_key").to_pylist(), table.column("is_deleted").to_pylist()):
            if not deleted:
                counts[key.split(":", 1)[0]] += 1
    return dict(sorted(counts.items()))

