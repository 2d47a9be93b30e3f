"""Finance exports: every file decodes per its variant, and its rows are exactly the finance truth."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from simulators.world import World

GL_COLUMNS = [
    "company_code", "fiscal_year", "fiscal_period", "posting_date", "document_number", "line_number",
    "gl_account", "cost_center", "wbs_code", "vendor_id", "vendor_name", "expense_type", "amount",
    "currency", "description",
]


@pytest.fixture(scope="module")
def exported(small_world_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    folder = tmp_path_factory.mktemp("finance")
    with World.open(small_world_path) as world:
        return folder, world.write_finance_exports(folder)


@pytest.fixture(scope="module")
def conn(small_world_path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(f"file:{small_world_path}?mode=ro", uri=True)
    yield connection
    connection.close()


def file_formats(conn: sqlite3.Connection) -> dict[str, dict]:
    columns = [d[1] for d in conn.execute("pragma table_info(fin_export_file)")]
    return {row[0]: dict(zip(columns, row, strict=True)) for row in conn.execute("select * from fin_export_file")}


def decode(path: Path, fmt: dict) -> list[str]:
    """The file's physical lines, decoded the way its format says (BOMs checked, not assumed)."""
    data = path.read_bytes()
    if fmt["encoding"] == "utf-16":
        assert data[:2] == b"\xff\xfe"
        text = data[2:].decode("utf-16-le")
    elif fmt["encoding"] == "utf-8-sig":
        assert data[:3] == b"\xef\xbb\xbf"
        text = data[3:].decode("utf-8")
    else:
        assert not data.startswith(b"\xef\xbb\xbf")
        text = data.decode("utf-8")
    ending = "\r\n" if fmt["line_end"] == "crlf" else "\n"
    assert text.endswith(ending)
    return text[: -len(ending)].split(ending)


def parse_amount(text: str, fmt: dict) -> Decimal:
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1]
    elif text.endswith("-"):
        negative, text = True, text[:-1]
    elif text.startswith("-"):
        negative, text = True, text[1:]
    if fmt["thousands_sep"]:
        text = text.replace(fmt["thousands_sep"], "")
    value = Decimal(text.replace(fmt["decimal_sep"], "."))
    return -value if negative else value


def parse_date(text: str, fmt: dict) -> date:
    pattern = {"iso": "%Y-%m-%d", "dmy_dots": "%d.%m.%Y", "mdy_slashes": "%m/%d/%Y"}[fmt["date_style"]]
    return datetime.strptime(text, pattern).date()


def read_rows(path: Path, fmt: dict) -> tuple[list[str], list[tuple[int, list[str], str]]]:
    lines = decode(path, fmt)
    header = next(csv.reader([lines[0]], delimiter=fmt["delimiter"]))
    rows = [(number, next(csv.reader([line], delimiter=fmt["delimiter"])), line) for number, line in enumerate(lines[1:], start=2)]
    return header, rows


def test_exports_are_byte_identical_and_dated_as_recorded(small_world_path: Path, exported, tmp_path: Path, conn) -> None:
    folder, paths = exported
    with World.open(small_world_path) as world:
        again = world.write_finance_exports(tmp_path)
    assert [p.name for p in paths] == [p.name for p in again]
    for first, second in zip(paths, again, strict=True):
        assert first.read_bytes() == second.read_bytes()
    formats = file_formats(conn)
    assert {p.name for p in paths} == set(formats)
    for path in paths:
        assert path.stat().st_mtime == datetime.fromisoformat(formats[path.name]["modified_at"]).timestamp()
    names = [p.name for p in paths]
    assert any(n.startswith("gl_actuals_") for n in names)
    assert any(n.startswith("forecast_") for n in names) and any(n.startswith("fx_rates_") for n in names)
    assert {f["encoding"] for f in formats.values()} == {"utf-8", "utf-8-sig", "utf-16"}
    assert {f["delimiter"] for f in formats.values()} == {",", ";", "\t"}
    assert {f["negative_style"] for f in formats.values()} == {"leading", "trailing", "parentheses"}
    assert {f["date_style"] for f in formats.values() if f["kind"] == "gl_actuals"} == {"iso", "dmy_dots", "mdy_slashes"}


def test_gl_files_hold_exactly_the_truth_plus_the_broken_rows(exported, conn, small_world_path: Path) -> None:
    folder, _ = exported
    formats = file_formats(conn)
    columns = ", ".join(GL_COLUMNS)
    truth: dict[tuple[str, int], tuple] = {}
    for table in ("fin_gl_line", "fin_gl_line_superseded"):
        for row in conn.execute(f"select export_file, export_line, {columns} from {table}"):
            truth[(row[0], row[1])] = row[2:]
    broken = {(f, line): (raw, reason) for f, line, raw, reason in conn.execute("select * from fin_broken_row")}
    seen = set()
    for name, fmt in formats.items():
        if fmt["kind"] != "gl_actuals":
            continue
        header, rows = read_rows(folder / name, fmt)
        assert header == GL_COLUMNS
        for number, values, raw in rows:
            key = (name, number)
            seen.add(key)
            if key in broken:
                assert raw == broken[key][0]
                continue
            expected = truth[key]
            assert len(values) == 15
            assert values[0] == expected[0]
            assert (int(values[1]), int(values[2])) == (expected[1], expected[2])
            assert parse_date(values[3], fmt).isoformat() == expected[3]
            assert values[4:12] == [str(v) for v in expected[4:12]]
            assert parse_amount(values[12], fmt) == Decimal(expected[12])
            assert values[13:] == list(expected[13:])
    assert seen == set(truth) | set(broken)
    with World.open(small_world_path) as world:
        listed = world.finance_broken_rows()
    assert 6 <= len(listed) <= 10
    assert sorted(listed) == sorted((f, line, reason) for (f, line), (_, reason) in broken.items())
    assert {"unparseable amount", "missing document_number", "invalid posting_date", "wrong column count",
            "unknown currency", "fiscal_period out of range"} <= {r for _, _, r in listed}


def test_broken_rows_fail_the_way_their_reason_says(exported, conn) -> None:
    folder, _ = exported
    formats = file_formats(conn)
    for name, line, raw, reason in conn.execute("select * from fin_broken_row"):
        fmt = formats[name]
        values = next(csv.reader([raw], delimiter=fmt["delimiter"]))
        if reason == "wrong column count":
            assert len(values) != 15
            continue
        assert len(values) == 15
        if reason == "unparseable amount":
            with pytest.raises(ArithmeticError):
                parse_amount(values[12], fmt)
        elif reason == "missing document_number":
            assert values[4] == ""
        elif reason == "invalid posting_date":
            with pytest.raises(ValueError):
                parse_date(values[3], fmt)
        elif reason == "unknown currency":
            assert values[13] == "XXX"
        elif reason == "fiscal_period out of range":
            assert not 1 <= int(values[2]) <= 16
        elif reason == "invalid fiscal_year":
            with pytest.raises(ValueError):
                int(values[1])


def test_corrected_re_export_replaces_one_period(conn) -> None:
    formats = file_formats(conn)
    corrections = [f for f in formats.values() if f["replaces_period"]]
    assert len(corrections) == 1
    correction = corrections[0]
    year, period = map(int, correction["replaces_period"].split("-"))
    current = conn.execute(
        "select export_file, document_number, line_number, amount from fin_gl_line where fiscal_year = ? and fiscal_period = ?",
        (year, period),
    ).fetchall()
    old = conn.execute(
        "select export_file, document_number, line_number, amount from fin_gl_line_superseded where fiscal_year = ? and fiscal_period = ?",
        (year, period),
    ).fetchall()
    assert current and {r[0] for r in current} == {correction["export_file"]}
    assert len({r[0] for r in old}) == 1 and old[0][0] != correction["export_file"]
    original = formats[old[0][0]]
    assert correction["modified_at"] > original["modified_at"]
    assert len(old) == len(current) + 1
    old_amounts = {(d, n): a for _, d, n, a in old}
    assert any(old_amounts[(d, n)] != a for _, d, n, a in current)


def test_gl_truth_is_plausible(conn, small_world_path: Path) -> None:
    wbs = {json.loads(b)["u_wbs_code"] for (b,) in conn.execute("select body from sn_record where tbl = 'pm_project'")}
    cost_centers = {json.loads(b)["code"] for (b,) in conn.execute("select body from sn_record where tbl = 'cmn_cost_center'")}
    rows = conn.execute("select company_code, currency, fiscal_year, fiscal_period, posting_date, wbs_code, cost_center, amount, expense_type from fin_gl_line").fetchall()
    companies = {("US01", "USD"), ("DE01", "EUR"), ("GB01", "GBP")}
    assert {(r[0], r[1]) for r in rows} <= companies
    assert {r[1] for r in rows} == {"USD", "EUR", "GBP"}
    assert max((r[2], r[3]) for r in rows) == (2026, 6)
    assert all(r[4] <= "2026-06-30" and r[4][:7] == f"{r[2]}-{r[3]:02d}" for r in rows)
    assert {r[6] for r in rows} <= cost_centers
    assert {r[8] for r in rows} == {"CAPEX", "OPEX"}
    unmapped = [r for r in rows if r[5] not in wbs]
    assert 0 < len(unmapped) < len(rows) * 0.2
    assert any(Decimal(r[7]) < 0 for r in rows)
    rates = {(p, c) for p, c in conn.execute("select period, currency from fin_fx_rate")}
    assert {(f"{r[2]}-{r[3]:02d}", r[1]) for r in rows} <= rates


def test_servicenow_actuals_track_the_gl_without_equalling_it(conn) -> None:
    rates = {(p, c): Decimal(r) for p, c, r in conn.execute("select period, currency, rate_to_reporting from fin_fx_rate")}
    gl = defaultdict(Decimal)
    for wbs, year, period, amount, currency in conn.execute("select wbs_code, fiscal_year, fiscal_period, amount, currency from fin_gl_line"):
        gl[wbs] += Decimal(amount) * rates[(f"{year}-{period:02d}", currency)]
    checked = 0
    for (body,) in conn.execute("select body from sn_record where tbl = 'pm_project'"):
        project = json.loads(body)
        actual = Decimal(project["work_cost"])
        if project["state"] == "3" and gl[project["u_wbs_code"]] > 0 and actual > 0:
            ratio = actual / gl[project["u_wbs_code"]]
            assert Decimal("0.5") < ratio < Decimal("1.1"), project["number"]
            assert actual != gl[project["u_wbs_code"]].quantize(Decimal("0.01"))
            checked += 1
    assert checked


def test_forecast_and_fx_files_hold_exactly_their_truth(exported, conn) -> None:
    folder, _ = exported
    formats = file_formats(conn)
    forecast = defaultdict(dict)
    for year, version, wbs, cc, kind, currency, month, amount, name in conn.execute("select * from fin_forecast"):
        forecast[(name, year, version, wbs, cc, kind, currency)][month] = Decimal(amount)
    fx = {(name, period, currency): Decimal(rate) for period, currency, rate, name in conn.execute("select * from fin_fx_rate")}
    seen_forecast, seen_fx = set(), set()
    for name, fmt in formats.items():
        if fmt["kind"] == "forecast":
            header, rows = read_rows(folder / name, fmt)
            assert header[:6] == ["fiscal_year", "version", "wbs_code", "cost_center", "expense_type", "currency"]
            assert header[6:] == [f"P{m:02d}" for m in range(1, 13)]
            for _, values, _ in rows:
                key = (name, int(values[0]), *values[1:6])
                months = {m: parse_amount(v, fmt) for m, v in enumerate(values[6:], start=1) if v != ""}
                assert months == forecast[key]
                assert values[1] == name[len("forecast_"):-4]
                assert min(months) >= (int(values[1][5:]) if int(values[1][:4]) == int(values[0]) else 1)
                seen_forecast.add(key)
        elif fmt["kind"] == "fx_rates":
            header, rows = read_rows(folder / name, fmt)
            assert header == ["period", "currency", "rate_to_reporting"]
            for _, (period, currency, rate), _ in rows:
                assert fx[(name, period, currency)] == parse_amount(rate, fmt)
                seen_fx.add((name, period, currency))
    assert seen_forecast == set(forecast) and seen_fx == set(fx)
    versions = {key[2] for key in forecast}
    assert len(versions) == 12 and max(versions) == "2026-06"
