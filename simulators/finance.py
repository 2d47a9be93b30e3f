"""Finance truth: FX rates, GL postings per project WBS and month, monthly forecast versions.

The ledger writes canonical rows into ``fin_gl_line``, ``fin_forecast`` and ``fin_fx_rate`` while
projects are generated, then ``finalize`` lays them out into export files: which file each row is
in and on which physical line, where the deliberately broken rows sit, and the corrected
re-export that replaces one fiscal period.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from simulators.finance_exports import FORMATS, FileFormat, gl_values
from simulators.organisation import COMPANIES, Organisation
from simulators.projects import CLOSED_STATES, PENDING, ProjectPlan
from simulators.scales import Scale
from simulators.seeding import stream
from simulators.store import RowBuffer
from simulators.timeline import Timeline, add_months, month_end, month_start, months_between

REPORTING_CURRENCY = "USD"
CENT = Decimal("0.01")
FX_START = {"EUR": 1.08, "GBP": 1.27}
# Document numbers start with a digit per company, then the two-digit year: 1250000123.
DOCUMENT_PREFIX = {company.code: position + 1 for position, company in enumerate(COMPANIES)}
UNMAPPED_WBS = ("WBS-90011", "WBS-90012", "WBS-90013")
INSERT_GL = "insert into fin_gl_line values (" + ", ".join("?" * 17) + ")"
INSERT_FORECAST = "insert into fin_forecast values (?, ?, ?, ?, ?, ?, ?, ?, ?)"
CAPEX_ACCOUNTS = (("170100", "Assets under construction"), ("170200", "Capitalised software"))
OPEX_ACCOUNTS = (
    ("610000", "External services"), ("620000", "Software licences"),
    ("640000", "Internal labour recharge"), ("660000", "Travel"),
)
BROKEN_REASONS = (
    "unparseable amount", "missing document_number", "invalid posting_date", "wrong column count",
    "unknown currency", "fiscal_period out of range", "unparseable amount", "invalid fiscal_year",
)


def fx_rates(seed: int, timeline: Timeline) -> dict[tuple[date, str], Decimal]:
    """Monthly rate_to_reporting per currency: a gentle random walk, USD fixed at 1."""
    rates: dict[tuple[date, str], Decimal] = {}
    # A project may start a few days before the history window: its first month needs a rate too.
    first = add_months(timeline.history_start, -3)
    for currency, start in FX_START.items():
        rng = stream(seed, "fx", currency)
        value = start
        for month in months_between(first, timeline.anchor):
            value *= 1 + rng.uniform(-0.015, 0.015)
            rates[(month, currency)] = Decimal(f"{value:.6f}")
    for month in months_between(first, timeline.anchor):
        rates[(month, REPORTING_CURRENCY)] = Decimal("1.000000")
    return rates


def gl_file_name(month: date) -> str:
    return f"gl_actuals_{month.year}H{1 if month.month <= 6 else 2}.csv"


@dataclass(frozen=True)
class GlLine:
    company_code: str
    posting: date
    account: str
    cost_center: str
    wbs: str
    vendor_id: str
    vendor_name: str
    expense_type: str
    amount: Decimal
    currency: str
    description: str


class Ledger:
    """The general ledger and forecasts as finance keeps them, built project by project."""

    def __init__(self, seed: int, scale: Scale, timeline: Timeline, org: Organisation, rows: RowBuffer) -> None:
        self.seed = seed
        self.scale = scale
        self.timeline = timeline
        self.org = org
        self.rows = rows
        self.fx = fx_rates(seed, timeline)
        self._documents: dict[tuple[str, int], int] = {}

    def rate(self, month: date, currency: str) -> Decimal:
        latest = min(month_start(month), self.timeline.anchor_month)
        return self.fx[(latest, currency)]

    def _post(self, line: GlLine, document: str, line_number: int) -> None:
        self.rows.add(
            INSERT_GL,
            (
                line.company_code, line.posting.year, line.posting.month, line.posting.isoformat(),
                document, line_number, line.account, line.cost_center, line.wbs, line.vendor_id,
                line.vendor_name, line.expense_type, str(line.amount), line.currency,
                line.description, gl_file_name(line.posting), 0,
            ),
        )

    def _post_document(self, lines: list[GlLine]) -> None:
        company = lines[0].company_code
        year = lines[0].posting.year
        counter = self._documents.get((company, year), 0) + 1
        self._documents[(company, year)] = counter
        prefix = DOCUMENT_PREFIX.get(company, 9)
        document = f"{prefix}{year % 100:02d}{counter:07d}"
        for number, line in enumerate(lines, start=1):
            self._post(line, document, number)

    def _posting_day(self, rng: random.Random, month: date, first: date, last: date) -> date:
        first = max(first, month)
        last = min(last, month_end(month), self.timeline.anchor)
        if last < first:
            first = last
        day = first + timedelta(days=rng.randint(0, (last - first).days))
        while day.weekday() >= 5 and day > first:
            day -= timedelta(days=1)
        return day

    def post_project(self, plan: ProjectPlan) -> dict[date, tuple[float, float]]:
        """Post the project's monthly spend as GL lines; return ServiceNow's view of the actuals.

        ServiceNow's actual (from its own expense lines) tracks the GL within a few percent: the
        GL is the system of record, ServiceNow's figure is only reconciled against it.
        """
        rng = stream(self.seed, "gl", plan.index)
        company = plan.company
        cost_center = plan.department.cost_center_code
        vendors = self.org.vendors
        project_vendors = [vendors[rng.randrange(len(vendors))] for _ in range(3)]
        sn_view: dict[date, tuple[float, float]] = {}
        first_day = plan.work_start.date() if plan.work_start else self.timeline.anchor
        last_day = plan.work_end.date() if plan.work_end else self.timeline.anchor
        for month, (capex, opex) in sorted(plan.spend.items()):
            rate = self.rate(month, company.currency)
            usd_totals = []
            lines_wanted = rng.randint(*self.scale.gl_lines_per_month)
            for expense_type, usd in (("CAPEX", capex), ("OPEX", opex)):
                if usd <= 0.5:
                    usd_totals.append(0.0)
                    continue
                share = usd / (capex + opex)
                count = max(1, round(lines_wanted * share))
                local_total = (Decimal(usd) / rate).quantize(CENT, ROUND_HALF_UP)
                weights = [rng.uniform(0.5, 1.5) for _ in range(count)]
                amounts = [
                    (local_total * Decimal(w / sum(weights))).quantize(CENT, ROUND_HALF_UP) for w in weights
                ]
                amounts[-1] += local_total - sum(amounts)
                if count > 1 and rng.random() < 0.08:
                    credit = (amounts[0] * Decimal(rng.uniform(0.1, 0.3))).quantize(CENT, ROUND_HALF_UP)
                    amounts[0] += credit
                    amounts.append(-credit)
                lines = []
                for amount in amounts:
                    accounts = CAPEX_ACCOUNTS if expense_type == "CAPEX" else OPEX_ACCOUNTS
                    account, label = accounts[rng.randrange(len(accounts))]
                    if account == "640000":
                        vendor_id, vendor_name = "V000001", "Internal labour allocation"
                    else:
                        vendor = project_vendors[rng.randrange(3)]
                        vendor_id, vendor_name = vendor.vendor_id, vendor.name
                    cc = cost_center
                    if account == "620000" and rng.random() < 0.5:
                        cc = self.org.extra_cost_centers[1][1]
                    kind = "Credit note" if amount < 0 else label
                    lines.append(
                        GlLine(
                            company.code, self._posting_day(rng, month, first_day, last_day), account, cc,
                            plan.wbs, vendor_id, vendor_name, expense_type, amount, company.currency,
                            f"{kind} {month:%b %Y} {plan.number}",
                        )
                    )
                # Invoices of one to three lines share a document and a posting date.
                position = 0
                while position < len(lines):
                    size = rng.randint(1, 3)
                    group = lines[position:position + size]
                    posting = group[0].posting
                    self._post_document([_with_posting(line, posting) for line in group])
                    position += size
                usd_totals.append(float(sum(line.amount for line in lines) * rate))
            sn_view[month] = (usd_totals[0] * rng.uniform(0.97, 1.03), usd_totals[1] * rng.uniform(0.97, 1.03))
        return sn_view

    def post_unmapped(self) -> None:
        """Shared costs booked to WBS elements no project carries (counted as unmapped spend)."""
        rng = stream(self.seed, "gl-unmapped")
        vendors = self.org.vendors
        cost_center = self.org.extra_cost_centers[0][1]
        per_month = max(1, self.scale.gl_lines_per_month[0] // 2)
        for month in months_between(self.timeline.history_start, self.timeline.anchor):
            for _ in range(per_month):
                vendor = vendors[rng.randrange(len(vendors))]
                amount = Decimal(f"{rng.uniform(500, 25_000):.2f}")
                line = GlLine(
                    "US01", self._posting_day(rng, month, month, month_end(month)), "610000",
                    cost_center, rng.choice(UNMAPPED_WBS), vendor.vendor_id, vendor.name, "OPEX",
                    amount, "USD", f"Shared tooling {month:%b %Y}",
                )
                self._post_document([line])

    def forecast_project(self, plan: ProjectPlan) -> None:
        """Monthly forecast versions of the project's remaining cost, made in each of the last 12 months."""
        if plan.state == PENDING or not plan.planned:
            return
        rng = stream(self.seed, "forecast", plan.index)
        timeline = self.timeline
        first_version = max(timeline.history_start, add_months(timeline.anchor_month, -11))
        monthly_plan = sum(c + o for c, o in plan.planned.values()) / len(plan.planned)
        cost_center = plan.department.cost_center_code
        currency = plan.company.currency
        for version in months_between(first_version, timeline.anchor):
            if plan.work_end is not None and plan.work_end.date() < version:
                continue
            if plan.state in CLOSED_STATES and plan.work_start is None:
                continue
            progress = plan.progress_at(month_end(version)) if plan.work_start else 0.0
            estimate = 1 + (plan.cost_factor - 1) * min(1.0, 0.3 + progress)
            months: dict[date, tuple[float, float]] = {m: v for m, v in plan.planned.items() if m >= version}
            if plan.true_end is not None and plan.work_end is None:
                for month in months_between(add_months(plan.current_end, 1), plan.true_end):
                    if month >= version:
                        months.setdefault(month, (monthly_plan * plan.capex_share, monthly_plan * (1 - plan.capex_share)))
            if not months:
                continue
            rate = self.rate(version, currency)
            label = f"{version:%Y-%m}"
            file_name = f"forecast_{label}.csv"
            years = sorted({m.year for m in months})
            for slot, expense_type in ((0, "CAPEX"), (1, "OPEX")):
                if not any(values[slot] for values in months.values()):
                    continue
                for year in years:
                    start_month = version.month if year == version.year else 1
                    for month_number in range(start_month, 13):
                        value = months.get(date(year, month_number, 1), (0.0, 0.0))[slot]
                        local = Decimal(value * estimate * rng.uniform(0.97, 1.03)) / rate if value else Decimal(0)
                        self.rows.add(
                            INSERT_FORECAST,
                            (year, label, plan.wbs, cost_center, expense_type, currency, month_number,
                             str(local.quantize(CENT, ROUND_HALF_UP)), file_name),
                        )

    def finalize(self, conn: sqlite3.Connection) -> None:
        """Lay the truth out into files: line numbers, broken rows, the corrected re-export, FX."""
        self.rows.flush()
        timeline = self.timeline
        latest = timeline.latest
        rng = stream(self.seed, "finance-files")
        files: list[tuple[str, str, FileFormat, datetime, str]] = []  # name, kind, format, mtime, replaces

        gl_names = [row[0] for row in conn.execute("select distinct export_file from fin_gl_line order by 1")]
        sizes = dict(conn.execute("select export_file, count(*) from fin_gl_line group by 1").fetchall())
        eligible = [name for name in gl_names if sizes[name] >= 40] or gl_names
        broken_for: dict[str, list[str]] = {name: [] for name in gl_names}
        for position, reason in enumerate(BROKEN_REASONS):
            broken_for[eligible[position % len(eligible)]].append(reason)
        for index, name in enumerate(gl_names):
            fmt = FORMATS[index % len(FORMATS)]
            half_end = _half_end(name)
            mtime = min(_moment(half_end + timedelta(days=4), 6), latest - timedelta(hours=1))
            files.append((name, "gl_actuals", fmt, mtime, ""))
            self._number_gl_file(conn, name, fmt, broken_for[name], rng)

        # Finance corrects the last period of the previous half-year and exports it again.
        if len(gl_names) >= 2:
            original = gl_names[-2]
            period_month = month_start(_half_end(original))
            original_mtime = next(f[3] for f in files if f[0] == original)
            fmt = FORMATS[(len(gl_names) + 1) % len(FORMATS)]
            name = f"{original[:-4]}_P{period_month.month:02d}_corrected.csv"
            mtime = min(original_mtime + timedelta(days=35, hours=1, minutes=30), latest - timedelta(minutes=30))
            self._correct_period(conn, period_month, name, rng)
            files.append((name, "gl_actuals", fmt, mtime, f"{period_month.year}-{period_month.month:02d}"))

        for index, (name,) in enumerate(conn.execute("select distinct export_file from fin_forecast order by 1").fetchall()):
            version = date.fromisoformat(name[len("forecast_"):-4] + "-01")
            mtime = min(_moment(month_end(version) + timedelta(days=3), 6), latest - timedelta(hours=1))
            files.append((name, "forecast", FORMATS[(index + 2) % len(FORMATS)], mtime, ""))

        by_year: dict[int, list[tuple[str, str, str]]] = {}
        for (month, currency), rate in sorted(self.fx.items()):
            by_year.setdefault(month.year, []).append((f"{month:%Y-%m}", currency, str(rate)))
        for index, (year, rates) in enumerate(sorted(by_year.items())):
            name = f"fx_rates_{year}.csv"
            conn.executemany(
                "insert into fin_fx_rate values (?, ?, ?, ?)", [(*rate, name) for rate in rates]
            )
            mtime = min(_moment(date(year, 12, 31) + timedelta(days=2), 5), latest - timedelta(hours=2))
            files.append((name, "fx_rates", FORMATS[(index + 1) % len(FORMATS)], mtime, ""))

        for name, kind, fmt, mtime, replaces in files:
            conn.execute(
                "insert into fin_export_file values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name, kind, fmt.encoding, fmt.delimiter, fmt.decimal_sep, fmt.thousands_sep,
                    fmt.negative_style, fmt.date_style, "crlf" if fmt.line_end == "\r\n" else "lf",
                    mtime.isoformat(), replaces,
                ),
            )

    def _number_gl_file(
        self, conn: sqlite3.Connection, name: str, fmt: FileFormat, reasons: list[str], rng: random.Random
    ) -> None:
        rowids = [
            row[0]
            for row in conn.execute(
                "select rowid from fin_gl_line where export_file = ? order by fiscal_year, fiscal_period, "
                "posting_date, company_code, document_number, line_number",
                (name,),
            )
        ]
        breaks = {len(rowids) * (k + 1) // (len(reasons) + 1): reason for k, reason in enumerate(reasons)}
        updates = []
        line = 1
        for position, rowid in enumerate(rowids):
            if position in breaks:
                line += 1
                template = conn.execute(
                    "select * from fin_gl_line where rowid = ?", (rowid,)
                ).fetchone()
                raw = _broken_line(template, fmt, breaks[position], rng)
                conn.execute(
                    "insert into fin_broken_row values (?, ?, ?, ?)", (name, line, raw, breaks[position])
                )
            line += 1
            updates.append((line, rowid))
        conn.executemany("update fin_gl_line set export_line = ? where rowid = ?", updates)

    def _correct_period(self, conn: sqlite3.Connection, month: date, name: str, rng: random.Random) -> None:
        where = "fiscal_year = ? and fiscal_period = ?"
        key = (month.year, month.month)
        conn.execute(f"insert into fin_gl_line_superseded select * from fin_gl_line where {where}", key)
        rows = conn.execute(
            f"select rowid, amount, wbs_code from fin_gl_line where {where} order by export_line", key
        ).fetchall()
        removable = [rowid for rowid, _, wbs in rows if wbs not in UNMAPPED_WBS]
        removed = removable[len(removable) // 2] if removable else rows[0][0]
        conn.execute("delete from fin_gl_line where rowid = ?", (removed,))
        line = 1
        for position, (rowid, amount, _) in enumerate(rows):
            if rowid == removed:
                continue
            line += 1
            new_amount = Decimal(amount)
            if position % 5 == 1:
                new_amount = (new_amount * Decimal(rng.choice(("0.9", "1.07", "1.15")))).quantize(CENT, ROUND_HALF_UP)
            conn.execute(
                "update fin_gl_line set amount = ?, export_file = ?, export_line = ? where rowid = ?",
                (str(new_amount), name, line, rowid),
            )


def _with_posting(line: GlLine, posting: date) -> GlLine:
    return GlLine(
        line.company_code, posting, line.account, line.cost_center, line.wbs, line.vendor_id,
        line.vendor_name, line.expense_type, line.amount, line.currency, line.description,
    )


def _half_end(file_name: str) -> date:
    year, half = int(file_name[11:15]), int(file_name[16])
    return date(year, 6, 30) if half == 1 else date(year, 12, 31)


def _moment(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _broken_line(template: tuple, fmt: FileFormat, reason: str, rng: random.Random) -> str:
    """A GL line that no parser should accept, for the given reason, in the file's own style."""
    values = gl_values(template, fmt)
    values[4] = f"9{rng.randint(0, 99_999_999):08d}"  # a document of its own, never in the truth
    if reason == "unparseable amount":
        values[12] = "12,3x4" if values[12] != "12,3x4" else "1x"
    elif reason == "missing document_number":
        values[4] = ""
    elif reason == "invalid posting_date":
        values[3] = fmt.bad_date(int(values[1]))
    elif reason == "wrong column count":
        values = values[:-2]
    elif reason == "unknown currency":
        values[13] = "XXX"
    elif reason == "fiscal_period out of range":
        values[2] = "17"
    elif reason == "invalid fiscal_year":
        values[1] = f"FY{values[1][2:]}"
    return fmt.line(values)
