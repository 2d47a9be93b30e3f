"""Finance exports: every file decodes per its variant, and its rows are exactly the finance truth.

The GL files are each company's own exports. Read by the warehouse's rule (per company × fiscal
year × fiscal period, only the newest file holding it counts: later export date in the name, then
the name) they give exactly ``fin_gl_line``.
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from simulators.world import World

GL_COLUMNS = [
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
    rows = [
        (number, next(csv.reader([line], delimiter=fmt["delimiter"])), line)
        for number, line in enumerate(lines[1:], start=2)
    ]
    return header, rows


GL_NAME = re.compile(r"gl_actuals_(?P<company>[A-Z]{2}\d{2})_(?P<day>\d{8})(?P<corrected>_corrected)?\.csv")


def export_day(name: str) -> date:
    """The export date a file name carries: its one and only 8-digit YYYYMMDD token."""
    tokens = re.findall(r"(?<!\d)\d{8}(?!\d)", name)
    assert len(tokens) == 1, name
    return datetime.strptime(tokens[0], "%Y%m%d").date()


def close_day(year: int, period: int) -> date:
    """The 3rd Monday–Friday after the month's end: when finance exports a closed month."""
    day = date(year + period // 12, period % 12 + 1, 1) - timedelta(days=1)
    working = 0
    while working < 3:
        day += timedelta(days=1)
        if day.weekday() < 5:
            working += 1
    return day


def gl_file_rows(folder: Path, formats: dict[str, dict], broken: set[tuple[str, int]]) -> dict[str, list[tuple]]:
    """Per GL file, its good rows read back from the bytes: (company, year, period, document, line, amount)."""
    result = {}
    for name, fmt in formats.items():
        if fmt["kind"] != "gl_actuals":
            continue
        _, rows = read_rows(folder / name, fmt)
        result[name] = [
            (v[0], int(v[1]), int(v[2]), v[4], int(v[5]), parse_amount(v[12], fmt))
            for number, v, _ in rows
            if (name, number) not in broken
        ]
    return result


def company_periods(conn: sqlite3.Connection) -> dict[tuple[str, int, int], list[tuple[str, int]]]:
    """Every company-period's files, oldest first by the warehouse's rule, with their line counts."""
    held: dict[tuple[str, int, int], Counter] = defaultdict(Counter)
    for table in ("fin_gl_line", "fin_gl_line_superseded"):
        for company, year, period, name in conn.execute(
            f"select company_code, fiscal_year, fiscal_period, export_file from {table}"
        ):
            held[(company, year, period)][name] += 1
    return {key: sorted(files.items(), key=lambda f: (export_day(f[0]), f[0])) for key, files in held.items()}


def test_exports_are_byte_identical_and_dated_as_recorded(
    small_world_path: Path, exported, tmp_path: Path, conn
) -> None:
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
    assert {f["date_style"] for f in formats.values() if f["kind"] == "gl_actuals"} == {
        "iso",
        "dmy_dots",
        "mdy_slashes",
    }


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
    assert {
        "unparseable amount",
        "missing document_number",
        "invalid posting_date",
        "wrong column count",
        "unknown currency",
        "fiscal_period out of range",
    } <= {r for _, _, r in listed}


def test_broken_rows_never_push_a_file_over_the_reject_limit(conn) -> None:
    """The warehouse blocks on a file with more than 5 % rejected rows: the everyday broken rows
    stay under it (at most one per 19 good lines), spread over companies and files."""
    formats = file_formats(conn)
    sizes = Counter()
    for table in ("fin_gl_line", "fin_gl_line_superseded"):
        for name, count in conn.execute(f"select export_file, count(*) from {table} group by 1"):
            sizes[name] += count
    per_file = Counter(name for (name,) in conn.execute("select export_file from fin_broken_row"))
    assert sum(per_file.values()) == 8
    assert len(per_file) >= 4
    assert len({formats[name]["company_code"] for name in per_file}) >= 2
    assert not any(formats[name]["export_reason"] == "correction" for name in per_file)
    for name, broken in per_file.items():
        assert broken / (broken + sizes[name]) <= 0.05, (name, broken, sizes[name])


def test_broken_rows_fail_the_way_their_reason_says(exported, conn) -> None:
    folder, _ = exported
    formats = file_formats(conn)
    for name, _line, raw, reason in conn.execute("select * from fin_broken_row"):
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


def test_each_company_exports_its_own_gl_files_in_its_own_dialect(conn) -> None:
    formats = file_formats(conn)
    gl = {name: f for name, f in formats.items() if f["kind"] == "gl_actuals"}
    dialects = {
        "US01": ("utf-8-sig", ",", ".", "", "leading", "iso", "crlf"),
        "DE01": ("utf-8", ";", ",", ".", "trailing", "dmy_dots", "lf"),
        "GB01": ("utf-16", "\t", ".", "", "parentheses", "mdy_slashes", "crlf"),
    }
    per_company_day = Counter()
    for name, f in gl.items():
        match = GL_NAME.fullmatch(name)
        assert match, name
        assert match["company"] == f["company_code"]
        assert export_day(name).isoformat() == f["export_date"] == f["modified_at"][:10]
        assert (match["corrected"] is not None) == (f["export_reason"] == "correction") == bool(f["replaces_period"])
        assert (
            tuple(
                f[k]
                for k in (
                    "encoding",
                    "delimiter",
                    "decimal_sep",
                    "thousands_sep",
                    "negative_style",
                    "date_style",
                    "line_end",
                )
            )
            == dialects[f["company_code"]]
        ), name
        per_company_day[(f["company_code"], f["export_date"])] += 1
    assert max(per_company_day.values()) == 1  # one file per company and export date
    assert {f["company_code"] for f in gl.values()} == set(dialects)
    assert len({f["encoding"] for f in gl.values()}) == len({f["delimiter"] for f in gl.values()}) == 3
    companies = {company for (company,) in conn.execute("select distinct company_code from fin_gl_line")}
    currencies = {currency for (currency,) in conn.execute("select distinct currency from fin_gl_line")}
    assert len(companies) >= 3 and len(currencies) >= 3
    for f in formats.values():
        if f["kind"] != "gl_actuals":
            assert f["company_code"] == f["export_reason"] == f["replaces_period"] == ""


def test_closed_months_go_out_on_the_third_working_day_the_rest_month_to_date(conn) -> None:
    """Every company-period's first file: its month-end export, or the month-to-date one on the anchor day."""
    anchor = date(2026, 6, 30)
    latest = datetime(2026, 6, 30, 17, 55, tzinfo=UTC)
    formats = file_formats(conn)
    for (company, year, period), files in company_periods(conn).items():
        first = formats[files[0][0]]
        day = close_day(year, period)
        if day < anchor:
            assert first["export_reason"] == "month_end" and first["export_date"] == day.isoformat(), files
            assert first["modified_at"] == f"{day.isoformat()}T06:00:00+00:00"
        else:
            assert first["export_reason"] == "month_to_date" and first["export_date"] == anchor.isoformat(), files
        assert first["company_code"] == company
    for f in formats.values():
        moment = datetime.fromisoformat(f["modified_at"])
        assert moment <= latest
        if f["export_reason"] == "month_to_date":
            assert latest - timedelta(hours=6) <= moment
    # A month-end file holds its own month; a late adjustment may add the month before it.
    for name, f in formats.items():
        if f["export_reason"] == "month_end":
            periods = {
                (y, p)
                for y, p in conn.execute(
                    "select fiscal_year, fiscal_period from fin_gl_line where export_file = ? union "
                    "select fiscal_year, fiscal_period from fin_gl_line_superseded where export_file = ?",
                    (name, name),
                )
            }
            assert any(close_day(y, p).isoformat() == f["export_date"] for y, p in periods), name


def file_period_lines(conn: sqlite3.Connection, name: str, company: str, year: int, period: int) -> dict[tuple, tuple]:
    """One file's lines of one company-period: (document, line) -> (description, posting date)."""
    lines = {}
    for table in ("fin_gl_line", "fin_gl_line_superseded"):
        for document, number, description, posting in conn.execute(
            f"select document_number, line_number, description, posting_date from {table} "
            "where export_file = ? and company_code = ? and fiscal_year = ? and fiscal_period = ?",
            (name, company, year, period),
        ):
            lines[(document, number)] = (description, date.fromisoformat(posting))
    return lines


def test_a_late_adjustment_sends_its_period_again_in_full(conn) -> None:
    """A true-up posted after a month's export: the company's next file holds the month again, one line more."""
    formats = file_formats(conn)
    company_files = defaultdict(list)
    for name, f in formats.items():
        if f["kind"] == "gl_actuals":
            company_files[f["company_code"]].append((export_day(name), name))
    found = []
    for (company, year, period), files in company_periods(conn).items():
        for (older, _), (newer, _) in zip(files, files[1:]):
            if formats[newer]["export_reason"] == "correction":
                continue
            after = sorted(f for f in company_files[company] if f[0] > export_day(older))
            assert after[0][1] == newer, "a period goes out again in the company's very next file"
            before = file_period_lines(conn, older, company, year, period)
            now = file_period_lines(conn, newer, company, year, period)
            assert set(before) < set(now) and len(now) == len(before) + 1, (company, year, period, files)
            [(description, posting)] = [now[key] for key in set(now) - set(before)]
            assert description.startswith("Accrual true-up")
            last_day = date(year + period // 12, period % 12 + 1, 1) - timedelta(days=1)
            while last_day.weekday() >= 5:
                last_day -= timedelta(days=1)
            assert posting == last_day
            found.append(company)
    assert found and len(set(found)) >= 2


def test_a_corrected_re_export_replaces_one_company_period(conn) -> None:
    formats = file_formats(conn)
    corrections = [f for f in formats.values() if f["export_reason"] == "correction"]
    assert len(corrections) == 1
    correction = corrections[0]
    name, company = correction["export_file"], correction["company_code"]
    year, period = map(int, correction["replaces_period"].split("-"))
    held = set(
        conn.execute(
            "select company_code, fiscal_year, fiscal_period from fin_gl_line where export_file = ? union "
            "select company_code, fiscal_year, fiscal_period from fin_gl_line_superseded where export_file = ?",
            (name, name),
        )
    )
    assert held == {(company, year, period)}
    # The company's other periods and the other companies' same period are untouched by it.
    assert not [
        f
        for f in formats.values()
        if f["export_date"] == correction["export_date"]
        and f["export_file"] != name
        and f["kind"] == "gl_actuals"
        and f["company_code"] == company
    ]
    files = company_periods(conn)[(company, year, period)]
    assert files[-1][0] == name, "the correction is the newest version of its period"
    assert len(files) >= 3, "the world corrects a period a late adjustment had already sent out again"
    previous = files[-2][0]
    old = {
        (d, n): a
        for d, n, a in conn.execute(
            "select document_number, line_number, amount from fin_gl_line_superseded where export_file = ? "
            "and company_code = ? and fiscal_year = ? and fiscal_period = ?",
            (previous, company, year, period),
        )
    }
    current = {
        (d, n): a
        for d, n, a in conn.execute(
            "select document_number, line_number, amount from fin_gl_line where export_file = ?", (name,)
        )
    }
    assert len(old) == len(current) + 1 and set(current) < set(old)
    assert any(old[key] != amount for key, amount in current.items())
    first_export = date.fromisoformat(formats[files[0][0]]["export_date"])
    assert timedelta(weeks=4) <= date.fromisoformat(correction["export_date"]) - first_export <= timedelta(weeks=6)
    assert correction["modified_at"] > formats[previous]["modified_at"]


def test_a_chf_line_stays_in_the_ledger_without_any_fx_rate(conn, small_world_path: Path) -> None:
    assert conn.execute("select count(*) from fin_fx_rate where currency = 'CHF'").fetchone()[0] == 0
    with World.open(small_world_path) as world:
        missing = world.finance_lines_without_fx_rate()
    wbs = {json.loads(b)["u_wbs_code"] for (b,) in conn.execute("select body from sn_record where tbl = 'pm_project'")}
    assert len(missing) == 1
    line = missing[0]
    assert (line["company_code"], line["currency"], line["wbs_code"] in wbs) == ("GB01", "CHF", True)
    assert Decimal(line["amount"]) > 0 and line["export_file"].startswith("gl_actuals_GB01_")
    assert [row for row in conn.execute("select * from fin_gl_line where currency = 'CHF'")] == [tuple(line.values())]


def test_the_newest_file_per_company_period_gives_exactly_the_ledger(exported, conn) -> None:
    """The consistency theorem: the warehouse's rule applied to the files gives ``fin_gl_line``, no more, no less."""
    folder, _ = exported
    formats = file_formats(conn)
    broken = {(f, line) for f, line in conn.execute("select export_file, export_line from fin_broken_row")}
    files = gl_file_rows(folder, formats, broken)
    newest: dict[tuple[str, int, int], str] = {}
    for name in sorted(files, key=lambda n: (export_day(n), n)):
        for row in files[name]:
            newest[row[:3]] = name
    in_force = [row[:6] for name, rows in files.items() for row in rows if newest[row[:3]] == name]
    ledger = [
        (c, y, p, d, n, Decimal(a))
        for c, y, p, d, n, a in conn.execute(
            "select company_code, fiscal_year, fiscal_period, document_number, line_number, amount from fin_gl_line"
        )
    ]
    assert len(in_force) == len(set(in_force))
    assert Counter(in_force) == Counter(ledger)
    assert sum(len(rows) for rows in files.values()) > len(ledger)  # older versions are really in the files


def test_the_product_parser_rejects_exactly_the_broken_rows(exported, small_world_path: Path, tmp_path: Path) -> None:
    """The connector reads every file; only the eight broken rows are rejected, each for its reason."""
    from connectors.finance import sync_finance
    from connectors.landing import RawLanding

    folder, paths = exported
    landing = RawLanding(tmp_path / "raw")
    results = {r.entity: r for r in sync_finance(folder, landing, settle_seconds=0)}
    assert results["files"].files == len(paths)
    with World.open(small_world_path) as world:
        broken = {(name, line): reason for name, line, reason in world.finance_broken_rows()}
        lines = world.conn.execute("select count(*) from fin_gl_line").fetchone()[0]
        superseded = world.conn.execute("select count(*) from fin_gl_line_superseded").fetchone()[0]
    assert len(broken) == 8
    rejects = [json.loads(r) for r in landing.read("finance", "finance_rejects").column("record").to_pylist()]
    said = {
        "unparseable amount": "bad amount",
        "missing document_number": "missing document_number",
        "invalid posting_date": "bad posting_date",
        "wrong column count": "wrong number of columns",
        "unknown currency": "not a known ISO 4217 currency",
        "fiscal_period out of range": "fiscal_period 17",
        "invalid fiscal_year": "fiscal_year",
    }
    assert sorted((r["file_name"], r["line"]) for r in rejects) == sorted(broken)
    for reject in rejects:
        assert said[broken[(reject["file_name"], reject["line"])]] in reject["reason"], reject
    gl = [json.loads(r) for r in landing.read("finance", "gl_actuals").column("record").to_pylist()]
    assert len(gl) == lines + superseded
    assert [r["amount"] for r in gl if r["currency"] == "CHF"]  # parsed fine: the warehouse rejects it later


def test_gl_truth_is_plausible(conn, small_world_path: Path) -> None:
    wbs = {json.loads(b)["u_wbs_code"] for (b,) in conn.execute("select body from sn_record where tbl = 'pm_project'")}
    cost_centers = {
        json.loads(b)["code"] for (b,) in conn.execute("select body from sn_record where tbl = 'cmn_cost_center'")
    }
    rows = conn.execute(
        "select company_code, currency, fiscal_year, fiscal_period, posting_date, wbs_code, cost_center, amount, "
        "expense_type from fin_gl_line"
    ).fetchall()
    companies = {("US01", "USD"), ("DE01", "EUR"), ("GB01", "GBP"), ("GB01", "CHF")}
    assert {(r[0], r[1]) for r in rows} == companies
    assert Counter(r[1] for r in rows)["CHF"] == 1  # the one foreign invoice
    assert max((r[2], r[3]) for r in rows) == (2026, 6)
    assert all(r[4] <= "2026-06-30" and r[4][:7] == f"{r[2]}-{r[3]:02d}" for r in rows)
    assert {r[6] for r in rows} <= cost_centers
    assert {r[8] for r in rows} == {"CAPEX", "OPEX"}
    unmapped = [r for r in rows if r[5] not in wbs]
    assert 0 < len(unmapped) < len(rows) * 0.2
    assert any(Decimal(r[7]) < 0 for r in rows)
    rates = {(p, c) for p, c in conn.execute("select period, currency from fin_fx_rate")}
    assert {(f"{r[2]}-{r[3]:02d}", r[1]) for r in rows if r[1] != "CHF"} <= rates
    # Document numbers stay unique per company and year, late postings included.
    documents = conn.execute(
        "select company_code, fiscal_year, document_number, count(distinct fiscal_period) "
        "from fin_gl_line group by 1, 2, 3"
    ).fetchall()
    assert all(r[3] == 1 for r in documents)


def test_servicenow_actuals_track_the_gl_without_equalling_it(conn) -> None:
    rates = {
        (p, c): Decimal(r) for p, c, r in conn.execute("select period, currency, rate_to_reporting from fin_fx_rate")
    }
    gl = defaultdict(Decimal)
    for wbs, year, period, amount, currency in conn.execute(
        "select wbs_code, fiscal_year, fiscal_period, amount, currency from fin_gl_line"
    ):
        rate = rates.get((f"{year}-{period:02d}", currency))
        if rate is not None:  # a line no rate converts is rejected by the warehouse, not spend
            gl[wbs] += Decimal(amount) * rate
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
    fx = {
        (name, period, currency): Decimal(rate)
        for period, currency, rate, name in conn.execute("select * from fin_fx_rate")
    }
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
                assert values[1] == name[len("forecast_") : -4]
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
