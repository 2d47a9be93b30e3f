"""Finance truth: FX rates, GL postings per project WBS and month, monthly forecast versions.

The finance team is a group of legal entities (``COMPANIES``: US01, DE01, GB01), each booking
its projects' spend in its own currency. The ledger writes canonical rows into ``fin_gl_line``,
``fin_forecast`` and ``fin_fx_rate`` while projects are generated; ``finalize`` then posts what
finance posts last and lays everything out into export files:

- each company exports its GL itself, in its own dialect, once a month after the close and
  month-to-date on the anchor day (``simulators.world.gl_exports`` says when and in which file);
- accrual true-ups posted into a month after its export bring that month back, in full, in the
  company's next export;
- one company re-exports one period corrected about five weeks later;
- one vendor invoice of GB01 is in CHF, a currency the FX files hold no rate for;
- eight rows are broken on purpose (``gl_exports.BROKEN_REASONS``), in files long enough to hide
  them.

``fin_gl_line`` holds each line once, as finance means it now, in the newest file holding it;
copies in older files are in ``fin_gl_line_superseded`` (see ``simulators.world.store``).
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from simulators.world.finance_exports import FORMATS, GL_COLUMNS, FileFormat
from simulators.world.gl_exports import (
    Correction,
    GlExport,
    LateLine,
    close_day,
    export_late_line,
    last_working_day,
    lay_out,
    regular_exports,
)
from simulators.world.organisation import COMPANIES, Company, Organisation
from simulators.world.projects import CLOSED_STATES, PENDING, ProjectPlan
from simulators.world.scales import Scale
from simulators.world.seeding import stream
from simulators.world.store import RowBuffer, create_secondary_index
from simulators.world.timeline import Timeline, add_months, at, month_end, month_start, months_between

REPORTING_CURRENCY = "USD"
CENT = Decimal("0.01")
FX_START = {"EUR": 1.08, "GBP": 1.27}
# Document numbers start with a digit per company, then the two-digit year: 1250000123.
DOCUMENT_PREFIX = {company.code: position + 1 for position, company in enumerate(COMPANIES)}
COMPANY_BY_CODE = {company.code: company for company in COMPANIES}
UNMAPPED_WBS = ("WBS-90011", "WBS-90012", "WBS-90013")
INTERNAL_VENDOR = "V000001"
# The invoice no FX file can convert: a UK project's Swiss vendor billing in francs.
FOREIGN_INVOICE_COMPANY = "GB01"
FOREIGN_INVOICE_CURRENCY = "CHF"
# A late adjustment is entered a week after its month's export; a correction about five weeks after.
LATE_ENTRY_DELAY = timedelta(days=7)
CORRECTION_DELAY = timedelta(days=35)
CORRECTION_SECONDS = 7 * 3600 + 30 * 60  # 07:30 UTC: someone re-runs the export by hand
INSERT_GL = "insert into fin_gl_line values (" + ", ".join("?" * 17) + ")"
INSERT_FORECAST = "insert into fin_forecast values (?, ?, ?, ?, ?, ?, ?, ?, ?)"
CAPEX_ACCOUNTS = (("170100", "Assets under construction"), ("170200", "Capitalised software"))
OPEX_ACCOUNTS = (
    ("610000", "External services"),
    ("620000", "Software licences"),
    ("640000", "Internal labour recharge"),
    ("660000", "Travel"),
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
                line.company_code,
                line.posting.year,
                line.posting.month,
                line.posting.isoformat(),
                document,
                line_number,
                line.account,
                line.cost_center,
                line.wbs,
                line.vendor_id,
                line.vendor_name,
                line.expense_type,
                str(line.amount),
                line.currency,
                line.description,
                "",
                0,  # file and line: finalize lays the files out
            ),
        )

    def _post_document(self, lines: list[GlLine]) -> str:
        company = lines[0].company_code
        year = lines[0].posting.year
        counter = self._documents.get((company, year), 0) + 1
        self._documents[(company, year)] = counter
        prefix = DOCUMENT_PREFIX.get(company, 9)
        document = f"{prefix}{year % 100:02d}{counter:07d}"
        for number, line in enumerate(lines, start=1):
            self._post(line, document, number)
        return document

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
                amounts = [(local_total * Decimal(w / sum(weights))).quantize(CENT, ROUND_HALF_UP) for w in weights]
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
                        vendor_id, vendor_name = INTERNAL_VENDOR, "Internal labour allocation"
                    else:
                        vendor = project_vendors[rng.randrange(3)]
                        vendor_id, vendor_name = vendor.vendor_id, vendor.name
                    cc = cost_center
                    if account == "620000" and rng.random() < 0.5:
                        cc = self.org.extra_cost_centers[1][1]
                    kind = "Credit note" if amount < 0 else label
                    lines.append(
                        GlLine(
                            company.code,
                            self._posting_day(rng, month, first_day, last_day),
                            account,
                            cc,
                            plan.wbs,
                            vendor_id,
                            vendor_name,
                            expense_type,
                            amount,
                            company.currency,
                            f"{kind} {month:%b %Y} {plan.number}",
                        )
                    )
                # Invoices of one to three lines share a document and a posting date.
                position = 0
                while position < len(lines):
                    size = rng.randint(1, 3)
                    group = lines[position : position + size]
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
            for number in range(per_month):
                vendor = vendors[rng.randrange(len(vendors))]
                vendor_id, vendor_name, text = vendor.vendor_id, vendor.name, "Shared tooling"
                if number == 0 and month.month % 3 == 0:
                    # a quarter-end accrual is booked before any invoice: it names no vendor
                    vendor_id, vendor_name, text = "", "", "Quarter-end accrual, shared tooling"
                amount = Decimal(f"{rng.uniform(500, 25_000):.2f}")
                line = GlLine(
                    "US01",
                    self._posting_day(rng, month, month, month_end(month)),
                    "610000",
                    cost_center,
                    rng.choice(UNMAPPED_WBS),
                    vendor_id,
                    vendor_name,
                    "OPEX",
                    amount,
                    "USD",
                    f"{text} {month:%b %Y}",
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
                        months.setdefault(
                            month, (monthly_plan * plan.capex_share, monthly_plan * (1 - plan.capex_share))
                        )
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
                            (
                                year,
                                label,
                                plan.wbs,
                                cost_center,
                                expense_type,
                                currency,
                                month_number,
                                str(local.quantize(CENT, ROUND_HALF_UP)),
                                file_name,
                            ),
                        )

    def finalize(self, conn: sqlite3.Connection) -> None:
        """Post what finance posts last, then lay everything out into export files.

        Last postings: the vendor invoice in a currency the FX files have no rate for, and the
        late adjustments into closed months. Then each company's GL exports (month-end,
        month-to-date, the late months again, one corrected re-export), forecasts and FX rates.
        """
        self.rows.flush()
        create_secondary_index(conn, "fin_gl_line_by_period")
        months = _months_with_lines(conn)
        exports = regular_exports(months, self.timeline)
        self._post_foreign_invoice(conn, months)
        late = self._post_late_adjustments(conn, months)
        for line in late:
            export_late_line(exports, line)
        correction = self._plan_correction(conn, exports, late)
        if correction is not None:
            exports.append(correction)
        lay_out(conn, exports, late, stream(self.seed, "finance-files"))

        files = [
            ExportFile(e.name, "gl_actuals", e.fmt, e.moment, e.company, e.reason, e.replaces_period) for e in exports
        ]
        files += self._forecast_files(conn)
        files += self._fx_files(conn)
        conn.executemany(
            "insert into fin_export_file (export_file, kind, company_code, export_date, export_reason, "
            "encoding, delimiter, decimal_sep, thousands_sep, negative_style, date_style, line_end, "
            "modified_at, replaces_period) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [f.row() for f in files],
        )

    def _project_line(
        self, conn: sqlite3.Connection, company: Company, month: date, rng: random.Random
    ) -> GlLine | None:
        """A random line of the company-period booked to a project, in the company's currency."""
        rows = conn.execute(
            f"select {', '.join(GL_COLUMNS)} from fin_gl_line "
            "where company_code = ? and fiscal_year = ? and fiscal_period = ? and currency = ? "
            "order by posting_date, document_number, line_number",
            (company.code, month.year, month.month, company.currency),
        ).fetchall()
        rows = [row for row in rows if row[8] not in UNMAPPED_WBS]
        if not rows:
            return None
        row = rows[rng.randrange(len(rows))]
        return GlLine(
            row[0],
            date.fromisoformat(row[3]),
            row[6],
            row[7],
            row[8],
            row[9],
            row[10],
            row[11],
            Decimal(row[12]),
            row[13],
            row[14],
        )

    def _post_foreign_invoice(self, conn: sqlite3.Connection, months: dict[str, list[date]]) -> None:
        """A UK project's vendor invoice in CHF, a currency the FX files hold no rate for.

        It is a real GL line: it stays in the ledger and in its file; the warehouse rejects it
        for its missing rate (``World.finance_lines_without_fx_rate`` lists it).
        """
        company = COMPANY_BY_CODE[FOREIGN_INVOICE_COMPANY]
        rng = stream(self.seed, "gl-foreign-invoice")
        closed = [m for m in months.get(company.code, []) if close_day(m) < self.timeline.anchor]
        for month in rng.sample(closed, len(closed)):
            template = self._project_line(conn, company, month, rng)
            if template is not None:
                break
        else:
            return
        vendor_id, vendor_name = template.vendor_id, template.vendor_name
        if vendor_id == INTERNAL_VENDOR:
            vendor = self.org.vendors[rng.randrange(len(self.org.vendors))]
            vendor_id, vendor_name = vendor.vendor_id, vendor.name
        amount = max(Decimal("100.00"), (abs(template.amount) * Decimal(rng.uniform(0.3, 0.8))).quantize(CENT))
        self._post_document(
            [
                GlLine(
                    company.code,
                    template.posting,
                    "610000",
                    template.cost_center,
                    template.wbs,
                    vendor_id,
                    vendor_name,
                    "OPEX",
                    amount,
                    FOREIGN_INVOICE_CURRENCY,
                    f"External services (CHF invoice) {month:%b %Y} {_project_number(template)}",
                )
            ]
        )

    def _post_late_adjustments(self, conn: sqlite3.Connection, months: dict[str, list[date]]) -> list[LateLine]:
        """Accrual true-ups posted into a closed month after its export: one per company and quarter.

        Each is dated the month's last working day but entered a week after the month-end export,
        so the company's next export carries the month again in full.
        """
        rng = stream(self.seed, "gl-late-adjustments")
        anchor = self.timeline.anchor
        posted: list[tuple[str, date, date, str]] = []
        for position, company in enumerate(COMPANIES):
            company_months = months.get(company.code, [])
            for month in company_months:
                closed_on = close_day(month)
                # One month in three per company, a different one for each company.
                if (month.year * 12 + month.month) % 3 != position or closed_on >= anchor:
                    continue
                if not any(later > month for later in company_months):
                    continue  # the company exports nothing later that could carry it
                template = self._project_line(conn, company, month, rng)
                if template is None:
                    continue
                amount = max(Decimal("1.00"), (abs(template.amount) * Decimal(rng.uniform(0.05, 0.2))).quantize(CENT))
                if rng.random() < 0.4:
                    amount = -amount
                document = self._post_document(
                    [
                        GlLine(
                            company.code,
                            last_working_day(month),
                            template.account,
                            template.cost_center,
                            template.wbs,
                            template.vendor_id,
                            template.vendor_name,
                            template.expense_type,
                            amount,
                            company.currency,
                            f"Accrual true-up {month:%b %Y} {_project_number(template)}",
                        )
                    ]
                )
                posted.append((company.code, month, min(closed_on + LATE_ENTRY_DELAY, anchor), document))
        self.rows.flush()
        late = []
        for company_code, month, entered, document in posted:
            (rowid,) = conn.execute(
                "select rowid from fin_gl_line where company_code = ? and fiscal_year = ? and document_number = ?",
                (company_code, month.year, document),
            ).fetchone()
            late.append(LateLine(rowid, company_code, month, entered))
        return late

    def _plan_correction(
        self, conn: sqlite3.Connection, exports: list[GlExport], late: list[LateLine]
    ) -> GlExport | None:
        """Finance corrects one company's period about five weeks after its month-end export.

        It picks the latest period that a late adjustment already sent out twice, when there is
        one: that company-period then has three versions, the newest being the correction.
        """
        anchor = self.timeline.anchor
        last_export: dict[tuple[str, date], date] = {}
        for export in exports:
            for month in export.months:
                key = (export.company, month)
                last_export[key] = max(last_export.get(key, export.day), export.day)
        adjusted = {(line.company, line.month) for line in late}
        candidates = []
        for (company, month), last in last_export.items():
            day = close_day(month) + CORRECTION_DELAY
            if day < anchor and last < day:
                candidates.append(((company, month) in adjusted, month, company))
        rng = stream(self.seed, "gl-correction")
        late_rowids = {line.rowid for line in late}
        for _, month, company in sorted(candidates, reverse=True):
            correction = _correction(conn, COMPANY_BY_CODE[company], month, late_rowids, rng)
            if correction is not None:
                day = close_day(month) + CORRECTION_DELAY
                moment = at(day, CORRECTION_SECONDS)
                return GlExport(company, day, moment, "correction", [month], correction)
        return None

    def _forecast_files(self, conn: sqlite3.Connection) -> list[ExportFile]:
        latest = self.timeline.latest
        files = []
        for index, (name,) in enumerate(
            conn.execute("select distinct export_file from fin_forecast order by 1").fetchall()
        ):
            version = date.fromisoformat(name[len("forecast_") : -4] + "-01")
            mtime = min(at(month_end(version) + timedelta(days=3), 6 * 3600), latest - timedelta(hours=1))
            files.append(ExportFile(name, "forecast", FORMATS[(index + 2) % len(FORMATS)], mtime))
        return files

    def _fx_files(self, conn: sqlite3.Connection) -> list[ExportFile]:
        latest = self.timeline.latest
        by_year: dict[int, list[tuple[str, str, str]]] = {}
        for (month, currency), rate in sorted(self.fx.items()):
            by_year.setdefault(month.year, []).append((f"{month:%Y-%m}", currency, str(rate)))
        files = []
        for index, (year, rates) in enumerate(sorted(by_year.items())):
            name = f"fx_rates_{year}.csv"
            conn.executemany("insert into fin_fx_rate values (?, ?, ?, ?)", [(*rate, name) for rate in rates])
            mtime = min(at(date(year, 12, 31) + timedelta(days=2), 5 * 3600), latest - timedelta(hours=2))
            files.append(ExportFile(name, "fx_rates", FORMATS[(index + 1) % len(FORMATS)], mtime))
        return files


@dataclass(frozen=True)
class ExportFile:
    """A ``fin_export_file`` row: what a file holds, whose it is, when and how it was written."""

    name: str
    kind: str
    fmt: FileFormat
    moment: datetime
    company: str = ""
    reason: str = ""
    replaces_period: str = ""

    def row(self) -> tuple[str, ...]:
        fmt = self.fmt
        return (
            self.name,
            self.kind,
            self.company,
            self.moment.date().isoformat(),
            self.reason,
            fmt.encoding,
            fmt.delimiter,
            fmt.decimal_sep,
            fmt.thousands_sep,
            fmt.negative_style,
            fmt.date_style,
            "crlf" if fmt.line_end == "\r\n" else "lf",
            self.moment.isoformat(),
            self.replaces_period,
        )


def _months_with_lines(conn: sqlite3.Connection) -> dict[str, list[date]]:
    """Each company's months with GL lines, in order."""
    months: dict[str, list[date]] = {}
    for company, year, period in conn.execute(
        "select distinct company_code, fiscal_year, fiscal_period from fin_gl_line order by 1, 2, 3"
    ):
        months.setdefault(company, []).append(date(year, period, 1))
    return months


def _correction(
    conn: sqlite3.Connection, company: Company, month: date, late_rowids: set[int], rng: random.Random
) -> Correction | None:
    """Some amounts changed and one project line removed, or None when the period is too thin."""
    rows = conn.execute(
        "select rowid, wbs_code, currency, amount from fin_gl_line "
        "where company_code = ? and fiscal_year = ? and fiscal_period = ? "
        "order by posting_date, document_number, line_number",
        (company.code, month.year, month.month),
    ).fetchall()
    # Never the CHF invoice or a late adjustment: the correction takes out an ordinary project line.
    removable = [
        r[0] for r in rows if r[1] not in UNMAPPED_WBS and r[2] == company.currency and r[0] not in late_rowids
    ]
    if len(rows) < 3 or not removable:
        return None
    removed = removable[len(removable) // 2]
    kept = [r for r in rows if r[0] != removed]
    amounts = {
        rowid: str((Decimal(amount) * Decimal(rng.choice(("0.9", "1.07", "1.15")))).quantize(CENT, ROUND_HALF_UP))
        for position, (rowid, _, _, amount) in enumerate(kept)
        if position % 5 == 1
    }
    return Correction(removed, amounts)


def _project_number(line: GlLine) -> str:
    """The project number a project line's description ends with."""
    return line.description.rsplit(" ", 1)[-1]


def _with_posting(line: GlLine, posting: date) -> GlLine:
    return GlLine(
        line.company_code,
        posting,
        line.account,
        line.cost_center,
        line.wbs,
        line.vendor_id,
        line.vendor_name,
        line.expense_type,
        line.amount,
        line.currency,
        line.description,
    )
