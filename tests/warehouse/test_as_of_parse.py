"""A new as-of date does not make dbt parse the project again (issue: a night that costs what changed).

`pwh` hands dbt the date as DBT_ENV_CUSTOM_ENV_PWH_AS_OF, which the as_of_date() macro reads when a
model is compiled. Two compiles in one target folder, a day apart: the second parses no file
again (dbt's perf_info.json counts them) and still compiles the new date.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from orchestration.defs.transform.project import DBT_AS_OF_VARIABLE
from tests.warehouse.dbt_cli import dbt

pytestmark = pytest.mark.slow


def parsed_paths(home: Path) -> int:
    """Files the last dbt invocation in ``home`` parsed again (0: the saved parse was reused whole)."""
    return json.loads((home / "dbt_target" / "perf_info.json").read_text())["parsed_path_count"]


def test_a_new_as_of_date_compiles_without_parsing_any_file_again(tmp_path: Path) -> None:
    dbt("parse", tmp_path, "2026-06-30")
    assert parsed_paths(tmp_path) > 300  # the first parse reads the whole project
    dbt("parse", tmp_path, "2026-07-01")
    assert parsed_paths(tmp_path) == 0
    assert "cast('2026-07-01' as date)" in dbt("compile", tmp_path, "2026-07-01")
    # Without a date, dbt uses the UTC day its invocation started.
    assert f"cast('{datetime.now(UTC).date().isoformat()}' as date)" in dbt("compile", tmp_path, None)
    # A project-level setting read through env_var() still makes dbt parse again: the check can fail.
    dbt("parse", tmp_path, "2026-07-01", PWH_REPORTING_CURRENCY="EUR")
    assert parsed_paths(tmp_path) > 0


def test_a_saved_parse_is_reused_for_a_new_date_and_not_for_a_new_home_or_currency() -> None:
    from orchestration.defs.transform.project import _parse_fingerprint

    night = {"PWH_HOME": "/srv/pwh", "PWH_REPORTING_CURRENCY": "USD", DBT_AS_OF_VARIABLE: "2026-06-30"}
    assert _parse_fingerprint(night) == _parse_fingerprint({**night, DBT_AS_OF_VARIABLE: "2026-07-01"})
    assert _parse_fingerprint(night) != _parse_fingerprint({**night, "PWH_REPORTING_CURRENCY": "EUR"})
    assert _parse_fingerprint(night) != _parse_fingerprint({**night, "PWH_HOME": "/srv/other"})
