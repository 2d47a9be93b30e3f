"""Reliability: what a finance file in the drop folder must never do silently.

Real files in a real drop folder, loaded by `sync_finance` into a real landing; the tests read
what landed. Defects of the hardening issue:

- 2 (part): an amount of 10^40 passed the parser and then failed dbt's decimal(38, 6) cast;
- 3: a quote left open on row 58 of 60 swallowed rows 59–60 with zero rejects; a GL line repeated
  inside one file was loaded twice;
- 6: a `gl_actuals_*.csv` symlink to /proc/self/environ put the process environment (secrets
  included) into the raw finance_rejects.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from connectors.finance import sync_finance
from connectors.landing import RawLanding

HEADER = (
    "company_code,fiscal_year,fiscal_period,posting_date,document_number,line_number,gl_account,"
    "cost_center,wbs_code,vendor_id,vendor_name,expense_type,amount,currency,description"
)


def gl_row(number: int, *, amount: str = "", description: str = "") -> str:
    return (
        f"1000,2026,3,2026-03-15,DOC{number:04d},1,610000,CC100,WBS-1,V1,Vendor One,OPEX,"
        f"{amount or f'{number}.25'},USD,{description or f'invoice {number}'}"
    )


def write_gl(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def load(drop: Path, home: Path) -> tuple[RawLanding, dict]:
    landing = RawLanding(home / "raw")
    results = {r.entity: r for r in sync_finance(drop, landing, settle_seconds=0)}
    return landing, results


def records(landing: RawLanding, entity: str) -> list[dict]:
    table = landing.read("finance", entity)
    return [
        json.loads(text)
        for text, gone in zip(table.column("record").to_pylist(), table.column("is_deleted").to_pylist(), strict=True)
        if not gone
    ]


@pytest.fixture
def drop(tmp_path: Path) -> Path:
    folder = tmp_path / "drop"
    folder.mkdir()
    return folder


def test_an_amount_beyond_any_posting_is_a_reject_with_its_reason(drop: Path, tmp_path: Path) -> None:
    rows = [gl_row(n) for n in range(1, 61)]
    rows[29] = gl_row(30, amount="1" + "0" * 40)  # 10^40: more digits than decimal(38, 6) holds
    write_gl(drop / "gl_actuals_1000_20260405.csv", rows)

    landing, _ = load(drop, tmp_path)

    [reject] = records(landing, "finance_rejects")
    assert reject["line"] == 31 and "implausibly large" in reject["reason"]
    assert len(records(landing, "gl_actuals")) == 59


def test_a_quote_left_open_rejects_every_line_it_swallowed(drop: Path, tmp_path: Path) -> None:
    rows = [gl_row(n) for n in range(1, 61)]
    rows[57] = gl_row(58, description='"wrong quote here')  # row 58 of 60: physical line 59
    write_gl(drop / "gl_actuals_1000_20260405.csv", rows)

    landing, results = load(drop, tmp_path)

    rejects = sorted(records(landing, "finance_rejects"), key=lambda r: r["line"])
    assert [r["line"] for r in rejects] == [59, 60, 61]
    assert [r["raw_text"] for r in rejects] == [rows[57], rows[58], rows[59]]
    assert all("never closed" in r["reason"] and "line 59" in r["reason"] for r in rejects)
    loaded = records(landing, "gl_actuals")
    assert sorted(r["line"] for r in loaded) == list(range(2, 59))
    assert results["gl_actuals"].rejects == 3


def test_a_line_repeated_inside_one_file_is_rejected_the_second_time(drop: Path, tmp_path: Path) -> None:
    rows = [gl_row(n) for n in range(1, 61)]
    rows.insert(10, rows[9])  # row 10 (line 11) exported twice: the copy is line 12
    write_gl(drop / "gl_actuals_1000_20260405.csv", rows)

    landing, _ = load(drop, tmp_path)

    [reject] = records(landing, "finance_rejects")
    assert reject["line"] == 12 and reject["reason"].startswith("duplicate of line 11")
    documents = [r["document_number"] for r in records(landing, "gl_actuals")]
    assert len(documents) == 60 and documents.count("DOC0010") == 1


def test_links_and_pipes_in_the_drop_folder_are_never_read(drop: Path, tmp_path: Path) -> None:
    secrets = tmp_path / "environ"
    secrets.write_bytes(b"JIRA_API_TOKEN=jira-secret-123\0SERVICENOW_PASSWORD=sn-secret-456\0")
    (drop / "gl_actuals_x.csv").symlink_to(secrets)
    (drop / "gl_actuals_env.csv").symlink_to("/proc/self/environ")
    os.mkfifo(drop / "fx_rates_pipe.csv")
    write_gl(drop / "gl_actuals_1000_20260405.csv", [gl_row(1)])

    landing, results = load(drop, tmp_path)

    landed = json.dumps([records(landing, entity) for entity in ("gl_actuals", "finance_rejects", "files")])
    assert "jira-secret-123" not in landed and "sn-secret-456" not in landed
    assert records(landing, "finance_rejects") == []
    assert [r["file_name"] for r in records(landing, "files")] == ["gl_actuals_1000_20260405.csv"]
    warnings = results["files"].warnings
    assert any(w.startswith("gl_actuals_x.csv: a symbolic link") for w in warnings), warnings
    assert any(w.startswith("gl_actuals_env.csv: a symbolic link") for w in warnings), warnings
    assert any(w.startswith("fx_rates_pipe.csv: a named pipe") for w in warnings), warnings
