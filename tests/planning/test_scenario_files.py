"""Scenario files: the shipped ones parse, and every mistake is one line naming the file and the field."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from orchestration.scenarios import SHIPPED_SCENARIOS
from planning.inputs import horizon_of
from planning.scenario import Amount, ScenarioError, load_scenario, parse_scenario, scenario_files

MINIMAL = {"budget": {"total": 1_000_000}}


def parse(data: dict) -> object:
    return parse_scenario(data, source="plan.yml", default_name="plan")


def error_of(data: object) -> str:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data, source="plan.yml", default_name="plan")
    message = str(caught.value)
    assert "\n" not in message and message.startswith("plan.yml: "), message
    assert caught.value.kind == "invalid"
    return message


def test_the_shipped_scenarios_parse_and_differ_in_objective() -> None:
    files = scenario_files(SHIPPED_SCENARIOS)
    scenarios = [load_scenario(p) for p in files]
    assert len(scenarios) == 3
    assert {s.objective for s in scenarios} == {"priority_score", "npv", "risk_adjusted_npv"}
    assert all(s.description for s in scenarios)


def test_defaults_of_a_minimal_file() -> None:
    scenario = parse(MINIMAL)
    assert scenario.name == "plan" and scenario.objective == "priority_score"
    assert scenario.period == "fiscal_year" and scenario.period_count == 1 and scenario.start == "next_fiscal_year"
    assert scenario.budget == {"total": (Amount(1_000_000.0),)}
    assert scenario.time_limit_seconds == 60 and scenario.mip_gap == 1e-4


def test_budgets_as_amounts_percentages_and_lists() -> None:
    scenario = parse({"horizon": {"period": "quarter", "count": 2}, "budget": {"capex": "60%", "opex": [100, 200]}})
    assert scenario.budget["capex"] == (Amount(0.6, is_share=True),) * 2
    assert scenario.budget["opex"] == (Amount(100.0), Amount(200.0))
    assert Amount(0.6, is_share=True).resolve(1000) == pytest.approx(600)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, "plan.yml: budget: is missing"),
        ({"budget": {}}, "plan.yml: budget: needs at least one of total, capex, opex"),
        ({"budget": {"totl": 5}}, "plan.yml: budget.totl: unknown field (known here: total, capex, opex)"),
        (
            {"budget": {"total": "lots"}},
            "plan.yml: budget.total: must be an amount or a percentage like 80%, not 'lots'",
        ),
        ({"budget": {"total": -5}}, "plan.yml: budget.total: must be at least 0, not -5"),
        ({"budget": {"total": [1, 2]}}, "plan.yml: budget.total: a list needs one amount per period (1), not 2"),
        (
            {**MINIMAL, "objective": "roi"},
            "plan.yml: objective: must be one of priority_score, npv, risk_adjusted_npv, not 'roi'",
        ),
        (
            {**MINIMAL, "horizon": {"period": "month"}},
            "plan.yml: horizon.period: must be one of fiscal_year, quarter, not 'month'",
        ),
        ({**MINIMAL, "horizon": {"start": "2027-13"}}, "plan.yml: horizon.start: must be a month like 2027-01"),
        ({**MINIMAL, "horizon": {"count": 0}}, "plan.yml: horizon.count: must be between 1 and 40, not 0"),
        ({**MINIMAL, "mandatory": ["PRJ1"], "excluded": ["PRJ1"]}, "plan.yml: excluded: PRJ1 is also mandatory"),
        ({**MINIMAL, "mandatory": "PRJ1"}, "plan.yml: mandatory: must be a list, not 'PRJ1'"),
        (
            {**MINIMAL, "dependencies": [{"item": "A"}]},
            "plan.yml: dependencies[0].requires: needs at least one item id",
        ),
        (
            {**MINIMAL, "dependencies": [{"item": "A", "requires": "A"}]},
            "plan.yml: dependencies[0].requires: A cannot require itself",
        ),
        (
            {**MINIMAL, "minimum_shares": [{"share": 0.2}]},
            "plan.yml: minimum_shares[0]: needs exactly one of portfolio or theme",
        ),
        (
            {**MINIMAL, "minimum_shares": [{"theme": "Cloud", "share": 0.2}]},
            "plan.yml: minimum_shares[0].theme: 'Cloud' is not one of the file's themes",
        ),
        (
            {**MINIMAL, "minimum_shares": [{"portfolio": "A", "share": 1.5}]},
            "plan.yml: minimum_shares[0].share: must be between 0 and 1, not 1.5",
        ),
        (
            {**MINIMAL, "minimum_shares": [{"portfolio": "A", "share": "60%"}, {"portfolio": "B", "share": "50%"}]},
            "plan.yml: minimum_shares: the shares add up to 110%, more than the whole budget",
        ),
        ({**MINIMAL, "capacity": {"scale": "lots"}}, "plan.yml: capacity.scale: must be a number, not 'lots'"),
        ({**MINIMAL, "solver": {"mip_gap": 0.9}}, "plan.yml: solver.mip_gap: must be between 0 and 0.5, not 0.9"),
        ({**MINIMAL, "name": "a b"}, "plan.yml: name: must be letters, digits"),
        ([1, 2], "plan.yml: must be a mapping of fields, not [1, 2]"),
    ],
)
def test_each_mistake_is_one_line_naming_the_field(data: object, expected: str) -> None:
    assert error_of(data).startswith(expected)


def test_a_file_that_is_not_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yml"
    path.write_text("budget:\n  total: [1, 2\nobjective: npv\n")
    with pytest.raises(ScenarioError, match=r"^broken.yml: not valid YAML at line \d+"):
        load_scenario(path)


def test_the_name_defaults_to_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "cut-10.yml"
    path.write_text(yaml.safe_dump(MINIMAL))
    assert load_scenario(path).name == "cut-10"


@pytest.mark.parametrize(
    ("horizon", "labels", "first"),
    [
        ({}, ["FY2027"], date(2027, 1, 1)),
        ({"count": 3}, ["FY2027", "FY2028", "FY2029"], date(2027, 1, 1)),
        ({"period": "quarter", "count": 2}, ["FY2026 Q3", "FY2026 Q4"], date(2026, 7, 1)),
        ({"start": "next_month", "period": "quarter"}, ["FY2026 Q3"], date(2026, 7, 1)),
        ({"fiscal_year_start_month": 7}, ["FY2027"], date(2026, 7, 1)),
        ({"start": "2026-09", "period": "quarter"}, ["FY2026 Q3"], date(2026, 9, 1)),
    ],
)
def test_the_horizon_follows_the_as_of_date(horizon: dict, labels: list[str], first: date) -> None:
    scenario = parse({**MINIMAL, "horizon": horizon})
    result = horizon_of(scenario, date(2026, 6, 30))
    assert [p.label for p in result.periods] == labels
    assert result.start == first


def test_a_horizon_that_starts_in_the_past_is_refused() -> None:
    scenario = parse({**MINIMAL, "horizon": {"start": "2026-06"}})
    with pytest.raises(ScenarioError, match="horizon.start: 2026-06 is not after the as-of month 2026-06"):
        horizon_of(scenario, date(2026, 6, 30))
