"""Params the finance raw suites need, read from the same run's raw batches.

The currency check needs the currencies that have FX rates; the reject-rate check needs, per
file, how many rows did load. Both come from landed batches, so the caller only passes paths.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from quality.inputs import flatten_records, read_raw_batches


def fx_currencies(fx_rate_batches: Iterable[Path | str]) -> set[str]:
    """Currencies with at least one rate in the given ``finance/fx_rates`` batches.

    Pass every fx_rates batch landed so far, not only this run's: rates loaded last month still
    convert this month's lines.
    """
    frame = _records(fx_rate_batches, ["currency"])
    return {c for c in frame["currency"].tolist() if isinstance(c, str)}


def loaded_rows_per_file(loaded_batches: Iterable[Path | str]) -> dict[str, int]:
    """Rows that loaded, by ``file_sha256``, from gl_actuals, forecast and fx_rates batches."""
    frame = _records(loaded_batches, ["file_sha256"])
    return dict(sorted(Counter(s for s in frame["file_sha256"].tolist() if isinstance(s, str)).items()))


def _records(paths: Iterable[Path | str], fields: list[str]) -> pd.DataFrame:
    frame = read_raw_batches(list(paths))
    frame = frame[~frame["is_deleted"].astype(bool)]
    return flatten_records(frame, fields)
