"""docs/scenarios.md is the promise to BI users and scenario writers: it must not drift from the code.

Every column of the four scenario marts is listed with the description the published file and the
exports carry, and every key a scenario file may hold is described.
"""

from __future__ import annotations

import re
from pathlib import Path

from planning.scenario import ScenarioError, parse_scenario
from planning.tables import SPECS

DOC = Path(__file__).resolve().parents[2] / "docs" / "scenarios.md"


def test_every_scenario_mart_column_is_documented_with_its_description() -> None:
    text = DOC.read_text(encoding="utf-8")
    for spec in SPECS:
        section = text.split(f"### {spec.name}\n", 1)
        assert len(section) == 2, f"docs/scenarios.md has no section for {spec.name}"
        body = section[1].split("\n### ", 1)[0].split("\n## ", 1)[0]
        documented = re.findall(r"^\| `([a-z_]+)` \| ([^|]+) \| (.*) \|$", body, flags=re.MULTILINE)
        assert [d[0] for d in documented] == [c.name for c in spec.columns], spec.name
        for (name, sql_type, meaning), column in zip(documented, spec.columns, strict=True):
            assert sql_type.strip() == column.sql_type, name
            assert meaning.replace("\\|", "|") == column.description, name


def test_every_scenario_file_key_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    keys = re.findall(r"^\| `([a-z_.]+)`(?:, `([a-z_.]+)`)*", text, flags=re.MULTILINE)
    documented = {k for group in keys for k in group if k}
    documented |= {k.strip("`") for k in re.findall(r"`budget\.[a-z]+`", text)}
    for key in (
        "name",
        "description",
        "horizon.start",
        "horizon.period",
        "horizon.count",
        "horizon.fiscal_year_start_month",
        "budget.total",
        "budget.capex",
        "budget.opex",
        "capacity.scale",
        "capacity.departments",
        "objective",
        "mandatory",
        "excluded",
        "dependencies",
        "themes",
        "minimum_shares",
        "demands.duration_months",
        "demands.capex_share",
        "solver.time_limit_seconds",
        "solver.mip_gap",
    ):
        assert key in documented, key
        # and the parser knows it: a key the docs describe but the parser refuses would be a lie
        top, _, sub = key.partition(".")
        data: dict = {"budget": {"total": 1}}
        value: object = {"budget.total": 1, "budget.capex": 1, "budget.opex": 1}.get(key, "x")
        if sub:
            data[top] = {**data.get(top, {}), sub: value}
        else:
            data[top] = value
        try:
            parse_scenario(data, source="doc.yml", default_name="doc")
        except ScenarioError as exc:
            assert "unknown field" not in str(exc), (key, str(exc))
