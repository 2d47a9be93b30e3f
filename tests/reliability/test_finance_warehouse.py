"""Reliability: finance corrections in the warehouse — real files, two real syncs, one real dbt build.

Company 1000 drops a GL file with 10 % of its rows rejected, then a corrected re-export under
another name: the first file is superseded, its rejects stay listed but marked, and the build's
blocking reject test passes (defect 2). Company 2000 drops a correction whose file modification
time is older than the original's: the correction still wins, because "newer" means later to
arrive (defect 3, pinned). Written by hand, so every expectation is a hand count.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.warehouse.conftest import FINANCE_NODES, run_dbt_build

pytestmark = pytest.mark.slow

AS_OF = date(2026, 6, 30)
HEADER = (
    "company_code,fiscal_year,fiscal_period,posting_date,document_number,line_number,gl_account,"
    "cost_center,wbs_code,vendor_id,vendor_name,expense_type,amount,currency,description"
)
ORIGINAL_1000 = "gl_actuals_1000_20260405.csv"
CORRECTED_1000 = "gl_actuals_1000_20260405_corrected.csv"
ORIGINAL_2000 = "gl_actuals_2000_20260405.csv"
CORRECTED_2000 = "gl_actuals_2000_20260406_corrected.csv"


def gl_row(company: str, number: int, amount: Decimal, currency: str = "USD") -> str:
    return (
        f"{company},2026,3,2026-03-15,{company}-{number:04d},1,610000,CC100,WBS-1,V1,Vendor One,OPEX,"
        f"{amount},{currency},invoice {number}"
    )


def write(path: Path, rows: list[str], mtime: float | None = None) -> None:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))


@dataclass(frozen=True)
class Built:
    database: Path
    returncode: int
    output: str

    def query(self, sql: str) -> list[tuple]:
        import duckdb

        with duckdb.connect(str(self.database), read_only=True) as conn:
            return conn.execute(sql).fetchall()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    from connectors.finance import FINANCE_ENTITIES, sync_finance
    from connectors.jira import JIRA_ENTITIES
    from connectors.landing import RawLanding
    from connectors.servicenow import SERVICENOW_TABLES
    from quality.results import ensure_results_folder

    home = tmp_path_factory.mktemp("finance_corrections")
    drop = home / "drop"
    drop.mkdir()
    landing = RawLanding(home / "raw")
    for source, entities in (("jira", JIRA_ENTITIES), ("servicenow", SERVICENOW_TABLES), ("finance", FINANCE_ENTITIES)):
        for entity in entities:
            landing.ensure_entity(source, entity)
    ensure_results_folder(home / "quality")

    # Night 1: 1000's file has 6 of 60 rows in a currency that does not exist (10 % > 5 %).
    original = [gl_row("1000", n, Decimal(n)) for n in range(1, 61)]
    for n in range(0, 60, 10):
        original[n] = gl_row("1000", n + 1, Decimal(n + 1), currency="XYZ")
    write(drop / ORIGINAL_1000, original)
    write(drop / ORIGINAL_2000, [gl_row("2000", n, Decimal("100.00")) for n in range(1, 11)])
    sync_finance(drop, landing, settle_seconds=0, run_id="night-1")

    # Night 2: 1000 re-exports March corrected; 2000's correction was copied with an old mtime.
    write(drop / CORRECTED_1000, [gl_row("1000", n, Decimal(n)) for n in range(1, 61)])
    older = (drop / ORIGINAL_2000).stat().st_mtime - 30 * 86400
    write(drop / CORRECTED_2000, [gl_row("2000", n, Decimal("250.00")) for n in range(1, 11)], mtime=older)
    sync_finance(drop, landing, settle_seconds=0, run_id="night-2")

    # Only what the assertions read, with everything upstream and every test on it: the whole
    # project would build mostly empty models (no Jira or ServiceNow data here).
    build = run_dbt_build(home, home / "build", AS_OF, select=FINANCE_NODES)
    return Built(build.database, build.returncode, build.output)


def test_a_corrected_reexport_supersedes_the_rejects_of_the_file_it_replaces(built: Built) -> None:
    assert built.returncode == 0, built.output[-4000:]
    files = dict(
        (name, rest)
        for name, *rest in built.query("""
        select file_name, is_in_force, superseded_by_file_name, rows_rejected, is_over_reject_limit
        from intermediate.int_finance_files where file_name like 'gl_actuals_1000%'
    """)
    )
    assert files == {
        ORIGINAL_1000: [False, CORRECTED_1000, 6, True],
        CORRECTED_1000: [True, None, 0, False],
    }
    rejects = built.query("""
        select file_line, is_superseded, superseded_by_file_name from marts.finance_rejects
        where reject_stage = 'parse' order by file_line
    """)
    assert rejects == [(line, True, CORRECTED_1000) for line in (2, 12, 22, 32, 42, 52)]
    spend = built.query("select count(*), sum(spend_amount_local) from marts.fct_spend where company_code = '1000'")
    assert spend == [(60, Decimal(sum(range(1, 61))))]


def test_a_correction_with_an_older_modification_time_still_replaces_the_original(built: Built) -> None:
    assert built.returncode == 0, built.output[-4000:]
    rows = built.query("""
        select file_name, count(*), sum(spend_amount_local) from marts.fct_spend
        where company_code = '2000' group by 1
    """)
    assert rows == [(CORRECTED_2000, 10, Decimal("2500.00"))]
