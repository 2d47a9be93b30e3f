"""How long one raw suite takes on a 10k-row batch (run with ``pytest -m benchmark tests/quality -s``).

Measured with great-expectations already imported (the import is paid once per process), on the
two widest raw suites: time cards (24 expectations) and Jira issues (nested JSON, 17 expectations).
"""

from __future__ import annotations

import time

import pytest
from raw_records import jira_issue, time_card

from quality import run_suite

ROWS = 10_000


@pytest.mark.benchmark
@pytest.mark.parametrize(
    ("suite", "source", "entity", "make", "key_field"),
    [
        ("raw_servicenow_time_card", "servicenow", "time_card", time_card, "sys_id"),
        ("raw_jira_issues", "jira", "issues", jira_issue, "id"),
    ],
)
def test_raw_suite_on_a_10k_row_batch(write_batch, suite, source, entity, make, key_field):
    files = write_batch(source, entity, [make(n) for n in range(ROWS)], key_field=key_field)
    run_suite(suite, files[:0])  # pay the GX import outside the measurement

    timings = []
    for _ in range(3):
        start = time.perf_counter()
        result = run_suite(suite, files)
        timings.append(time.perf_counter() - start)

    print(
        f"\n{suite}: {ROWS} rows, {len(result.outcomes)} expectations, "
        f"runs {', '.join(f'{t:.2f}' for t in timings)} s (best {min(timings):.2f} s)"
    )
    assert result.passed and result.evaluated_rows == ROWS
