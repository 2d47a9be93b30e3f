"""Params the finance raw suites need, read from the raw batches.

The currency check needs the currencies that have FX rates; they come from landed batches, so
the caller only passes paths.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from quality.inputs import flatten_records, read_raw_batches


def fx_currencies(fx_rate_batches: Iterable[Path | str]) -> set[str]:
    """Currencies with at least one rate in the given ``finance/fx_rates`` batches.

    Pass every fx_rates batch landed so far, not only this run's: rates loaded last month still
    convert this month's lines.
    """
    frame = read_raw_batches(list(fx_rate_batches))
    frame = flatten_records(frame[~frame["is_deleted"].astype(bool)], ["currency"])
    return {c for c in frame["currency"].tolist() if isinstance(c, str)}
