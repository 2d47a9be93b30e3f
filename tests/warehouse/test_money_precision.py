"""Money stays DECIMAL through every sum, so two builds of the same data agree to the last digit.

DuckDB adds doubles in whatever order its threads finish, so a sum of doubles can differ in its
last bits between two builds; cast to decimal(38, 6) afterwards, that shows as a different
millionth. The one place money meets a fraction, a plan month counted to date, must therefore
hand back a DECIMAL (macros/partial_month.sql).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.warehouse.dbt_cli import dbt

pytestmark = pytest.mark.slow

PLAN = "cast(1000.000001 as decimal(38, 6))"


def test_a_plan_month_counted_to_date_stays_decimal(tmp_path: Path) -> None:
    shown = dbt(
        "show",
        tmp_path,
        "2026-06-18",
        inline=f"""
            select
                typeof({{{{ to_date_amount("{PLAN}", "date '2026-06-01'") }}}}) as as_of_month_type,
                cast({{{{ to_date_amount("{PLAN}", "date '2026-06-01'") }}}} as varchar) as as_of_month_amount,
                typeof({{{{ to_date_amount("{PLAN}", "date '2026-05-01'") }}}}) as earlier_month_type,
                cast({{{{ to_date_amount("{PLAN}", "date '2026-05-01'") }}}} as varchar) as earlier_month_amount
        """,
    )
    row = json.loads(shown[shown.index("{") :])["show"][0]
    assert row["as_of_month_type"] == row["earlier_month_type"] == "DECIMAL(38,10)"
    # 18 of June's 30 days: 1000.000001 x 18 / 30, fixed to ten decimals
    assert Decimal(row["as_of_month_amount"]) == Decimal("600.0000006000")
    assert Decimal(row["earlier_month_amount"]) == Decimal("1000.000001")
