"""Three legal entities export the same periods; one corrects a period, one adjusts an earlier one.

Written by hand, not by the simulator, so every expected figure is a hand computation: company
1000 books in USD (Excel "CSV UTF-8": comma, ISO dates), 2000 in EUR (SAP German: semicolon,
decimal comma, dd.mm.yyyy, trailing minus), 3000 in GBP (Excel "Unicode text": UTF-16, tab,
mm/dd/yyyy, parentheses). Each exports January to June 2026 in one file (a file spanning six
periods). A first run loads them; a second run loads a corrected re-export of 2000's March and a
re-export of 3000's June with a late adjustment. The warehouse must keep exactly the latest
version of every company-period — nothing of another company or period replaced — and report
each replacement under the second run in kpi_data_quality (docs/contract.md §4).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.warehouse.conftest import FINANCE_NODES

pytestmark = pytest.mark.slow

AS_OF = date(2026, 6, 30)
PERIODS = range(1, 7)
RATES = {"EUR": Decimal("1.10"), "GBP": Decimal("1.25"), "USD": Decimal("1")}


@dataclass(frozen=True)
class Line:
    company: str
    period: int
    document: str
    line: int
    amount: Decimal
    currency: str
    wbs: str = "WBS-1"

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.company, self.document, self.line)


@dataclass(frozen=True)
class Dialect:
    encoding: str
    delimiter: str
    decimal: str
    negative: str  # leading | trailing | parentheses
    date_format: str

    def amount(self, value: Decimal) -> str:
        text = f"{abs(value):.2f}".replace(".", self.decimal)
        if value >= 0:
            return text
        return {"leading": f"-{text}", "trailing": f"{text}-", "parentheses": f"({text})"}[self.negative]

    def write(self, path: Path, lines: list[Line]) -> None:
        header = [
            "company_code",
            "fiscal_year",
            "fiscal_period",
            "posting_date",
            "document_number",
            "line_number",
            "gl_account",
            "cost_center",
            "wbs_code",
            "vendor_id",
            "vendor_name",
            "expense_type",
            "amount",
            "currency",
            "description",
        ]
        rows = [self.delimiter.join(header)]
        for line in lines:
            posting = date(2026, line.period, 15)
            rows.append(
                self.delimiter.join(
                    [
                        line.company,
                        "2026",
                        str(line.period),
                        posting.strftime(self.date_format),
                        line.document,
                        str(line.line),
                        "610000",
                        "CC100",
                        line.wbs,
                        "V1",
                        "Vendor One",
                        "OPEX",
                        self.amount(line.amount),
                        line.currency,
                        f"invoice {line.document}",
                    ]
                )
            )
        text = "\r\n".join(rows) + "\r\n"
        data = ("\ufeff" + text).encode("utf-16-le") if self.encoding == "utf-16" else text.encode(self.encoding)
        path.write_bytes(data)


DIALECTS = {
    "1000": Dialect("utf-8-sig", ",", ".", "leading", "%Y-%m-%d"),
    "2000": Dialect("utf-8", ";", ",", "trailing", "%d.%m.%Y"),
    "3000": Dialect("utf-16", "\t", ".", "parentheses", "%m/%d/%Y"),
}
CURRENCY = {"1000": "USD", "2000": "EUR", "3000": "GBP"}


def first_exports() -> dict[str, list[Line]]:
    """Three lines per company and period; amounts differ everywhere so a swap would show."""
    exports = {}
    for number, company in enumerate(DIALECTS, start=1):
        lines = []
        for period in PERIODS:
            for position in (1, 2, 3):
                amount = Decimal(number * 1000 + period * 100 + position * 10) + Decimal("0.25")
                if position == 3:
                    amount = -(Decimal(number * 100 + period * 10) + Decimal("0.50"))  # a credit note
                lines.append(Line(company, period, f"{company}{period:02d}00{position}", 1, amount, CURRENCY[company]))
        exports[company] = lines
    return exports


def write_fx(path: Path) -> None:
    rows = ["period,currency,rate_to_reporting"]
    rows += [f"2026-{p:02d},{c},{RATES[c]}" for p in PERIODS for c in ("EUR", "GBP")]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class Scenario:
    first: dict[str, list[Line]]
    corrected: list[Line]  # 2000, March, as re-exported
    adjusted: list[Line]  # 3000, June, as re-exported with the late adjustment
    home: Path
    database: Path


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory, dbt_builder) -> Scenario:
    from connectors.finance import FINANCE_ENTITIES, sync_finance
    from connectors.jira import JIRA_ENTITIES
    from connectors.landing import RawLanding
    from connectors.servicenow import SERVICENOW_TABLES
    from quality.results import ensure_results_folder

    home = tmp_path_factory.mktemp("legal_entities")
    drop = home / "drop"
    drop.mkdir()
    landing = RawLanding(home / "raw")
    for source, entities in (("jira", JIRA_ENTITIES), ("servicenow", SERVICENOW_TABLES), ("finance", FINANCE_ENTITIES)):
        for entity in entities:
            landing.ensure_entity(source, entity)
    ensure_results_folder(home / "quality")

    first = first_exports()
    for company, lines in first.items():
        DIALECTS[company].write(drop / f"gl_actuals_{company}_20260703.csv", lines)
    write_fx(drop / "fx_rates_2026.csv")
    sync_finance(drop, landing, settle_seconds=0, run_id="run-1")

    # Finance corrects 2000's March: one amount changes, one line is withdrawn.
    march = [line for line in first["2000"] if line.period == 3]
    corrected = [replace(march[0], amount=march[0].amount + Decimal("500.00")), march[1]]
    DIALECTS["2000"].write(drop / "gl_actuals_2000_20260710_corrected.csv", corrected)
    # 3000 posts an accrual into June, still open, and re-exports June in full.
    june = [line for line in first["3000"] if line.period == 6]
    adjusted = [*june, Line("3000", 6, "3000060099", 1, Decimal("777.75"), "GBP")]
    DIALECTS["3000"].write(drop / "gl_actuals_3000_20260712.csv", adjusted)
    sync_finance(drop, landing, settle_seconds=0, run_id="run-2")

    # Only what the assertions read, with everything upstream and every test on it: the whole
    # project would build mostly empty models (no Jira or ServiceNow data here).
    build = dbt_builder(home, home / "build", AS_OF, select=FINANCE_NODES)
    assert build.returncode == 0, build.output[-4000:]
    return Scenario(first, corrected, adjusted, home, build.database)


def expected_in_force(s: Scenario) -> dict[tuple[str, str, int], Line]:
    """By hand: every first-export line, except 2000's March (now the corrected file's) and 3000's
    June (now the re-export's, adjustment included)."""
    lines = [
        line
        for company, own in s.first.items()
        for line in own
        if not (company == "2000" and line.period == 3) and not (company == "3000" and line.period == 6)
    ]
    return {line.key: line for line in [*lines, *s.corrected, *s.adjusted]}


def query(s: Scenario, sql: str) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(s.database), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_every_line_of_the_latest_version_is_in_fct_spend_exactly_once(scenario: Scenario) -> None:
    rows = query(
        scenario,
        """
        select company_code, document_number, line_number, spend_amount_local, currency, fx_rate, spend_amount,
               file_name
        from marts.fct_spend
    """,
    )
    expected = expected_in_force(scenario)

    keys = [(company, document, line) for company, document, line, *_ in rows]
    assert len(keys) == len(set(keys)), "a GL line is in fct_spend twice"
    assert set(keys) == set(expected)
    assert len(rows) == 3 * 6 * 3 - 1 + 1  # 54 lines, one withdrawn, one adjustment added
    for company, document, line, local, currency, rate, amount, _ in rows:
        want = expected[(company, document, line)]
        assert (Decimal(str(local)), currency) == (want.amount, want.currency)
        assert Decimal(str(rate)) == RATES[currency]
        assert Decimal(str(amount)) == want.amount * RATES[currency]


def test_totals_per_company_equal_a_hand_computation(scenario: Scenario) -> None:
    totals = dict(query(scenario, "select company_code, sum(spend_amount) from marts.fct_spend group by 1"))
    by_hand: dict[str, Decimal] = {}
    for line in expected_in_force(scenario).values():
        by_hand[line.company] = by_hand.get(line.company, Decimal(0)) + line.amount * RATES[line.currency]

    assert {company: Decimal(str(total)) for company, total in totals.items()} == by_hand
    # 2000's March is the corrected file's: one amount raised by 500, the credit note withdrawn
    march_2000 = query(
        scenario,
        """
        select sum(spend_amount_local) from marts.fct_spend where company_code = '2000' and fiscal_period = 3
    """,
    )[0][0]
    assert Decimal(str(march_2000)) == sum(line.amount for line in scenario.corrected)


def test_nothing_of_another_company_or_period_was_replaced(scenario: Scenario) -> None:
    by_file = dict(
        query(
            scenario,
            """
        select company_code || '/' || fiscal_period, string_agg(distinct file_name, ',')
        from marts.fct_spend group by 1
    """,
        )
    )

    for company in DIALECTS:
        for period in PERIODS:
            if (company, period) == ("2000", 3):
                assert by_file[f"{company}/{period}"] == "gl_actuals_2000_20260710_corrected.csv"
            elif (company, period) == ("3000", 6):
                assert by_file[f"{company}/{period}"] == "gl_actuals_3000_20260712.csv"
            else:
                assert by_file[f"{company}/{period}"] == f"gl_actuals_{company}_20260703.csv"


def test_every_replacement_is_reported_under_the_run_that_loaded_it(scenario: Scenario) -> None:
    rows = query(
        scenario,
        """
        select run_id, severity, passed, failing_rows, detail
        from marts.kpi_data_quality
        where check_name = 'gl_lines_replaced_by_reexport'
        order by detail
    """,
    )

    assert rows == [
        (
            "run-2",
            "info",
            True,
            3,
            "gl_actuals_2000_20260710_corrected.csv replaced 3 lines of gl_actuals_2000_20260703.csv "
            "for company 2000, period 2026-03 (2 lines now)",
        ),
        (
            "run-2",
            "info",
            True,
            3,
            "gl_actuals_3000_20260712.csv replaced 3 lines of gl_actuals_3000_20260703.csv "
            "for company 3000, period 2026-06 (4 lines now)",
        ),
    ]


def test_both_runs_have_their_sync_rows_and_no_reject(scenario: Scenario) -> None:
    runs = query(
        scenario,
        """
        select run_id, count(*) filter (where check_name = 'sync'), count(*) filter (where not passed)
        from marts.kpi_data_quality group by 1 order by 1
    """,
    )
    rejects = query(scenario, "select count(*) from marts.finance_rejects")[0][0]

    assert runs == [("run-1", 5, 0), ("run-2", 5, 0)]
    assert rejects == 0
