"""What a dbt step's stamp says its tables were built from, and when that no longer holds."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from connectors.landing import RawLanding, RawRecord
from orchestration.defs.transform.build_stamps import BuildStamps, ReplayedCheck, build_inputs

ENV = {"PWH_HOME": "/srv/pwh", "PWH_REPORTING_CURRENCY": "USD", "DBT_ENV_CUSTOM_ENV_PWH_AS_OF": "2026-06-30"}
CHECK = ReplayedCheck(["marts", "fct_spend"], "not_null_fct_spend_amount", True, True, 0, "passed")


def land(root: Path, key: str) -> None:
    with RawLanding(root).writer("jira", "issues") as writer:
        writer.add(RawRecord(key, datetime(2026, 6, 30, tzinfo=UTC), {"id": key}))


def test_the_inputs_change_with_a_new_batch_a_new_date_or_currency_and_nothing_else(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    land(raw, "1")
    first = build_inputs(ENV, raw)
    assert build_inputs(dict(reversed(ENV.items())), raw) == first
    (raw / "_sync_log").mkdir()
    (raw / "_sync_log" / "log-1.parquet").write_bytes(b"a sync attempt, not landed data")
    assert build_inputs(ENV, raw) == first
    assert build_inputs({**ENV, "DBT_ENV_CUSTOM_ENV_PWH_AS_OF": "2026-07-01"}, raw) != first
    assert build_inputs({**ENV, "PWH_REPORTING_CURRENCY": "EUR"}, raw) != first
    land(raw, "2")
    assert build_inputs(ENV, raw) != first


def test_a_stamp_matches_only_its_own_inputs_and_is_gone_once_a_build_starts(tmp_path: Path) -> None:
    stamps = BuildStamps(tmp_path / "builds")
    assert stamps.matching("dbt_core_models", "abc") is None
    stamps.record("dbt_core_models", "abc", "run-1", ["staging__stg_a", "marts__fct_b"], [CHECK])
    stamp = stamps.matching("dbt_core_models", "abc")
    assert stamp is not None and stamp.run_id == "run-1" and stamp.checks == [CHECK]
    assert stamp.outputs == ["staging__stg_a", "marts__fct_b"]  # the build's order, upstream first
    assert stamps.matching("dbt_core_models", "abd") is None
    assert stamps.matching("dbt_kpi_marts", "abc") is None
    stamps.forget("dbt_core_models")
    assert stamps.matching("dbt_core_models", "abc") is None


def test_an_unreadable_stamp_means_build(tmp_path: Path) -> None:
    stamps = BuildStamps(tmp_path / "builds")
    stamps.record("dbt_core_models", "abc", "run-1", [], [])
    (tmp_path / "builds" / "dbt_core_models.json").write_text('{"step": "dbt_core_models", "inputs": "abc"')
    assert stamps.matching("dbt_core_models", "abc") is None
    assert list((tmp_path / "builds").glob("*.tmp")) == []
