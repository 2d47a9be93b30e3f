"""Finance CSV parsing: numbers, dates, dialects, physical line numbers and rejects."""

from __future__ import annotations

import codecs
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.finance.reader import (
    GL_COLUMNS,
    FinanceFileReader,
    choose_delimiter,
    decimal_evidence,
    file_kind,
    format_decimal,
    hash_and_sniff_encoding,
    parse_currency,
    parse_date,
    parse_number,
    scan_drop_folder,
)


@pytest.mark.parametrize(
    "text, sep, expected",
    [
        ("1234.50", ".", "1234.50"),
        ("-1,234.50", ".", "-1234.50"),
        ("1.234,50", ",", "1234.50"),
        ("1.234,50-", ",", "-1234.50"),
        ("(1,234.50)", ".", "-1234.50"),
        ("(1.234,50)", ",", "-1234.50"),
        ("\u22121\u00a0234,50", ",", "-1234.50"),
        ("1\u202f234\u202f567,5", ",", "1234567.5"),
        ("1'234.50", ".", "1234.50"),
        (" 12 ", ".", "12"),
        ("+7.25", ".", "7.25"),
        ("0.00-", ".", "0.00"),
        ("1.0845", ".", "1.0845"),
    ],
)
def test_numbers_in_every_export_form(text: str, sep: str, expected: str) -> None:
    assert format_decimal(parse_number(text, sep)) == expected


@pytest.mark.parametrize(
    "text, sep",
    [
        ("12,34", "."),
        ("1.2.3", ","),
        ("abc", "."),
        ("", "."),
        ("1-2", "."),
        ("--1", "."),
        ("1e5", "."),
        ("12,3456.7", "."),
    ],
)
def test_malformed_numbers_are_refused(text: str, sep: str) -> None:
    with pytest.raises(ValueError):
        parse_number(text, sep)


@pytest.mark.parametrize(
    "text, evidence",
    [
        ("1.234,56", ","),
        ("1,234.56", "."),
        ("12,5", ","),
        ("12.50", "."),
        ("1.234", None),
        ("1,234", None),
        ("1.234.567", ","),
        ("100", None),
    ],
)
def test_decimal_evidence(text: str, evidence: str | None) -> None:
    assert decimal_evidence(text) == evidence


def test_dates_iso_dotted_and_slashed() -> None:
    assert parse_date("2026-03-31", {}) == date(2026, 3, 31)
    assert parse_date("31.03.2026", {}) == date(2026, 3, 31)
    assert parse_date("03/31/2026", {}) == date(2026, 3, 31)
    assert parse_date("04/05/2026", {}) == date(2026, 4, 5)  # ambiguous-only slashed: mm/dd
    assert parse_date("04/05/2026", {"/": "dmy"}) == date(2026, 5, 4)
    with pytest.raises(ValueError, match="not valid"):
        parse_date("31/03/2026", {"/": "mdy"})
    with pytest.raises(ValueError):
        parse_date("45291", {})


def test_currency_must_be_a_known_iso_code() -> None:
    assert parse_currency(" eur ") == "EUR"
    for bad in ("XXX", "EURO", "U$D", ""):
        with pytest.raises(ValueError):
            parse_currency(bad)


def test_file_kinds_and_delimiters() -> None:
    assert file_kind("GL_ACTUALS_2026-03.CSV") == "gl_actuals"
    assert file_kind("forecast_2026.csv") == "forecast"
    assert file_kind("fx_rates_2026.csv") == "fx_rates"
    assert file_kind("gl_actuals_2026.csv.part") is None
    assert file_kind("budget_2026.csv") is None
    assert choose_delimiter(";".join(GL_COLUMNS), GL_COLUMNS) == ";"
    assert choose_delimiter("\t".join(GL_COLUMNS), GL_COLUMNS) == "\t"
    assert choose_delimiter(",".join(GL_COLUMNS), GL_COLUMNS) == ","


GL_ROW = [
    "1000",
    "2026",
    "3",
    "{date}",
    "DOC1",
    "{line}",
    "600100",
    "CC10",
    "WBS-1",
    "V1",
    "Acme",
    "OPEX",
    "{amount}",
    "EUR",
    "{desc}",
]


def gl_line(sep: str, *, line: int, amount: str, when: str = "2026-03-31", desc: str = "ok") -> str:
    values = [v.format(date=when, line=line, amount=amount, desc=desc) for v in GL_ROW]
    return sep.join(values)


def read(path: Path):
    sha, encoding, size, warning = hash_and_sniff_encoding(path)
    reader = FinanceFileReader(
        path, sha256=sha, encoding=encoding, size_bytes=size, modified_at=datetime(2026, 7, 1, tzinfo=UTC)
    )
    rows = list(reader.rows())
    return reader.report, rows, warning


def test_utf16_tab_decimal_comma_with_quoted_newline_keeps_physical_lines(tmp_path: Path) -> None:
    lines = [
        "\t".join(GL_COLUMNS),
        gl_line("\t", line=1, amount="1.234,50", when="31.03.2026"),
        gl_line("\t", line=2, amount="99,00-", when="01.03.2026", desc='"two\nlines"'),
        gl_line("\t", line=3, amount="(5,00)", when="15.03.2026"),
        gl_line("\t", line=4, amount="abc", when="15.03.2026"),
        "\t".join(["1000", "2026", "3"]),
    ]
    path = tmp_path / "gl_actuals_2026_03.csv"
    path.write_bytes(codecs.BOM_UTF16_LE + ("\r\n".join(lines) + "\r\n").encode("utf-16-le"))
    report, rows, _ = read(path)
    assert (report.encoding, report.delimiter, report.decimal_separator) == ("utf-16", "\t", ",")
    good = [r for r in rows if r.entity == "gl_actuals"]
    bad = [r for r in rows if r.entity == "finance_rejects"]
    assert [(r.line, r.record["amount"], r.record["posting_date"]) for r in good] == [
        (2, "1234.50", "2026-03-31"),
        (3, "-99.00", "2026-03-01"),
        (5, "-5.00", "2026-03-15"),
    ]
    assert good[1].record["description"] == "two\nlines"
    assert [(r.line, r.record["reason"]) for r in bad] == [
        (6, "bad amount: not a number: 'abc'"),
        (7, "wrong number of columns: expected 15, found 3"),
    ]
    assert bad[1].record["raw_text"] == "1000\t2026\t3"
    assert good[0].record["fiscal_year"] == 2026 and good[0].record["line"] == 2


def test_utf8_bom_semicolon_file_with_only_ambiguous_values(tmp_path: Path) -> None:
    lines = [";".join(GL_COLUMNS), gl_line(";", line=1, amount="1.234", when="04.05.2026")]
    path = tmp_path / "gl_actuals_x.csv"
    path.write_bytes(codecs.BOM_UTF8 + "\n".join(lines).encode())
    report, rows, _ = read(path)
    # `;` and no proof either way: decimal comma, so 1.234 is one thousand two hundred thirty-four.
    assert report.encoding == "utf-8-sig" and report.decimal_separator == ","
    assert rows[0].record["amount"] == "1234" and rows[0].record["posting_date"] == "2026-05-04"


def test_us_file_decides_month_first_from_unambiguous_dates(tmp_path: Path) -> None:
    lines = [
        ",".join(GL_COLUMNS),
        gl_line(",", line=1, amount="10.00", when="03/31/2026"),
        gl_line(",", line=2, amount="11.00", when="04/05/2026"),
    ]
    path = tmp_path / "gl_actuals_us.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report, rows, _ = read(path)
    assert report.date_orders == {"/": "mdy"}
    assert [r.record["posting_date"] for r in rows] == ["2026-03-31", "2026-04-05"]


def test_latin1_file_loads_with_a_warning(tmp_path: Path) -> None:
    lines = [",".join(GL_COLUMNS), gl_line(",", line=1, amount="10.00", desc="Café Müller")]
    path = tmp_path / "gl_actuals_latin.csv"
    path.write_bytes("\n".join(lines).encode("latin-1"))
    report, rows, warning = read(path)
    assert report.encoding == "latin-1" and "latin-1" in warning
    assert rows[0].record["description"] == "Café Müller"


def test_row_level_rejects_name_the_problem(tmp_path: Path) -> None:
    rows_in = [
        gl_line(",", line=1, amount="10.00").replace(",EUR,", ",XXX,"),
        gl_line(",", line=2, amount="10.00").replace("2026,3,", "2026,17,"),
        gl_line(",", line=3, amount="10.00").replace("1000,", ",", 1),
        gl_line(",", line=4, amount="10.00", when="2026-02-30"),
        gl_line(",", line=5, amount="10.00").replace("OPEX", "OTHER"),
        gl_line(",", line=6, amount="10.00"),
    ]
    path = tmp_path / "gl_actuals_bad.csv"
    path.write_text(",".join(GL_COLUMNS) + "\n" + "\n".join(rows_in) + "\n", encoding="utf-8")
    _, rows, _ = read(path)
    reasons = {r.line: r.record.get("reason") for r in rows}
    assert "XXX is not a known ISO 4217" in reasons[2]
    assert "fiscal_period 17 is outside 1–16" in reasons[3]
    assert reasons[4] == "missing company_code"
    assert reasons[5].startswith("bad posting_date: date '2026-02-30' does not exist")
    assert "not CAPEX or OPEX" in reasons[6]
    assert reasons[7] is None and rows[-1].entity == "gl_actuals"


def test_missing_required_column_rejects_the_whole_file_once(tmp_path: Path) -> None:
    path = tmp_path / "fx_rates_2026.csv"
    path.write_text("period,currency\n2026-01,EUR\n2026-02,EUR\n", encoding="utf-8")
    report, rows, _ = read(path)
    assert report.status == "rejected" and len(rows) == 1
    assert rows[0].line == 1 and rows[0].record["raw_text"] == "period,currency"
    assert "missing required column rate_to_reporting" in rows[0].record["reason"]


def test_forecast_and_fx_rows(tmp_path: Path) -> None:
    header = "fiscal_year;version;wbs_code;cost_center;expense_type;currency;" + ";".join(
        f"P{m:02d}" for m in range(1, 13)
    )
    row = "2026;2026-05;WBS-1;CC10;CAPEX;USD;" + ";".join(["1.000,00"] * 11 + [""])
    fc = tmp_path / "forecast_2026.csv"
    fc.write_text(header + "\n" + row + "\n", encoding="utf-8")
    _, rows, _ = read(fc)
    assert rows[0].record["P01"] == "1000.00" and rows[0].record["P12"] is None
    fx = tmp_path / "fx_rates_2026.csv"
    fx.write_text("period,currency,rate_to_reporting\n2026-01,EUR,1.0845\n2026-01,GBP,-1\n", encoding="utf-8")
    _, rows, _ = read(fx)
    assert rows[0].record == {**rows[0].record, "period": "2026-01", "currency": "EUR", "rate_to_reporting": "1.0845"}
    assert rows[1].entity == "finance_rejects" and "not positive" in rows[1].record["reason"]


def test_partial_and_unknown_files_are_skipped_with_warnings(tmp_path: Path) -> None:
    (tmp_path / "gl_actuals_2026.csv.part").write_text("x")
    (tmp_path / "notes.csv").write_text("x")
    (tmp_path / "fx_rates_2026.csv").write_text("period,currency,rate_to_reporting\n")
    scan = scan_drop_folder(tmp_path, settle_seconds=0)
    assert [p.name for p in scan.ready] == ["fx_rates_2026.csv"]
    assert any("gl_actuals_2026.csv.part: still being written" in w for w in scan.warnings)
    assert any("notes.csv: not a known export name" in w for w in scan.warnings)


def test_amounts_keep_their_scale() -> None:
    assert format_decimal(Decimal("-0.00")) == "0.00"
    assert format_decimal(parse_number("1.5", ".")) == "1.5"


def test_amounts_of_fifteen_integer_digits_or_more_are_refused() -> None:
    assert parse_number("999999999999999.99", ".") == Decimal("999999999999999.99")
    for text in ("1000000000000000", "1.000.000.000.000.000,00", "-1" + "0" * 40):
        with pytest.raises(ValueError, match="implausibly large"):
            parse_number(text, "," if "," in text else ".")


def test_an_open_quote_on_the_last_line_without_a_line_end_is_a_reject(tmp_path: Path) -> None:
    path = tmp_path / "gl_actuals_q.csv"
    good = gl_line(",", line=1, amount="1.00")
    path.write_text(
        ",".join(GL_COLUMNS) + "\n" + good + "\n" + gl_line(",", line=2, amount="2.00", desc='"x'), encoding="utf-8"
    )
    _, rows, _ = read(path)
    assert [(r.entity, r.line) for r in rows] == [("gl_actuals", 2), ("finance_rejects", 3)]
    assert "never closed" in rows[1].record["reason"]


def test_quoted_fields_and_escaped_quotes_are_not_open_quotes(tmp_path: Path) -> None:
    path = tmp_path / "gl_actuals_q.csv"
    lines = [
        ",".join(GL_COLUMNS),
        gl_line(",", line=1, amount="1.00", desc='"say ""hi"", then\nleave"'),
        gl_line(",", line=2, amount="2.00", desc='12" screen'),
    ]
    path.write_text("\n".join(lines), encoding="utf-8")
    _, rows, _ = read(path)
    assert [(r.entity, r.line) for r in rows] == [("gl_actuals", 2), ("gl_actuals", 4)]
    assert rows[0].record["description"] == 'say "hi", then\nleave'


def test_a_symlink_to_an_export_is_skipped_with_a_warning(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.csv"
    elsewhere.write_text("period,currency,rate_to_reporting\n")
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "fx_rates_2026.csv").symlink_to(elsewhere)
    scan = scan_drop_folder(drop, settle_seconds=0)
    assert scan.ready == [] and scan.warnings == [
        "fx_rates_2026.csv: a symbolic link, not a regular file; not read — the drop folder takes regular files only"
    ]
