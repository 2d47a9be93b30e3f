"""Finance CSV exports from the drop folder: detect the dialect, parse, validate, reject.

docs/contract.md §4 promises that every file finance systems really write loads: UTF-8 with or without
BOM, UTF-16 with BOM (tab-separated), ``,`` / ``;`` / tab delimiters, decimal comma or point,
thousands separators (``.`` ``,`` space, NBSP, apostrophe), negatives as ``-1.00``, ``1.00-`` or
``(1.00)`` (also with U+2212 minus), dates as ISO, ``dd.mm.yyyy`` or ``mm/dd/yyyy``. A row that
cannot be parsed becomes a reject with its physical line number (header = line 1), its raw text
and a reason; it never stops the load and is never dropped.

Why the stdlib ``csv`` module and not DuckDB ``read_csv``: rejects must carry the *physical* line
number and the raw text of every record, also when a quoted field spans lines. DuckDB 2.0.1
exposes neither for accepted rows (no line-number virtual column), and its reject table numbers
records, not physical lines (checked: a row after a quoted newline is reported one line early).
``csv.reader`` over a line iterator we count gives both exactly, in one streaming pass, for every
encoding Python decodes. DuckDB's number/date options would not remove our parser either: it
cannot read trailing minus, parentheses, U+2212 or NBSP (docs/sources.md "Why not DuckDB's CSV reader").

Detection, per file:

- Encoding: a UTF-8 BOM means ``utf-8-sig``; a UTF-16 BOM means ``utf-16``; otherwise the bytes
  must decode as UTF-8, else the file is read as ``latin-1`` with a warning (it always decodes).
- Delimiter: the one of ``,`` ``;`` tab that splits the header into the most expected columns.
- Decimal separator: from unambiguous amounts (both ``.`` and ``,`` present → the last one is
  the decimal; one separator followed by other than exactly 3 digits → decimal; repeated →
  thousands). Majority wins; a file with only ambiguous values (``1.234``) uses ``,`` when
  ``;``-delimited, else ``.``.
- Date order: ISO is always year-month-day. For ``a.b.yyyy`` and ``a/b/yyyy`` a first part above
  12 proves day-first, a second part above 12 proves month-first; majority wins per separator.
  A file with only ambiguous dates (every part ≤ 12) reads dotted dates as ``dd.mm.yyyy`` and
  slashed dates as ``mm/dd/yyyy`` — the two forms docs/contract.md §4 names. Values that contradict the
  file's order are rejected, never guessed.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import logging
import os
import re
import shutil
import stat
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Any

from connectors.http import SourceConfigError

log = logging.getLogger(__name__)

GL_COLUMNS: tuple[str, ...] = (
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
FORECAST_MONTHS: tuple[str, ...] = tuple(f"p{m:02d}" for m in range(1, 13))
FORECAST_COLUMNS: tuple[str, ...] = (
    "fiscal_year",
    "version",
    "wbs_code",
    "cost_center",
    "expense_type",
    "currency",
    *FORECAST_MONTHS,
)
FX_COLUMNS: tuple[str, ...] = ("period", "currency", "rate_to_reporting")

# File name prefix -> (raw entity, required columns).
FILE_KINDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "gl_actuals": GL_COLUMNS,
        "forecast": FORECAST_COLUMNS,
        "fx_rates": FX_COLUMNS,
    }
)

# A file modified less than this long ago may still be being written (a finance system copying a
# large export, a user saving from Excel). The one "still being written" rule: the reader
# watches such a file this long and skips it if it changes; the drop-folder sensor leaves it for
# its next tick.
SETTLE_SECONDS = 2.0

# Names a writer uses while a file is incomplete.
PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".download", ".filepart")

# Active ISO 4217 codes. Shape alone is not enough: XXX, XTS and friends are valid-looking
# placeholders that mean "no currency" and must not reach the spend facts.
ISO_4217 = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
    BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
    GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF
    KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR
    MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG
    SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD
    UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL""".split()
)

EXPENSE_TYPES = frozenset({"CAPEX", "OPEX"})
MAX_RAW_TEXT = 4000  # a runaway quoted field can swallow the rest of a file; keep rejects readable
# Amounts (and rates) must be below this in absolute value: fifteen integer digits, far beyond any
# real posting even in currencies of small units, and far inside what the warehouse's
# decimal(38, 6) money columns hold after conversion and summing (docs/contract.md §4). A value
# beyond it is a typo or a corrupt export: a reject with its reason, not a failed build.
MAX_ABS_AMOUNT = Decimal(10) ** 15

_SPACES = "\u00a0\u202f\u2009\u2007 \t"
_MINUS_SIGNS = "\u2212\u2012\u2013\ufe63\uff0d"
_DATE_DMY = re.compile(r"^(\d{1,2})([./])(\d{1,2})\2(\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_YEAR_MONTH = re.compile(r"^(\d{4})[-/.]?(\d{1,2})$")
_PLAIN_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")
# An export date in a file name: 20260406 or 2026-04-06, not part of a longer run of digits.
_NAME_DATE = re.compile(r"(?<!\d)(\d{4})-?(\d{2})-?(\d{2})(?!\d)")


@dataclass(frozen=True)
class FinanceConfig:
    """The drop folder finance writes exports into (FINANCE_EXPORT_DIR).

    ``settle_seconds``: a file modified more recently than this is watched for that long; if its
    size or modification time changes meanwhile it is still being written and is skipped.
    """

    folder: Path
    settle_seconds: float = SETTLE_SECONDS


def file_kind(name: str) -> str | None:
    """``gl_actuals`` / ``forecast`` / ``fx_rates`` for an export file name, else None."""
    lower = name.lower()
    if not lower.endswith(".csv"):
        return None
    for kind in FILE_KINDS:
        if lower.startswith(f"{kind}_"):
            return kind
    return None


def export_date_from_name(name: str) -> date | None:
    """The export date a file name carries (``gl_actuals_DE01_20260406.csv`` → 2026-04-06).

    The last ``YYYYMMDD`` or ``YYYY-MM-DD`` token that is a real date; None when the name has
    none. It orders files that arrived together (docs/contract.md §4): the loader never trusts
    the file system's modification time, which a copy or an unzip resets.
    """
    found = None
    for match in _NAME_DATE.finditer(name):
        try:
            found = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            continue
    return found


# --- numbers and dates --------------------------------------------------------------------


def decimal_evidence(text: str) -> str | None:
    """Which decimal separator a number written this way proves, if any (``.``, ``,`` or None)."""
    body = "".join(ch for ch in text if ch.isdigit() or ch in ".,")
    dots, commas = body.count("."), body.count(",")
    if dots and commas:
        return "." if body.rfind(".") > body.rfind(",") else ","
    for sep, count in ((".", dots), (",", commas)):
        if count > 1:
            return "," if sep == "." else "."  # repeated: a thousands separator
        if count == 1:
            after = len(body) - body.index(sep) - 1
            return sep if after != 3 else None
    return None


def parse_number(text: str, decimal_sep: str = ".") -> Decimal:
    """A finance amount as a Decimal, or ValueError saying why not.

    Handles thousands separators (the other of ``.``/``,``, spaces, NBSP, apostrophes) with
    grouping checked, and negatives as ``-1``, ``1-``, ``(1)`` and U+2212.
    """
    if decimal_sep not in ".,":
        raise ValueError(f"decimal separator must be '.' or ',', not {decimal_sep!r}")
    original = text
    s = text.strip(_SPACES)
    for minus in _MINUS_SIGNS:
        s = s.replace(minus, "-")
    if not s:
        raise ValueError("empty amount")
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1].strip(_SPACES)
    if s.endswith("-"):
        negative, s = not negative, s[:-1].strip(_SPACES)
    elif s.startswith("-"):
        negative, s = not negative, s[1:].strip(_SPACES)
    elif s.startswith("+"):
        s = s[1:].strip(_SPACES)
    if "-" in s or "(" in s or ")" in s or "+" in s:
        raise ValueError(f"malformed amount {original!r}")
    thousands = "," if decimal_sep == "." else "."
    if s.count(decimal_sep) > 1:
        raise ValueError(f"amount {original!r} has more than one decimal separator {decimal_sep!r}")
    integer, _, fraction = s.partition(decimal_sep)
    groups = re.split(r"[" + re.escape(thousands) + _SPACES + "'’]", integer)
    if len(groups) > 1 and not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
        raise ValueError(f"amount {original!r} has misplaced thousands separators")
    digits = "".join(groups)
    canonical = f"{digits}.{fraction}" if fraction or s.endswith(decimal_sep) else digits
    canonical = canonical.rstrip(".")
    if not _PLAIN_NUMBER.match(canonical):
        raise ValueError(f"not a number: {original!r}")
    try:
        value = Decimal(canonical)
    except InvalidOperation:
        raise ValueError(f"not a number: {original!r}") from None
    if value >= MAX_ABS_AMOUNT:
        raise ValueError(
            f"{original.strip()!r} is implausibly large: amounts must be below 10^15 "
            "(at most 15 digits before the decimal separator)"
        )
    return -value if negative and value != 0 else value


def format_decimal(value: Decimal) -> str:
    """Decimal as a plain string with ``.``, keeping the scale written (``-1234.50``)."""
    text = format(value, "f")
    return text[1:] if text.startswith("-") and Decimal(text) == 0 else text


def date_evidence(text: str) -> tuple[str, str] | None:
    """(separator, "dmy" | "mdy") when a dotted/slashed date proves its order, else None."""
    match = _DATE_DMY.match(text.strip())
    if not match:
        return None
    first, sep, second = int(match.group(1)), match.group(2), int(match.group(3))
    if first > 12 and second <= 12:
        return sep, "dmy"
    if second > 12 and first <= 12:
        return sep, "mdy"
    return None


def parse_date(text: str, orders: dict[str, str]) -> date:
    """ISO, or dotted/slashed in the file's order for that separator; ValueError otherwise."""
    s = text.strip(_SPACES)
    if not s:
        raise ValueError("empty date")
    iso = _DATE_ISO.match(s)
    if iso:
        try:
            return date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        except ValueError as exc:
            raise ValueError(f"date {text!r} does not exist ({exc})") from None
    match = _DATE_DMY.match(s)
    if match:
        a, sep, b, year = int(match.group(1)), match.group(2), int(match.group(3)), int(match.group(4))
        order = orders.get(sep, "dmy" if sep == "." else "mdy")
        day, month = (a, b) if order == "dmy" else (b, a)
        try:
            return date(year, month, day)
        except ValueError:
            raise ValueError(
                f"date {text!r} is not valid as {'dd' + sep + 'mm' if order == 'dmy' else 'mm' + sep + 'dd'}"
                f"{sep}yyyy (the order this file's other dates use)"
            ) from None
    raise ValueError(f"unrecognised date {text!r} (expected yyyy-mm-dd, dd.mm.yyyy or mm/dd/yyyy)")


def parse_year_month(text: str) -> str:
    """``YYYY-MM`` from ``2026-03``, ``2026/03``, ``202603``; ValueError otherwise."""
    s = text.strip(_SPACES)
    match = _YEAR_MONTH.match(s)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"not a year-month (YYYY-MM): {text!r}")
    return f"{match.group(1)}-{int(match.group(2)):02d}"


def parse_int(text: str, name: str, low: int, high: int, *, strip_prefix: str = "") -> int:
    s = text.strip(_SPACES)
    if strip_prefix and s[:1].upper() == strip_prefix:
        s = s[1:]
    if not s:
        raise ValueError(f"missing {name}")
    if not s.isdigit():
        raise ValueError(f"{name} {text!r} is not a whole number")
    value = int(s)
    if not low <= value <= high:
        raise ValueError(f"{name} {value} is outside {low}–{high}")
    return value


def parse_currency(text: str) -> str:
    code = text.strip(_SPACES).upper()
    if not code:
        raise ValueError("missing currency")
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError(f"currency {text!r} is not an ISO 4217 code")
    if code not in ISO_4217:
        raise ValueError(f"currency {code} is not a known ISO 4217 currency")
    return code


# --- reading a file -----------------------------------------------------------------------


@dataclass
class FileReport:
    """What was detected in, and read from, one export file."""

    path: Path
    kind: str
    sha256: str
    size_bytes: int
    modified_at: datetime
    encoding: str = ""
    delimiter: str = ""
    decimal_separator: str = ""
    date_orders: dict[str, str] = field(default_factory=dict)
    rows: int = 0
    rejects: int = 0
    status: str = "loaded"
    warnings: list[str] = field(default_factory=list)
    # When the loader first saw the file: the start of the sync that loaded it, the same for
    # every file of that sync. With the export date in the name it decides which of two files
    # is the newer (docs/contract.md §4).
    arrived_at: datetime | None = None
    run_id: str = ""

    def as_record(self) -> dict[str, Any]:
        export_date = export_date_from_name(self.path.name)
        return {
            "file_name": self.path.name,
            "file_sha256": self.sha256,
            "arrived_at": self.arrived_at.isoformat() if self.arrived_at else None,
            "export_date": export_date.isoformat() if export_date else None,
            "run_id": self.run_id,
            "file_modified_at": self.modified_at.isoformat(),
            "size_bytes": self.size_bytes,
            "kind": self.kind,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "decimal_separator": self.decimal_separator,
            "date_orders": dict(self.date_orders),
            "rows": self.rows,
            "rejects": self.rejects,
            "status": self.status,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class ParsedRow:
    """One record read from a file: a canonical ``record`` for ``entity``, or a reject."""

    entity: str  # gl_actuals | forecast | fx_rates | finance_rejects
    line: int
    record: dict[str, Any]


def hash_and_sniff_encoding(path: Path) -> tuple[str, str, int, str | None]:
    """(sha256, encoding, size, warning) in one streaming read."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = True
    head = b""
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            if len(head) < 4:
                head += chunk[: 4 - len(head)]
            digest.update(chunk)
            size += len(chunk)
            if utf8_ok:
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8_ok = False
        if utf8_ok:
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                utf8_ok = False
    warning = None
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif utf8_ok:
        encoding = "utf-8"
    else:
        encoding = "latin-1"
        warning = f"{path.name}: not valid UTF-8 and no BOM; read as latin-1 — check accented text"
    return digest.hexdigest(), encoding, size, warning


def choose_delimiter(header_line: str, expected: Sequence[str]) -> str:
    """The delimiter that splits the header into the most expected column names."""
    wanted = set(expected)
    best, best_score = ",", (-1, -1)
    for delimiter in (",", ";", "\t"):
        names = [_normalise_header(n) for n in next(csv.reader([header_line], delimiter=delimiter), [])]
        score = (len(wanted.intersection(names)), len(names))
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _normalise_header(name: str) -> str:
    return name.strip(_SPACES + '\ufeff"').lower()


class _LineTap:
    """Feeds csv.reader line by line, remembering the physical lines of the current record."""

    def __init__(self, handle: Any) -> None:
        self._handle = handle
        self.consumed = 0
        self.pending: list[str] = []
        # Set once the reader asked past the last line: the record it returns then ran to the end.
        self.exhausted = False

    def __iter__(self) -> _LineTap:
        return self

    def __next__(self) -> str:
        try:
            line = next(self._handle)
        except StopIteration:
            self.exhausted = True
            raise
        self.consumed += 1
        self.pending.append(line)
        return line

    def take(self) -> tuple[str, ...]:
        lines, self.pending = tuple(self.pending), []
        return lines


def _shown(text: str) -> str:
    """Raw text as a reject keeps it: without the line end, cut short if a runaway field made it huge."""
    text = text.rstrip("\r\n")
    return text if len(text) <= MAX_RAW_TEXT else text[:MAX_RAW_TEXT] + "…[truncated]"


@dataclass(frozen=True)
class _Record:
    """One CSV record as read: its first physical line, its physical lines (with their line ends),
    and its fields — or None with the reason it could not be read."""

    start: int
    lines: tuple[str, ...]
    fields: list[str] | None
    error: str | None = None
    # A quote opened in this record is never closed: csv read every later line into one field
    # until the end of the file (it does not complain unless strict, and strict refuses more).
    unclosed_quote: bool = False

    @property
    def raw(self) -> str:
        return _shown("".join(self.lines))

    @property
    def end(self) -> int:
        return self.start + max(len(self.lines), 1) - 1


def _ends_inside_quotes(text: str, delimiter: str, quote: str = '"') -> bool:
    """Whether a record's text ends inside a quoted field, read the way csv's default dialect
    reads it: a quote opens a field only at its start, and "" inside a quoted field is a quote."""
    inside = False
    at_field_start = True
    index = 0
    while index < len(text):
        char = text[index]
        if inside:
            if char == quote:
                if text[index + 1 : index + 2] == quote:
                    index += 1  # an escaped quote
                else:
                    inside = False
        elif char == quote and at_field_start:
            inside = True
            at_field_start = False
        else:
            at_field_start = char == delimiter or char in "\r\n"
        index += 1
    return inside


def _records(path: Path, encoding: str, delimiter: str) -> Iterator[_Record]:
    """Every record of the file, header first, with its physical lines."""
    with open(path, encoding=encoding, newline="") as handle:
        tap = _LineTap(handle)
        reader = csv.reader(tap, delimiter=delimiter)
        while True:
            start = tap.consumed + 1
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield _Record(start, tap.take(), None, f"unreadable CSV record: {exc}")
                continue
            lines = tap.take()
            # Only a record that ran to the end of the file can end inside a quote.
            if tap.exhausted and _ends_inside_quotes("".join(lines), delimiter):
                yield _Record(
                    start, lines, None, _unclosed_quote_reason(start, start + len(lines) - 1), unclosed_quote=True
                )
                continue
            yield _Record(start, lines, fields)


def _unclosed_quote_reason(first: int, last: int) -> str:
    where = f"lines {first}–{last} ran together" if last > first else f"line {first} runs"
    return (
        f"a quote opened on line {first} is never closed, so {where} to the end of the file as one "
        "record; rejected rather than guessed — close the quote and export again"
    )


class FinanceFileReader:
    """Reads one export file (two streaming passes: detect, then parse)."""

    def __init__(self, path: Path, *, sha256: str, encoding: str, size_bytes: int, modified_at: datetime) -> None:
        kind = file_kind(path.name)
        if kind is None:
            raise ValueError(f"{path.name} is not a finance export (gl_actuals_*, forecast_*, fx_rates_*.csv)")
        self.report = FileReport(
            path=path,
            kind=kind,
            sha256=sha256,
            size_bytes=size_bytes,
            modified_at=modified_at,
            encoding=encoding,
        )
        self.required = FILE_KINDS[kind]

    def _meta(self, line: int) -> dict[str, Any]:
        return {
            "file_name": self.report.path.name,
            "file_sha256": self.report.sha256,
            "file_modified_at": self.report.modified_at.isoformat(),
            "line": line,
        }

    def _reject(self, line: int, raw: str, reason: str) -> ParsedRow:
        self.report.rejects += 1
        record = {**self._meta(line), "kind": self.report.kind, "raw_text": raw, "reason": reason}
        return ParsedRow("finance_rejects", line, record)

    def rows(self) -> Iterator[ParsedRow]:
        """Every parsed record and every reject of the file, in file order."""
        report = self.report
        header_line = self._first_line()
        if header_line is None:
            report.status = "rejected"
            yield self._reject(1, "", "file is empty: no header line")
            return
        report.delimiter = choose_delimiter(header_line, self.required)
        header: list[str] | None = None
        columns: list[str] = []
        numeric_values: list[str] = []
        date_votes: dict[str, Counter[str]] = {}

        # Pass 1: header check and format evidence.
        for record in _records(report.path, report.encoding, report.delimiter):
            fields = record.fields
            if header is None:
                if fields is None:
                    report.status = "rejected"
                    yield self._reject(record.start, record.raw, f"header is not readable CSV: {record.error}")
                    return
                header = fields
                columns = [_normalise_header(n) for n in header]
                problem = self._header_problem(columns)
                if problem:
                    report.status = "rejected"
                    yield self._reject(record.start, record.raw, problem)
                    return
                continue
            if fields is None or len(fields) != len(columns):
                continue
            row = dict(zip(columns, fields, strict=True))
            for name in self._number_columns():
                if row.get(name, "").strip(_SPACES):
                    numeric_values.append(row[name])
            for name in self._date_columns():
                vote = date_evidence(row.get(name, ""))
                if vote:
                    date_votes.setdefault(vote[0], Counter())[vote[1]] += 1
        report.decimal_separator = self._decide_decimal(numeric_values)
        for sep, votes in date_votes.items():
            (order, count), *rest = votes.most_common()
            report.date_orders[sep] = order
            if rest:
                report.warnings.append(
                    f"{report.path.name}: dates with '{sep}' disagree on day/month order "
                    f"({dict(votes)}); read as {order}, contradicting rows are rejected"
                )

        # Pass 2: parse.
        first = True
        # A digest of each data line's values -> its physical line: a line exported twice is a
        # reject the second time, never counted twice.
        seen_lines: dict[bytes, int] = {}
        for record in _records(report.path, report.encoding, report.delimiter):
            if first:
                first = False
                continue
            if record.unclosed_quote:
                # Every physical line the open quote swallowed is a reject of its own, so each
                # keeps its line number and text and counts toward the file's reject share.
                for offset, text in enumerate(record.lines):
                    if text.strip(_SPACES + "\r\n"):
                        yield self._reject(record.start + offset, _shown(text), record.error or "")
                continue
            fields, line, raw = record.fields, record.start, record.raw
            if fields is None:
                yield self._reject(line, raw, record.error or "unreadable CSV record")
                continue
            if not any(f.strip(_SPACES) for f in fields):
                continue  # a blank line carries no data
            digest = hashlib.blake2b("\x1f".join(fields).encode(), digest_size=16).digest()
            original = seen_lines.setdefault(digest, line)
            if original != line:
                yield self._reject(
                    line, raw, f"duplicate of line {original}: the same values in every column, counted once"
                )
                continue
            if len(fields) != len(columns):
                yield self._reject(line, raw, f"wrong number of columns: expected {len(columns)}, found {len(fields)}")
                continue
            row = dict(zip(columns, fields, strict=True))
            try:
                parsed = self._parse(row)
            except ValueError as exc:
                yield self._reject(line, raw, str(exc))
                continue
            report.rows += 1
            yield ParsedRow(report.kind, line, {**parsed, **self._meta(line)})

    def _first_line(self) -> str | None:
        with open(self.report.path, encoding=self.report.encoding, newline="") as handle:
            for line in handle:
                if line.strip(_SPACES + "\r\n\ufeff"):
                    return line.rstrip("\r\n")
                return None
        return None

    def _header_problem(self, columns: list[str]) -> str | None:
        missing = [c for c in self.required if c not in columns]
        if missing:
            return (
                f"missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                f"(a {self.report.kind} file needs {', '.join(self.required)})"
            )
        duplicated = sorted(c for c, n in Counter(columns).items() if n > 1 and c)
        if duplicated:
            return f"duplicated columns {', '.join(duplicated)}"
        return None

    def _number_columns(self) -> tuple[str, ...]:
        kind = self.report.kind
        if kind == "gl_actuals":
            return ("amount",)
        if kind == "forecast":
            return FORECAST_MONTHS
        return ("rate_to_reporting",)

    def _date_columns(self) -> tuple[str, ...]:
        return ("posting_date",) if self.report.kind == "gl_actuals" else ()

    def _decide_decimal(self, values: list[str]) -> str:
        votes = Counter(v for v in (decimal_evidence(x) for x in values) if v)
        if votes:
            (winner, _), *rest = votes.most_common()
            if rest:
                self.report.warnings.append(
                    f"{self.report.path.name}: amounts disagree on the decimal separator "
                    f"({dict(votes)}); read with {winner!r}, contradicting rows are rejected"
                )
            return winner
        return "," if self.report.delimiter == ";" else "."

    def _amount(self, text: str, name: str, *, required: bool = True) -> str | None:
        if not text.strip(_SPACES):
            if required:
                raise ValueError(f"missing {name}")
            return None
        try:
            return format_decimal(parse_number(text, self.report.decimal_separator))
        except ValueError as exc:
            raise ValueError(f"bad {name}: {exc}") from None

    def _date(self, text: str, name: str) -> str:
        try:
            return parse_date(text, self.report.date_orders).isoformat()
        except ValueError as exc:
            raise ValueError(f"bad {name}: {exc}") from None

    @staticmethod
    def _text(row: dict[str, str], name: str, *, required: bool = False) -> str:
        value = row.get(name, "").strip(_SPACES)
        if required and not value:
            raise ValueError(f"missing {name}")
        return value

    def _expense_type(self, row: dict[str, str]) -> str:
        value = self._text(row, "expense_type", required=True)
        if value.upper() not in EXPENSE_TYPES:
            raise ValueError(f"expense_type {value!r} is not CAPEX or OPEX")
        return value

    def _extras(self, row: dict[str, str]) -> dict[str, str]:
        # Columns beyond the contract are kept (trimmed) so a new export column never breaks a load.
        return {k: v.strip(_SPACES) for k, v in row.items() if k and k not in self.required}

    def _parse(self, row: dict[str, str]) -> dict[str, Any]:
        kind = self.report.kind
        if kind == "gl_actuals":
            record: dict[str, Any] = {
                "company_code": self._text(row, "company_code", required=True),
                "fiscal_year": parse_int(row["fiscal_year"], "fiscal_year", 1900, 2999),
                "fiscal_period": parse_int(row["fiscal_period"], "fiscal_period", 1, 16, strip_prefix="P"),
                "posting_date": self._date(row["posting_date"], "posting_date"),
                "document_number": self._text(row, "document_number", required=True),
                "line_number": parse_int(row["line_number"], "line_number", 0, 10**9),
                "gl_account": self._text(row, "gl_account"),
                "cost_center": self._text(row, "cost_center"),
                "wbs_code": self._text(row, "wbs_code"),
                "vendor_id": self._text(row, "vendor_id"),
                "vendor_name": self._text(row, "vendor_name"),
                "expense_type": self._expense_type(row),
                "amount": self._amount(row["amount"], "amount"),
                "currency": parse_currency(row["currency"]),
                "description": self._text(row, "description"),
            }
        elif kind == "forecast":
            record = {
                "fiscal_year": parse_int(row["fiscal_year"], "fiscal_year", 1900, 2999),
                "version": parse_year_month(row["version"]),
                "wbs_code": self._text(row, "wbs_code", required=True),
                "cost_center": self._text(row, "cost_center"),
                "expense_type": self._expense_type(row),
                "currency": parse_currency(row["currency"]),
            }
            for month in FORECAST_MONTHS:
                record[month.upper()] = self._amount(row[month], month.upper(), required=False)
        else:
            rate = self._amount(row["rate_to_reporting"], "rate_to_reporting")
            if rate is not None and Decimal(rate) <= 0:
                raise ValueError(f"rate_to_reporting {rate} is not positive")
            record = {
                "period": parse_year_month(row["period"]),
                "currency": parse_currency(row["currency"]),
                "rate_to_reporting": rate,
            }
        extras = self._extras(row)
        return {**extras, **record} if extras else record


# --- the drop folder ----------------------------------------------------------------------


@dataclass
class FolderScan:
    """Files ready to read, and why others were left for a later run."""

    ready: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class NotARegularFile(ValueError):
    """A drop-folder entry that is a link, a pipe, a device or a socket: never read."""


def entry_mode(path: Path) -> int | None:
    """The file type bits of ``path`` itself, never of what a link points at (None: gone)."""
    try:
        return path.lstat().st_mode
    except FileNotFoundError:
        return None


def is_regular_file(path: Path) -> bool:
    """Whether ``path`` itself is a regular file (a link to one is not)."""
    mode = entry_mode(path)
    return mode is not None and stat.S_ISREG(mode)


def describe_non_regular(name: str, mode: int) -> str:
    """Why a drop-folder entry is not read: the loader takes regular files only. A link could point
    anywhere this process may read (/proc/self/environ holds every secret of its environment),
    and a pipe or a device would block the load or read something that is not an export."""
    if stat.S_ISLNK(mode):
        what = "a symbolic link"
    elif stat.S_ISFIFO(mode):
        what = "a named pipe"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        what = "a device"
    elif stat.S_ISSOCK(mode):
        what = "a socket"
    else:
        what = "not a regular file"
    return f"{name}: {what}, not a regular file; not read — the drop folder takes regular files only"


def copy_regular_file(path: Path, target: Path) -> tuple[os.stat_result, os.stat_result]:
    """Copy ``path`` to ``target`` if it is a regular file; (status before, status after) of what
    was read, to tell whether it changed meanwhile.

    The file is opened without following a link (O_NOFOLLOW: a link swapped in after the folder
    was scanned is refused too) and without blocking (O_NONBLOCK: a pipe would otherwise wait
    for a writer), and checked to be a regular file before a byte is read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    mode = entry_mode(path)
    if mode is None:
        raise FileNotFoundError(path)
    if not stat.S_ISREG(mode):
        raise NotARegularFile(describe_non_regular(path.name, mode))
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        swapped = entry_mode(path)
        if swapped is not None and not stat.S_ISREG(swapped):
            raise NotARegularFile(describe_non_regular(path.name, swapped)) from None
        raise exc
    with open(descriptor, "rb", closefd=True) as source:
        before = os.fstat(descriptor)
        if not stat.S_ISREG(before.st_mode):
            raise NotARegularFile(describe_non_regular(path.name, before.st_mode))
        with open(target, "wb") as copy:
            shutil.copyfileobj(source, copy, 1 << 20)
        after = os.fstat(descriptor)
    return before, after


def recently_modified(mtime_ns: int, now_ns: int, settle_seconds: float = SETTLE_SECONDS) -> bool:
    """Modified within the settle window, so possibly still being written (see SETTLE_SECONDS)."""
    return now_ns - mtime_ns < settle_seconds * 1e9


@dataclass
class ExportListing:
    """The export files of a drop folder by name and kind, before any is watched or read."""

    candidates: dict[Path, tuple[int, int]] = field(default_factory=dict)  # path → (size, mtime_ns)
    warnings: list[str] = field(default_factory=list)


def list_exports(folder: Path) -> ExportListing:
    """Regular files with an export's name (:func:`file_kind`), oldest name first, with their size
    and modification time; what looks like an export but cannot be one gets a warning.

    A link, a pipe or a device with an export's name is never opened (see
    :func:`describe_non_regular`); a partial-download name is a file still being written. The
    finance reader and the drop-folder sensor both list a folder through here.
    """
    listing = ExportListing()
    for path in sorted(folder.iterdir()):
        mode = entry_mode(path)
        if mode is None or stat.S_ISDIR(mode) or path.name.startswith((".", "~$")):
            continue
        lower = path.name.lower()
        if not stat.S_ISREG(mode):
            if file_kind(path.name) is not None or lower.endswith(".csv"):
                listing.warnings.append(describe_non_regular(path.name, mode))
            continue
        if lower.endswith(PARTIAL_SUFFIXES):
            if file_kind(path.name[: path.name.rfind(".")]) or any(lower.startswith(f"{k}_") for k in FILE_KINDS):
                listing.warnings.append(f"{path.name}: still being written (partial-file name); skipped this run")
            continue
        if file_kind(path.name) is None:
            if lower.endswith(".csv"):
                listing.warnings.append(
                    f"{path.name}: not a known export name (gl_actuals_*, forecast_*, fx_rates_*.csv); ignored"
                )
            continue
        st = path.lstat()
        listing.candidates[path] = (st.st_size, st.st_mtime_ns)
    return listing


def scan_drop_folder(folder: Path, *, settle_seconds: float = SETTLE_SECONDS) -> FolderScan:
    """The export files in ``folder`` that are complete, oldest name first.

    Candidates are :func:`list_exports`'s. One modified within the last ``settle_seconds`` is
    watched that long; if its size or modification time changes meanwhile it is still being
    written: it is skipped with a warning and picked up by the next run.
    """
    scan = FolderScan()
    if not folder.is_dir():
        raise SourceConfigError(f"finance drop folder {folder} does not exist — check FINANCE_EXPORT_DIR")
    listing = list_exports(folder)
    scan.warnings.extend(listing.warnings)
    candidates = listing.candidates
    now_ns = time.time_ns()
    recent = [p for p, (_, mtime) in candidates.items() if recently_modified(mtime, now_ns, settle_seconds)]
    if recent and settle_seconds > 0:
        time.sleep(settle_seconds)
    for path, before in candidates.items():
        if path in recent:
            try:
                st = path.lstat()
            except FileNotFoundError:
                scan.warnings.append(f"{path.name}: disappeared while the folder was read; skipped")
                continue
            if (st.st_size, st.st_mtime_ns) != before:
                scan.warnings.append(f"{path.name}: still being written (size or time changed); skipped this run")
                continue
        scan.ready.append(path)
    return scan
