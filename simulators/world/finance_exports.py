"""Finance CSV exports: render the canonical ``fin_*`` truth the way finance systems write files.

Each file has one ``FileFormat`` (recorded in ``fin_export_file``): its encoding, delimiter, number
style and date style. Rows are rendered from the truth tables in ``export_line`` order, with the
deliberately broken rows put back at their recorded lines, so the same world always gives the
same bytes.
"""

from __future__ import annotations

import csv
import io
import os
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

GL_COLUMNS = (
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
)
FORECAST_COLUMNS = (
    "fiscal_year",
    "version",
    "wbs_code",
    "cost_center",
    "expense_type",
    "currency",
    *(f"P{month:02d}" for month in range(1, 13)),
)
FX_COLUMNS = ("period", "currency", "rate_to_reporting")


@dataclass(frozen=True)
class FileFormat:
    """How one export file is written."""

    encoding: str  # utf-8-sig | utf-8 | utf-16 (little endian with BOM)
    delimiter: str
    decimal_sep: str  # '.' | ','
    thousands_sep: str  # '' | ',' | '.'
    negative_style: str  # leading | trailing | parentheses
    date_style: str  # iso | dmy_dots | mdy_slashes
    line_end: str = "\r\n"

    def amount(self, value: Decimal, places: int = 2) -> str:
        """A decimal as this file writes it: separators, then the sign."""
        text = f"{abs(value):,.{places}f}"  # '1,234.56'
        whole, _, fraction = text.partition(".")
        whole = whole.replace(",", self.thousands_sep)
        text = f"{whole}{self.decimal_sep}{fraction}" if places else whole
        if value < 0:
            if self.negative_style == "trailing":
                return f"{text}-"
            if self.negative_style == "parentheses":
                return f"({text})"
            return f"-{text}"
        return text

    def date(self, day: date) -> str:
        if self.date_style == "dmy_dots":
            return f"{day.day:02d}.{day.month:02d}.{day.year}"
        if self.date_style == "mdy_slashes":
            return f"{day.month:02d}/{day.day:02d}/{day.year}"
        return day.isoformat()

    def bad_date(self, year: int) -> str:
        """A 31 February in this file's date style."""
        if self.date_style == "dmy_dots":
            return f"31.02.{year}"
        if self.date_style == "mdy_slashes":
            return f"02/31/{year}"
        return f"{year}-02-31"

    def line(self, values: Iterable[str]) -> str:
        """One physical CSV line (without the line end), quoted only where needed."""
        buffer = io.StringIO()
        csv.writer(buffer, delimiter=self.delimiter, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerow(
            list(values)
        )
        return buffer.getvalue()[:-1]

    def encode(self, lines: list[str]) -> bytes:
        text = self.line_end.join(lines) + self.line_end
        if self.encoding == "utf-16":
            return "\ufeff".encode("utf-16-le") + text.encode("utf-16-le")
        return text.encode(self.encoding)


# The variants finance really sends (docs/sources.md "Finance exports"): Excel "CSV UTF-8", SAP
# German locale, Excel "Unicode text", US report writer with quoted thousands. Forecast and FX
# files rotate through them.
FORMATS = (
    FileFormat("utf-8-sig", ",", ".", "", "leading", "iso"),
    FileFormat("utf-8", ";", ",", ".", "trailing", "dmy_dots", "\n"),
    FileFormat("utf-16", "\t", ".", "", "parentheses", "mdy_slashes"),
    FileFormat("utf-8", ",", ".", ",", "parentheses", "mdy_slashes", "\n"),
    FileFormat("utf-8-sig", ";", ",", "", "leading", "dmy_dots"),
)

# Each legal entity exports its GL from its own system in its own locale, always the same way:
# the US team saves Excel "CSV UTF-8", the German SAP system writes its German locale, the UK
# team saves Excel "Unicode text".
COMPANY_FORMATS: dict[str, FileFormat] = {
    "US01": FileFormat("utf-8-sig", ",", ".", "", "leading", "iso"),
    "DE01": FileFormat("utf-8", ";", ",", ".", "trailing", "dmy_dots", "\n"),
    "GB01": FileFormat("utf-16", "\t", ".", "", "parentheses", "mdy_slashes"),
}


def format_of(row: sqlite3.Row | tuple) -> FileFormat:
    """The FileFormat of a ``fin_export_file`` row's encoding … line_end columns."""
    encoding, delimiter, decimal_sep, thousands_sep, negative_style, date_style, line_end = row
    return FileFormat(
        encoding,
        delimiter,
        decimal_sep,
        thousands_sep,
        negative_style,
        date_style,
        "\r\n" if line_end == "crlf" else "\n",
    )


def gl_values(row: tuple, fmt: FileFormat) -> list[str]:
    """The 15 GL columns of a ``fin_gl_line`` row (columns in table order) as the file writes them."""
    (
        company,
        year,
        period,
        posting,
        document,
        line_number,
        account,
        cost_center,
        wbs,
        vendor_id,
        vendor_name,
        expense_type,
        amount,
        currency,
        description,
    ) = row[:15]
    return [
        company,
        str(year),
        str(period),
        fmt.date(date.fromisoformat(posting)),
        document,
        str(line_number),
        account,
        cost_center,
        wbs,
        vendor_id,
        vendor_name,
        expense_type,
        fmt.amount(Decimal(amount)),
        currency,
        description,
    ]


def render_file(conn: sqlite3.Connection, name: str) -> bytes:
    """The bytes of one export file, from the truth tables."""
    meta = conn.execute(
        "select kind, encoding, delimiter, decimal_sep, thousands_sep, negative_style, date_style, "
        "line_end "
        "from fin_export_file where export_file = ?",
        (name,),
    ).fetchone()
    if meta is None:
        raise KeyError(f"no export file {name!r} in this world")
    kind, fmt = meta[0], format_of(meta[1:])
    if kind == "gl_actuals":
        return fmt.encode(_gl_lines(conn, name, fmt))
    if kind == "forecast":
        return fmt.encode(_forecast_lines(conn, name, fmt))
    return fmt.encode(_fx_lines(conn, name, fmt))


def _gl_lines(conn: sqlite3.Connection, name: str, fmt: FileFormat) -> list[str]:
    columns = ", ".join(GL_COLUMNS)
    numbered: dict[int, str] = {}
    for table in ("fin_gl_line", "fin_gl_line_superseded"):
        for row in conn.execute(f"select {columns}, export_line from {table} where export_file = ?", (name,)):
            numbered[row[15]] = fmt.line(gl_values(row, fmt))
    for line, raw in conn.execute("select export_line, raw_text from fin_broken_row where export_file = ?", (name,)):
        numbered[line] = raw
    lines = [fmt.line(GL_COLUMNS)]
    for expected, line in enumerate(sorted(numbered), start=2):
        if line != expected:
            raise ValueError(f"{name}: line {expected} missing from the finance truth")
        lines.append(numbered[line])
    return lines


def _forecast_lines(conn: sqlite3.Connection, name: str, fmt: FileFormat) -> list[str]:
    lines = [fmt.line(FORECAST_COLUMNS)]
    current: tuple | None = None
    cells: list[str] = []
    for year, version, wbs, cc, expense_type, currency, month, amount in conn.execute(
        "select fiscal_year, version, wbs_code, cost_center, expense_type, currency, month, amount "
        "from fin_forecast where export_file = ? "
        "order by fiscal_year, wbs_code, cost_center, expense_type, currency, month",
        (name,),
    ):
        key = (year, version, wbs, cc, expense_type, currency)
        if key != current:
            if current is not None:
                lines.append(fmt.line([str(current[0]), *current[1:], *cells]))
            current, cells = key, [""] * 12
        cells[month - 1] = fmt.amount(Decimal(amount))
    if current is not None:
        lines.append(fmt.line([str(current[0]), *current[1:], *cells]))
    return lines


def _fx_lines(conn: sqlite3.Connection, name: str, fmt: FileFormat) -> list[str]:
    lines = [fmt.line(FX_COLUMNS)]
    for period, currency, rate in conn.execute(
        "select period, currency, rate_to_reporting from fin_fx_rate where export_file = ? order by period, currency",
        (name,),
    ):
        lines.append(fmt.line([period, currency, fmt.amount(Decimal(rate), 6)]))
    return lines


def write_exports(conn: sqlite3.Connection, folder: Path) -> list[Path]:
    """Write every export file into ``folder``; each gets its recorded modification time.

    A file is written to a hidden temp name and renamed, so a drop-folder watcher never reads
    half a file; its mtime is the moment finance exported it in the world's story (a corrected
    re-export is newer than the file it corrects).
    """
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, modified_at in conn.execute(
        "select export_file, modified_at from fin_export_file order by modified_at, export_file"
    ).fetchall():
        path = folder / name
        data = render_file(conn, name)
        if not (path.exists() and path.read_bytes() == data):
            tmp = folder / f".{name}.tmp"
            tmp.write_bytes(data)
            os.replace(tmp, path)
        stamp = datetime.fromisoformat(modified_at).timestamp()
        os.utime(path, (stamp, stamp))
        written.append(path)
    return written
