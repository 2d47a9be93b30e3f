"""Publishing and the file exports, on copies of the session's small warehouse.

The published file is never locked by publishing (a BI tool may hold it read-write), a home with a
quote in its path works, the workbook is usable as it is, and the Parquet files describe themselves.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import zipfile
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from openpyxl import load_workbook

from serving.exports import export
from serving.publish import publish
from serving.workbook import ABOUT_SHEET, MONEY_FORMAT, PERCENT_FORMAT, sheet_order
from tests.conftest import SmallWarehouse

DATA_QUALITY_MARTS = ("kpi_data_quality", "kpi_run_health", "kpi_source_freshness")

# Holds the published file open read-write (as a careless BI tool would), says so, and on a line
# on stdin reads a count through the connection it still holds.
HOLDER = textwrap.dedent(
    """
    import sys, duckdb
    conn = duckdb.connect(sys.argv[1])  # read-write: takes DuckDB's lock on the file
    print("holding", flush=True)
    sys.stdin.readline()
    print(conn.execute("select count(*) from marts.kpi_project_scorecard").fetchone()[0], flush=True)
    """
)


# Rows a table keeps in the copies whose workbook a test writes: the workbook tests read formats,
# names and a few cells, not volume (tests/orchestration/test_pipeline.py exports the whole
# warehouse through `pwh export`), and openpyxl writes and reads the small world's 65,000 rows in
# tens of seconds.
ROWS_KEPT = 400


def _keep_first_rows(database: Path) -> None:
    """Cut every mart in ``database`` to its first ROWS_KEPT rows."""
    with duckdb.connect(str(database)) as conn:
        tables = conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
        for (table,) in tables:
            conn.execute(f'delete from marts."{table}" where rowid >= {ROWS_KEPT}')


def _copy_home(warehouse: SmallWarehouse, home: Path) -> tuple[Path, Path]:
    (home / "published").mkdir(parents=True)
    build = home / "portfolio.duckdb"
    published = home / "published" / "portfolio.duckdb"
    shutil.copyfile(warehouse.build_db, build)
    shutil.copyfile(warehouse.published_db, published)
    return build, published


def test_failure_path_publish_while_a_bi_tool_holds_the_published_file_read_write(
    small_warehouse: SmallWarehouse, tmp_path: Path
) -> None:
    build, published = _copy_home(small_warehouse, tmp_path / "home")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(published)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        result = publish(build, published, refresh_only=DATA_QUALITY_MARTS)
        holder.stdin.write("\n")
        holder.stdin.flush()
        still_read = holder.stdout.readline().strip()
    finally:
        holder.kill()
        holder.wait()
    assert result.mode == "data_quality_only"
    assert set(DATA_QUALITY_MARTS) <= set(result.tables) and "kpi_project_scorecard" in result.tables
    assert still_read == "25", "the tool holding the old file keeps reading the old file"
    conn = duckdb.connect(str(published), read_only=True)
    try:
        assert conn.execute("select count(*) from marts.kpi_project_scorecard").fetchone()[0] == 25
    finally:
        conn.close()
    assert not [p for p in published.parent.iterdir() if p.name != published.name], "no temp or copy files left"


def test_a_home_with_a_quote_in_its_path_publishes_and_exports(small_warehouse: SmallWarehouse, tmp_path: Path) -> None:
    build, published = _copy_home(small_warehouse, tmp_path / "o'brien's warehouse")
    _keep_first_rows(build)
    assert publish(build, published).mode == "full"
    assert publish(build, published, refresh_only=DATA_QUALITY_MARTS).mode == "data_quality_only"
    parquet = export(published, published.parent.parent / "exports" / "parquet", "parquet")
    assert any(p.name == "kpi_headline.parquet" for p in parquet)
    (xlsx,) = export(published, published.parent.parent / "exports" / "x'lsx", "xlsx")
    assert xlsx.exists()


@pytest.fixture(scope="module")
def workbook_path(small_warehouse: SmallWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workbook of a published copy (each mart cut to its first ROWS_KEPT rows) in which one Jira
    summary is a formula and one a DDE payload."""
    folder = tmp_path_factory.mktemp("xlsx")
    published = folder / "portfolio.duckdb"
    shutil.copyfile(small_warehouse.published_db, published)
    _keep_first_rows(published)
    conn = duckdb.connect(str(published))
    try:
        ids = [r[0] for r in conn.execute("select issue_id from marts.fct_issue order by issue_id limit 3").fetchall()]
        for issue_id, text in zip(
            ids, ['=HYPERLINK("http://evil.example/x","click")', "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3"], strict=True
        ):
            conn.execute("update marts.fct_issue set summary = ? where issue_id = ?", [text, issue_id])
    finally:
        conn.close()
    (path,) = export(published, folder / "out", "xlsx")
    return path


@pytest.fixture(scope="module")
def workbook(workbook_path: Path):
    """That workbook opened once (openpyxl takes seconds on it); the tests only read it."""
    return load_workbook(workbook_path)


def test_workbook_opens_on_about_then_kpis_then_dimensions_then_facts(
    workbook, small_warehouse: SmallWarehouse
) -> None:
    names = workbook.sheetnames
    assert names[0] == ABOUT_SHEET and names[1] == "kpi_headline"
    kinds = [n.split("_")[0] for n in names[1:]]
    first_dim, first_fct = kinds.index("dim"), kinds.index("fct")
    assert set(kinds[:first_dim]) == {"kpi"} and set(kinds[first_dim:first_fct]) == {"dim"}
    assert names[1:] == sheet_order(names[1:])

    about = {row[0]: row[1] for row in workbook[ABOUT_SHEET].iter_rows(min_row=1, max_row=7, values_only=True)}
    assert about["Figures as of"] == datetime(2026, 6, 30)
    assert workbook[ABOUT_SHEET]["B2"].is_date and isinstance(about["Data refreshed (latest run start, UTC)"], datetime)
    about_tables = workbook[ABOUT_SHEET].tables
    assert {"about_freshness", "about_sheets"} <= set(about_tables)
    conn = duckdb.connect(str(small_warehouse.published_db), read_only=True)
    try:
        entities = conn.execute("select count(*) from marts.kpi_source_freshness").fetchone()[0]
    finally:
        conn.close()
    freshness_rows = [r for r in workbook[ABOUT_SHEET].iter_rows(min_row=11, max_row=10 + entities, values_only=True)]
    assert all(r[0] in ("jira", "servicenow", "finance") for r in freshness_rows), freshness_rows
    sheet_rows = {r[0]: r[1] for r in workbook[ABOUT_SHEET].iter_rows(min_row=14 + entities, values_only=True) if r[0]}
    assert "kpi_project_scorecard" in sheet_rows and sheet_rows["kpi_project_scorecard"]


def _column(sheet, name: str) -> int:
    header = [c.value for c in sheet[1]]
    return header.index(name) + 1


def test_every_sheet_is_a_filtered_table_with_a_frozen_header_and_typed_cells(workbook) -> None:
    for name in workbook.sheetnames[1:]:
        sheet = workbook[name]
        assert sheet.freeze_panes == "A2", name
        (table,) = sheet.tables.values()
        assert table.ref.startswith("A1:"), name  # an Excel table shows its filter buttons
        assert [c.name for c in table.tableColumns] == [c.value for c in sheet[1]], name

    scorecard = workbook["kpi_project_scorecard"]
    # Rows come in the mart's storage order: take the first one whose figures are all known (an
    # empty cell keeps Excel's General format).
    columns = [_column(scorecard, c) for c in ("bac_amount", "budget_variance_ratio", "planned_end_date")]
    row = next(
        r
        for r in range(2, scorecard.max_row + 1)
        if all(scorecard.cell(row=r, column=c).value is not None for c in columns)
    )
    money, ratio, planned_end = (scorecard.cell(row=row, column=c) for c in columns)
    assert money.number_format == MONEY_FORMAT and money.data_type == "n"
    assert ratio.number_format == PERCENT_FORMAT
    assert planned_end.is_date and planned_end.number_format == "yyyy-mm-dd" and isinstance(planned_end.value, datetime)
    key = _column(scorecard, "project_key")
    assert scorecard.column_dimensions[scorecard.cell(row=1, column=key).column_letter].hidden

    headline = workbook["kpi_headline"]
    rate = headline.cell(row=2, column=_column(headline, "on_time_delivery_rate"))
    assert rate.number_format == PERCENT_FORMAT
    quality = workbook["kpi_data_quality"]
    checked = quality.cell(row=2, column=_column(quality, "checked_at"))
    assert checked.is_date and checked.number_format == "yyyy-mm-dd hh:mm:ss"

    variance = _column(scorecard, "budget_variance_amount")
    negatives = [
        r[0]
        for r in scorecard.iter_rows(min_row=2, min_col=variance, max_col=variance)
        if isinstance(r[0].value, int | float) and r[0].value < 0
    ]
    assert negatives and all(c.data_type == "n" for c in negatives), "a negative amount is a number, not text"


def test_free_text_that_looks_like_a_formula_is_written_as_text(workbook, workbook_path: Path) -> None:
    sheet = workbook["fct_issue"]
    summary = _column(sheet, "summary")
    cells = {c.value: c for (c,) in sheet.iter_rows(min_row=2, min_col=summary, max_col=summary) if c.value}
    for text in ('=HYPERLINK("http://evil.example/x","click")', "@SUM(1+1)*cmd|' /C calc'!A0", "-2+3"):
        assert cells[text].data_type == "s", text
        assert cells[text].quotePrefix, text
    with zipfile.ZipFile(workbook_path) as archive:
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any(b"<f>" in archive.read(n) or b"<f " in archive.read(n) for n in sheets), "no formula anywhere"


def test_parquet_files_describe_themselves_and_the_manifest_lists_them(
    small_warehouse: SmallWarehouse, tmp_path: Path
) -> None:
    written = export(small_warehouse.published_db, tmp_path, "parquet")
    schema = pq.read_schema(tmp_path / "kpi_project_scorecard.parquet")
    assert schema.metadata[b"table"] == b"kpi_project_scorecard"
    assert schema.metadata[b"description"] and schema.metadata[b"as_of_date"] == b"2026-06-30"
    assert all(f.metadata and f.metadata.get(b"description") for f in schema), "every column carries its description"

    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["as_of_date"] == date(2026, 6, 30).isoformat() and manifest["refreshed_at"]
    files = {p.name for p in written if p.suffix == ".parquet"}
    assert {t["file"] for t in manifest["tables"]} == files
    scorecard = next(t for t in manifest["tables"] if t["table"] == "kpi_project_scorecard")
    assert scorecard["rows"] == 25 and scorecard["description"]
    assert manifest["freshness"] and {"source_name", "entity", "last_success_at", "is_stale"} <= set(
        manifest["freshness"][0]
    )
