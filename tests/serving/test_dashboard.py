"""The static dashboard, in a real browser: Debian's chromium, headless, driven by chromedriver.

Each page is loaded from the file system (no server), must log no console error, is
screenshotted into the test's temporary folder, and every number it tags with its source
(data-mart, data-column, data-row, data-value) is compared with that row of the published marts,
for all portfolios and for two single portfolios; choosing a portfolio in the filter must change
the numbers to that portfolio's. Without /usr/bin/chromium these tests skip, naming the command
that installs it; in CI (.ci/run installs it) a missing browser fails instead.
"""

from __future__ import annotations

import json
import os
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from serving.dashboard import PAGES
from tests.conftest import SmallWarehouse, pwh_env, run_pwh

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
INSTALL = "apt-get install -y chromium chromium-driver"
ALL = "All portfolios"
# Flags that let headless chromium run in a container with no sandbox, GPU or network.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def _require_browser() -> None:
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return
    message = f"Debian chromium and chromium-driver are not installed: {INSTALL}"
    if os.environ.get("CI"):
        pytest.fail(message + " (.ci/run installs them; CI must run the browser tests)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def dashboard_dir(small_warehouse: SmallWarehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pwh dashboard --out DIR`, run for real against the session's warehouse (it only reads it)."""
    out = tmp_path_factory.mktemp("dashboard") / "reports"
    result = run_pwh(["dashboard", "--out", str(out)], pwh_env(small_warehouse.home), cwd=out.parent, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out / "index.html")
    return out


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    _require_browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.add_argument("--window-size=1400,1000")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def marts(small_warehouse: SmallWarehouse):
    conn = duckdb.connect(str(small_warehouse.published_db), read_only=True)
    conn.execute("set TimeZone = 'UTC'")
    try:
        yield conn
    finally:
        conn.close()


@pytest.fixture(scope="module")
def two_portfolios(marts) -> list[str]:
    names = [
        r[0]
        for r in marts.execute(
            "select portfolio_name from marts.kpi_headline where not is_total "
            "order by active_project_count desc, portfolio_name"
        ).fetchall()
    ]
    assert len(names) >= 2
    return names[:2]


# --- loading a page -------------------------------------------------------------------------------------

READY = """
return document.body.dataset.ready === "true" &&
  [...document.querySelectorAll(".chart")].every((d) => d.querySelector(".main-svg") !== null);
"""

TAGGED = """
return [...document.querySelectorAll("[data-mart]")].map((e) => ({
  mart: e.dataset.mart, column: e.dataset.column, row: JSON.parse(e.dataset.row),
  value: e.dataset.value, kind: e.dataset.kind, text: e.textContent,
}));
"""


def load(browser, folder: Path, page_file: str, portfolio: str = ALL) -> list[dict]:
    from selenium.webdriver.support.ui import WebDriverWait

    url = (folder / page_file).as_uri()
    if portfolio != ALL:
        url += f"#portfolio={_quote(portfolio)}"
    browser.get("about:blank")
    browser.get(url)
    WebDriverWait(browser, 60).until(lambda d: d.execute_script(READY))
    assert browser.execute_script("return document.body.dataset.portfolio") == portfolio
    return browser.execute_script(TAGGED)


def _quote(text: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"p": text})[2:]


def console_errors(browser) -> list[str]:
    return [f"{e['level']}: {e['message']}" for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def screenshot(browser, path: Path) -> None:
    height = min(browser.execute_script("return document.documentElement.scrollHeight"), 8000)
    browser.set_window_size(1400, max(height, 900))
    browser.save_screenshot(str(path))
    browser.set_window_size(1400, 1000)


# --- comparing with the marts ---------------------------------------------------------------------------------


def mart_value(conn: duckdb.DuckDBPyConnection, mart: str, column: str, row: dict[str, Any]) -> Any:
    assert IDENTIFIER.match(mart) and IDENTIFIER.match(column) and all(IDENTIFIER.match(k) for k in row), (
        mart,
        column,
        row,
    )
    where = " and ".join(f"{k} is null" if v is None else f"{k} = ?" for k, v in row.items())
    params = [v for v in row.values() if v is not None]
    found = conn.execute(f"select {column} from marts.{mart} where {where}", params).fetchall()
    assert len(found) == 1, f"{mart} {row}: {len(found)} rows, the page's row key must name one"
    return found[0][0]


def _number(text: str) -> float:
    return float(re.sub(r"[^0-9.\-]", "", text.replace("−", "-")))


def same(value: Any, shown: dict) -> bool:
    raw, kind, text = shown["value"], shown["kind"], shown["text"]
    if value is None:
        return raw == "" and text == "—"
    if isinstance(value, bool):
        return raw == str(value).lower()
    if isinstance(value, datetime):
        return datetime.fromisoformat(raw).replace(tzinfo=None) == value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, date):
        return raw == value.isoformat() and text == value.isoformat()
    number = float(value) if isinstance(value, Decimal | int | float) else None
    if number is None:
        return raw == str(value)
    if abs(float(raw) - number) > 1e-6 * max(1.0, abs(number)):
        return False
    # The text shows the same number, formatted (a percentage of the fraction, rounded money).
    if kind == "percent":
        return abs(_number(text) - number * 100) <= 0.051
    if kind == "money":
        return abs(_number(text) - number) <= 0.51
    if kind == "index":
        return abs(_number(text) - number) <= 0.0051
    return abs(_number(text) - number) <= 0.051


def compare(conn, shown_values: list[dict]) -> list[dict]:
    """Every tagged value against its mart row; returns the comparisons (for the record)."""
    records = []
    for shown in shown_values:
        value = mart_value(conn, shown["mart"], shown["column"], shown["row"])
        assert same(value, shown), (
            f"page shows {shown['text']!r} ({shown['value']}) "
            f"but {shown['mart']}.{shown['column']} {shown['row']} is {value!r}"
        )
        records.append({**shown, "mart_value": str(value)})
    return records


# --- the tests ---------------------------------------------------------------------------------------------------


def test_the_pipeline_wrote_the_dashboard_after_the_good_run(small_warehouse: SmallWarehouse) -> None:
    reports = small_warehouse.home / "reports"
    assert (reports / "index.html").exists()
    assert {p.file for p in PAGES} <= {p.name for p in reports.glob("*.html")}
    assert (reports / "assets" / "plotly.min.js").stat().st_size > 1_000_000, "plotly.js ships with the pages"


def test_pages_are_self_contained(dashboard_dir: Path) -> None:
    for page in PAGES:
        html = (dashboard_dir / page.file).read_text()
        sources = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert not [s for s in sources if re.match(r"^(https?:)?//", s)], (
            f"{page.file} loads from the network: {sources}"
        )
        for source in sources:
            if not source.startswith(("data:", "#")):
                assert (dashboard_dir / source.split("#")[0]).exists(), source


@pytest.mark.parametrize("page", PAGES, ids=[p.key for p in PAGES])
def test_each_page_loads_without_errors_and_shows_the_marts_numbers(
    page, browser, dashboard_dir: Path, screenshots: Path, marts, two_portfolios: list[str]
) -> None:
    results: dict[str, int] = {}
    for portfolio in [ALL, *two_portfolios]:
        shown = load(browser, dashboard_dir, page.file, portfolio)
        assert console_errors(browser) == [], f"{page.file} ({portfolio})"
        suffix = "all" if portfolio == ALL else re.sub(r"[^a-z0-9]+", "-", portfolio.lower()).strip("-")
        screenshot(browser, screenshots / f"{page.key}-{suffix}.png")
        records = compare(marts, shown)
        results[portfolio] = len(records)
        (screenshots / f"{page.key}-{suffix}.values.json").write_text(json.dumps(records[:50], indent=1))
    if page.key not in ("capacity", "data_health"):  # the two pages that are not by portfolio
        for portfolio in two_portfolios:
            assert results[portfolio] > 0, f"{page.file}: no numbers for {portfolio}"
    assert results[ALL] > 0
    (screenshots / f"{page.key}.counts.json").write_text(json.dumps(results))  # for the record
    print(f"\n{page.file}: values checked against the marts {results}; screenshots in {screenshots}")


def test_the_portfolio_filter_changes_the_numbers_to_that_portfolios(
    browser, dashboard_dir: Path, marts, two_portfolios: list[str]
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    shown_all = load(browser, dashboard_dir, "index.html")
    tiles_all = {s["column"]: s["value"] for s in shown_all if s["mart"] == "kpi_headline" and s["row"]["is_total"]}
    assert {
        "on_time_delivery_rate",
        "budget_variance_ratio",
        "benefit_realization_ratio",
        "capacity_utilization",
        "risk_exposure_amount",
    } <= set(tiles_all)
    sampled = 0
    for portfolio in two_portfolios:
        Select(browser.find_element(By.ID, "portfolio-filter")).select_by_value(portfolio)
        WebDriverWait(browser, 30).until(
            lambda d, portfolio=portfolio: d.execute_script(READY)
            and d.execute_script("return document.body.dataset.portfolio") == portfolio
        )
        shown = browser.execute_script(TAGGED)
        tiles = [s for s in shown if s["mart"] == "kpi_headline"]
        assert tiles and all(s["row"]["portfolio_name"] == portfolio for s in tiles)
        assert all(s["row"].get("portfolio_name") in (portfolio, None) for s in shown if "portfolio_name" in s["row"])
        risk = next(s for s in tiles if s["column"] == "risk_exposure_amount")
        assert risk["value"] != tiles_all["risk_exposure_amount"], "a portfolio's exposure is not all portfolios'"
        sampled += len(compare(marts, shown))
        assert "portfolio=" in browser.find_element(By.CSS_SELECTOR, "nav a[data-page-link=risk]").get_attribute("href")
    assert sampled >= 20
