"""Every raw suite on what the real connectors land from the simulated enterprise.

The simulators answer as the real APIs do, so a suite that fails here would block every real
nightly run: each must pass, except the reject count, which must count exactly the rejects that
landed (the simulated finance exports carry a few broken rows on purpose).
"""

from __future__ import annotations

import pytest

from connectors.landing import RawLanding
from quality import run_suite, suites
from quality.finance_params import fx_currencies

pytestmark = pytest.mark.slow

RAW_SUITES = [s for s in suites() if s.layer == "raw"]


@pytest.fixture(scope="module")
def finance_params(synced_landing: RawLanding) -> dict:
    return {
        "fx_currencies": fx_currencies(synced_landing.batch_files("finance", "fx_rates")),
        "reporting_currency": "USD",
    }


@pytest.mark.parametrize("info", RAW_SUITES, ids=lambda s: s.name)
def test_raw_suite_on_synced_batches(info, synced_landing: RawLanding, finance_params: dict):
    source, entity = info.target.split("/")
    files = synced_landing.batch_files(source, entity)

    result = run_suite(info.name, files, params=finance_params)

    assert result.error is None
    landed = synced_landing.read(source, entity)
    assert result.evaluated_rows == landed.num_rows
    if info.name == "raw_finance_reject_count":
        rejects = len(synced_landing.live_keys("finance", "finance_rejects"))
        assert rejects > 0
        assert (result.passed, result.failing_rows) == (False, rejects)
    else:
        assert [o.detail for o in result.outcomes if not o.passed] == []
        assert result.passed


def test_fx_params_come_from_the_landed_rates(synced_landing: RawLanding, finance_params: dict):
    assert finance_params["fx_currencies"]
    assert all(len(c) == 3 and c.isupper() for c in finance_params["fx_currencies"])
