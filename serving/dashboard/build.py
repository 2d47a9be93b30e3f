"""Writing the static dashboard: one HTML page per subject, the chart library beside them.

The pages open from the file system and work offline: plotly.js is copied out of the `plotly`
wheel into `assets/` (no CDN, nothing fetched at run time), and each page carries the mart rows
it shows as JSON in the page itself. The pages' script only filters those rows by portfolio and
draws them.

Files are written into a fresh folder next to the target and then moved into place one by one,
the assets first, so a reader never loads a page whose script is not there yet.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from serving.dashboard.queries import page_data
from serving.marts import open_published


@dataclass(frozen=True)
class Page:
    key: str  # the dataset key in queries.page_data and the renderer in dashboard.js
    file: str
    title: str
    summary: str


PAGES = (
    Page(
        "overview",
        "index.html",
        "Overview",
        "The five portfolio KPIs: month to date, last complete month, 12-month trends.",
    ),
    Page(
        "financials",
        "financials.html",
        "Financials",
        "Plan, forecast and actual cost; capex and opex; budget variance; earned value.",
    ),
    Page("schedule", "schedule.html", "Schedule", "On-time delivery, RAG status, slipping milestones."),
    Page("risk", "risk.html", "Risk", "The 5×5 heat map with exposure, and the top open risks."),
    Page("benefits", "benefits.html", "Benefits", "Planned vs actual benefits, cumulative."),
    Page(
        "capacity",
        "capacity.html",
        "Capacity",
        "Utilisation per person and month by department; over-allocated people.",
    ),
    Page("delivery", "delivery.html", "Delivery flow", "Throughput, work in progress and cycle time per Jira project."),
    Page("prioritisation", "prioritisation.html", "Prioritisation", "The ranked slate: priority score and WSJF."),
    Page(
        "scenarios",
        "scenarios.html",
        "Scenarios",
        "The funded slate per scenario beside the greedy one, the budget frontier, what moves.",
    ),
    Page(
        "governance",
        "governance.html",
        "Governance",
        "Stage gates, demand intake, time sheets, vendors and cross-project dependencies.",
    ),
    Page(
        "data_health", "data-health.html", "Data health", "Source freshness, the latest run's checks, finance rejects."
    ),
)

ASSETS = "assets"
STATIC_FILES = ("dashboard.js", "dashboard.css")


@dataclass(frozen=True)
class DashboardResult:
    folder: Path
    pages: list[Path]


def plotly_js() -> bytes:
    """plotly.js as the `plotly` wheel ships it (package_data/plotly.min.js)."""
    return (resources.files("plotly") / "package_data" / "plotly.min.js").read_bytes()


def plotly_version() -> str:
    import plotly

    return plotly.__version__


def _page_json(data: dict[str, Any]) -> str:
    # Inside <script type="application/json">, "</" would end the element early.
    return json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")


def build_dashboard(published_db: Path, out_dir: Path, *, currency: str = "USD") -> DashboardResult:
    """Write every page into `out_dir` from the published marts."""
    conn = open_published(published_db)
    try:
        conn.execute("set TimeZone = 'UTC'")
        data = page_data(conn)
    finally:
        conn.close()
    banner = data.pop("_banner")
    env = Environment(
        loader=PackageLoader("serving.dashboard", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = env.get_template("page.html.j2")
    generated_at = datetime.now(UTC).isoformat(timespec="seconds")
    headline = data["overview"]["headline"]
    portfolios = [row[1] for row in headline["rows"] if not row[0]]  # is_total, portfolio_name
    as_of_column = headline["columns"].index("as_of_date")
    as_of = headline["rows"][0][as_of_column] if headline["rows"] else None

    out_dir.mkdir(parents=True, exist_ok=True)
    staging = out_dir / f".build-{uuid.uuid4().hex[:8]}"
    (staging / ASSETS).mkdir(parents=True)
    try:
        (staging / ASSETS / "plotly.min.js").write_bytes(plotly_js())
        static = resources.files("serving.dashboard") / "static"
        for name in STATIC_FILES:
            (staging / ASSETS / name).write_bytes((static / name).read_bytes())
        for page in PAGES:
            payload = {
                "page": page.key,
                "currency": currency,
                "as_of": as_of,
                "portfolios": portfolios,
                "banner": banner,
                "generated_at": generated_at,
                "data": data[page.key],
            }
            html = template.render(
                page=page,
                pages=PAGES,
                payload=_page_json(payload),
                plotly_version=plotly_version(),
                generated_at=generated_at,
            )
            (staging / page.file).write_text(html, encoding="utf-8")
        written = _move_into_place(staging, out_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return DashboardResult(out_dir, [out_dir / p.file for p in PAGES if (out_dir / p.file) in written])


def _move_into_place(staging: Path, out_dir: Path) -> list[Path]:
    """Assets first, then pages: each by rename, so no file is ever half-written."""
    (out_dir / ASSETS).mkdir(exist_ok=True)
    written: list[Path] = []
    for source in sorted((staging / ASSETS).iterdir()):
        target = out_dir / ASSETS / source.name
        os.replace(source, target)
        written.append(target)
    for page in PAGES:
        target = out_dir / page.file
        os.replace(staging / page.file, target)
        written.append(target)
    return written
