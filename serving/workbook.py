"""The published marts as one Excel workbook a BI user can use as it is.

It opens on an `About` sheet: as of when, when the data was refreshed, how fresh each source is,
and what each sheet holds. Then the KPI marts (the headline first), the dimensions, the facts and
the rest. Every sheet is an Excel table (filters on), with a frozen header; dates are dates,
money has a thousands format, ratios are percentages, and the surrogate `_key` columns are
hidden (they are there for joins, not for reading).

Free text from the sources (an issue summary, a reject's raw line) is written as text, never as
a formula: a cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is a typed
string with Excel's quote prefix, so `=HYPERLINK(…)` in a Jira summary is shown, not run.
"""

from __future__ import annotations

import os
import re
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo

from serving.about import About, read_about
from serving.marts import MARTS_SCHEMA, list_tables, table_description, table_ref

EXCEL_MAX_ROWS = 1_048_575  # one row of the sheet is the header
EXCEL_MAX_TEXT = 32_767
EXCEL_MAX_SHEET_NAME = 31
ABOUT_SHEET = "About"

# KPI sheets first, in the order a reader goes through them; then dimensions, facts, the rest.
KPI_ORDER = (
    "kpi_headline",
    "kpi_project_scorecard",
    "kpi_portfolio_summary",
    "kpi_budget_vs_actual",
    "kpi_cost_reconciliation",
    "kpi_benefits_realization",
    "kpi_capacity_utilization",
    "kpi_risk_heatmap",
    "kpi_delivery_flow",
    "kpi_release_plan",
    "kpi_sprint_predictability",
    "kpi_sprint_predictability_by_quarter",
    "kpi_prioritization",
    # governance (docs/kpis.md "Governance"): the one-line-per-forum headline first
    "kpi_governance_headline",
    "kpi_stage_gates",
    "kpi_demand_pipeline",
    "kpi_timesheet_compliance",
    "kpi_timesheet_compliance_by_department",
    "kpi_vendor_performance",
    "kpi_vendor_concentration",
    "kpi_dependency_risk",
    "kpi_source_freshness",
    "kpi_run_health",
    "kpi_data_quality",
)

DATE_FORMAT = "yyyy-mm-dd"
TIMESTAMP_FORMAT = "yyyy-mm-dd hh:mm:ss"
MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.0%"
INDEX_FORMAT = "0.00"
HOURS_FORMAT = "#,##0.0"
# docs/kpis.md "Ratios": these are fractions (0.125 = 12.5 %); cpi, spi, tcpi are indices, not shares.
PERCENT_COLUMNS = {"on_time_delivery_rate", "capacity_utilization"}
INDEX_COLUMNS = {"cpi", "spi", "tcpi", "wsjf", "priority_score"}

# What a spreadsheet would take for a formula or a DDE payload (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
HEADER_FONT = Font(bold=True)


def sheet_order(tables: list[str]) -> list[str]:
    """KPI marts (in KPI_ORDER, then by name), dimensions, facts, then everything else."""

    # a sheet's name is its table's cut to Excel's 31 characters (kpi_timesheet_compliance_by_dep…)
    order = [table[:EXCEL_MAX_SHEET_NAME] for table in KPI_ORDER]

    def key(name: str) -> tuple[int, int, str]:
        if name.startswith("kpi_"):
            short = name[:EXCEL_MAX_SHEET_NAME]
            return (0, order.index(short) if short in order else len(order), name)
        group = 1 if name.startswith("dim_") else 2 if name.startswith("fct_") else 3
        return (group, 0, name)

    return sorted(tables, key=key)


def number_format(column: str, data_type: str) -> str | None:
    """The Excel number format of a mart column, from its name (docs/architecture.md "Naming") and type."""
    if data_type == "DATE":
        return DATE_FORMAT
    if data_type.startswith("TIMESTAMP"):
        return TIMESTAMP_FORMAT
    if column.endswith(("_amount", "_amount_local")):
        return MONEY_FORMAT
    if column.endswith("_ratio") or column in PERCENT_COLUMNS:
        return PERCENT_FORMAT
    if column in INDEX_COLUMNS:
        return INDEX_FORMAT
    if column.endswith("_hours"):
        return HOURS_FORMAT
    return None


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_PREFIXES)


def text_cell(sheet: Any, text: str) -> WriteOnlyCell | str:
    """A string as Excel text; one that looks like a formula is typed as a string with a quote prefix."""
    text = _ILLEGAL_XML.sub("", text)[:EXCEL_MAX_TEXT]
    if not is_formula_like(text):
        return text
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # openpyxl would otherwise store a leading "=" as a formula
    cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    return cell


def _plain(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones; the export session is UTC
    return value


def write_workbook(conn: duckdb.DuckDBPyConnection, catalog: str, target: Path, published_db: Path) -> Path:
    tables = sheet_order(list_tables(conn, catalog))
    rows = {t: conn.execute(f"select count(*) from {table_ref(t, catalog)}").fetchone()[0] for t in tables}
    exported = [t for t in tables if rows[t] <= EXCEL_MAX_ROWS]
    workbook = Workbook(write_only=True)
    _write_about(workbook, read_about(conn, catalog), conn, catalog, tables, rows, published_db)
    for table in exported:
        _write_table_sheet(workbook, conn, catalog, table)
    tmp = target.with_name(f".{target.name}.tmp")
    workbook.save(tmp)
    os.replace(tmp, target)
    return target


def _columns(conn: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[tuple[str, str]]:
    return conn.execute(
        "select column_name, data_type from duckdb_columns() "
        "where database_name = ? and schema_name = ? and table_name = ? order by column_index",
        [catalog, MARTS_SCHEMA, table],
    ).fetchall()


def _add_table(sheet: Any, name: str, header: list[str], first_row: int, data_rows: int) -> None:
    """An Excel table over header + rows (an empty table keeps one blank row: Excel needs one)."""
    last_row = first_row + max(data_rows, 1)
    ref = f"A{first_row}:{get_column_letter(len(header))}{last_row}"
    table = Table(displayName=name, ref=ref)
    table.tableColumns = [TableColumn(id=i, name=h) for i, h in enumerate(header, start=1)]
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    with warnings.catch_warnings():  # openpyxl warns that write-only tables need their columns: they have them
        warnings.simplefilter("ignore", UserWarning)
        sheet.add_table(table)


def _header_cells(sheet: Any, header: list[str]) -> list[WriteOnlyCell]:
    cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = HEADER_FONT
        cells.append(cell)
    return cells


def _write_table_sheet(workbook: Workbook, conn: duckdb.DuckDBPyConnection, catalog: str, table: str) -> None:
    sheet = workbook.create_sheet(title=table[:EXCEL_MAX_SHEET_NAME])
    columns = _columns(conn, catalog, table)
    header = [name for name, _ in columns]
    formats = [number_format(name, data_type) for name, data_type in columns]
    for index, (name, _) in enumerate(columns, start=1):
        dimension = sheet.column_dimensions[get_column_letter(index)]
        dimension.width = min(max(len(name) + 4, 12), 40)
        if name.endswith("_key"):
            dimension.hidden = True
    sheet.freeze_panes = "A2"
    sheet.append(_header_cells(sheet, header))
    count = 0
    cursor = conn.execute(f"select * from {table_ref(table, catalog)}")
    while batch := cursor.fetchmany(10_000):
        for record in batch:
            sheet.append([_cell(sheet, value, fmt) for value, fmt in zip(record, formats, strict=True)])
        count += len(batch)
    _add_table(sheet, table, header, 1, count)


def _cell(sheet: Any, value: Any, fmt: str | None) -> Any:
    if isinstance(value, str):
        return text_cell(sheet, value)
    if value is None or fmt is None:
        return value
    cell = WriteOnlyCell(sheet, value=_plain(value))
    cell.number_format = fmt
    return cell


def _write_about(
    workbook: Workbook,
    about: About,
    conn: duckdb.DuckDBPyConnection,
    catalog: str,
    tables: list[str],
    rows: dict[str, int],
    published_db: Path,
) -> None:
    sheet = workbook.create_sheet(title=ABOUT_SHEET)
    for letter, width in zip("ABCDEFG", (28, 60, 24, 22, 22, 14, 60), strict=True):
        sheet.column_dimensions[letter].width = width

    def labelled(label: str, value: Any, fmt: str | None = None) -> list[Any]:
        cell = WriteOnlyCell(sheet, value=_plain(value))
        if fmt:
            cell.number_format = fmt
        head = WriteOnlyCell(sheet, value=label)
        head.font = HEADER_FONT
        return [head, cell]

    title = WriteOnlyCell(sheet, value="Portfolio warehouse: the published marts")
    title.font = Font(bold=True, size=14)
    sheet.append([title])
    sheet.append(labelled("Figures as of", about.as_of_date, DATE_FORMAT))
    sheet.append(labelled("Data refreshed (latest run start, UTC)", about.refreshed_at, TIMESTAMP_FORMAT))
    sheet.append(labelled("Latest run", about.latest_run_id))
    sheet.append(labelled("Exported (UTC)", datetime.now(UTC), TIMESTAMP_FORMAT))
    sheet.append(labelled("From", str(published_db)))
    sheet.append(
        labelled(
            "How to read it",
            "Money (columns ending _amount) is in the reporting currency; percentages are fractions of 1 shown as %; "
            "a ratio with a zero denominator is empty, never 0. Hidden columns ending _key are join keys. "
            "Definitions: docs/kpis.md.",
        )
    )
    sheet.append([])

    freshness_header = [
        "source",
        "entity",
        "last success (UTC)",
        "last attempt",
        "hours since success",
        "stale",
        "last failure reason",
    ]
    first = 10
    sheet.append([WriteOnlyCell(sheet, value="Source freshness (kpi_source_freshness)")])
    sheet.append(_header_cells(sheet, freshness_header))
    for entry in about.freshness:
        success = WriteOnlyCell(sheet, value=_plain(entry["last_success_at"]))
        success.number_format = TIMESTAMP_FORMAT
        hours = WriteOnlyCell(sheet, value=entry["hours_since_last_success"])
        hours.number_format = HOURS_FORMAT
        reason = entry["last_failure_reason"]
        sheet.append(
            [
                entry["source_name"],
                entry["entity"],
                success,
                entry["last_attempt_status"],
                hours,
                entry["is_stale"],
                text_cell(sheet, reason) if reason else None,
            ]
        )
    if not about.freshness:
        sheet.append([])  # the empty table's one blank row
    _add_table(sheet, "about_freshness", freshness_header, first, len(about.freshness))

    sheet.append([])
    sheets_first = first + max(len(about.freshness), 1) + 3
    sheets_header = ["sheet", "what it holds", "rows"]
    sheet.append([WriteOnlyCell(sheet, value="Sheets")])
    sheet.append(_header_cells(sheet, sheets_header))
    for table in tables:
        description = table_description(conn, catalog, table) or ""
        if rows[table] > EXCEL_MAX_ROWS:
            description = (
                "not in this workbook: more rows than an Excel sheet holds; use the Parquet export. " + description
            )
        sheet.append([table[:EXCEL_MAX_SHEET_NAME], text_cell(sheet, description.strip()), rows[table]])
    _add_table(sheet, "about_sheets", sheets_header, sheets_first, len(tables))
