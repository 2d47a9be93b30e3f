// The portfolio dashboard's page script (docs/dashboard.md).
//
// It only chooses and draws: the page carries the rows of the published marts it shows, and this
// script filters them by portfolio (or project, department, Jira project) and renders them. It
// never adds, divides or averages a figure: every number shown is a value of one mart row, and
// every such value is tagged with the mart, column and row it came from (data-mart, data-column,
// data-row, data-value) so a test can check it against the marts.
"use strict";

const PAYLOAD = JSON.parse(document.getElementById("page-data").textContent);
const DATA = PAYLOAD.data;
const ALL = "All portfolios";
const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["sendDataToCloud"] };

// --- rows -----------------------------------------------------------------------------------------

function objects(dataset) {
  if (!dataset) return [];
  return dataset.rows.map((row) => Object.fromEntries(dataset.columns.map((c, i) => [c, row[i]])));
}

function forPortfolio(rows, portfolio) {
  return portfolio === ALL ? rows : rows.filter((r) => r.portfolio_name === portfolio);
}

function unique(values) {
  return [...new Set(values)];
}

function byKey(rows, key) {
  const groups = new Map();
  for (const row of rows) {
    if (!groups.has(row[key])) groups.set(row[key], []);
    groups.get(row[key]).push(row);
  }
  return groups;
}

// --- formatting (display only) ----------------------------------------------------------------------

const NUMBER = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const FORMATS = {
  money: (v) => `${NUMBER.format(v)} ${PAYLOAD.currency}`,
  percent: (v) => `${(v * 100).toFixed(1)} %`, // the marts keep fractions: 0.125 is shown 12.5 %
  index: (v) => v.toFixed(2),
  hours: (v) => new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 }).format(v),
  days: (v) => v.toFixed(1),
  count: (v) => NUMBER.format(v),
  number: (v) => new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 }).format(v),
  text: (v) => String(v),
  date: (v) => String(v).slice(0, 10),
  timestamp: (v) => String(v).replace("T", " ").slice(0, 16) + " UTC",
  bool: (v) => (v ? "yes" : "no"),
};

function format(value, kind) {
  if (value === null || value === undefined || value === "") return "—";
  return FORMATS[kind](value);
}

// An element showing one mart value, tagged with where it came from.
function valueElement(tag, value, kind, source) {
  const el = document.createElement(tag);
  el.textContent = format(value, kind);
  if (source && kind !== "text") {
    el.dataset.mart = source.mart;
    el.dataset.column = source.column;
    el.dataset.row = JSON.stringify(source.row);
    el.dataset.kind = kind;
    el.dataset.value = value === null || value === undefined ? "" : String(value);
  }
  return el;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child) node.append(child);
  return node;
}

function section(title, ...children) {
  return el("section", {}, el("h3", { text: title }), ...children);
}

function gapNote(text) {
  return el("p", { class: "gap", text: `Not in the marts: ${text}` });
}

// --- tiles and tables ---------------------------------------------------------------------------------

function tile(label, value, kind, source, sub) {
  const box = el("div", { class: "tile" }, el("div", { class: "label", text: label }));
  const shown = valueElement("div", value, kind, source);
  shown.classList.add("value");
  box.append(shown);
  if (sub) box.append(el("div", { class: "sub", text: sub }));
  return box;
}

// columns: [{label, column, kind, mart, key}] where key(row) gives the row's identity in that mart.
function table(rows, columns, { id, limit } = {}) {
  const head = el("tr", {}, ...columns.map((c) => el("th", { text: c.label })));
  const body = el("tbody");
  for (const row of limit ? rows.slice(0, limit) : rows) {
    const tr = el("tr");
    for (const c of columns) {
      const source = c.mart ? { mart: c.mart, column: c.column, row: c.key(row) } : null;
      const cell = valueElement("td", row[c.column], c.kind, source);
      if (c.kind !== "text" && c.kind !== "date" && c.kind !== "timestamp") cell.classList.add("num");
      if (c.flag && c.flag(row)) cell.classList.add("bad");
      tr.append(cell);
    }
    body.append(tr);
  }
  const t = el("table", id ? { id } : {}, el("thead", {}, head), body);
  const wrap = el("div", { class: "table-wrap" }, t);
  if (!rows.length) wrap.append(el("p", { class: "note", text: "No rows." }));
  return wrap;
}

function select(id, label, options, current, onChange) {
  const s = el("select", { id });
  for (const [value, text] of options) {
    const o = el("option", { value, text });
    if (value === current) o.selected = true;
    s.append(o);
  }
  s.addEventListener("change", () => onChange(s.value));
  return el("label", {}, `${label} `, s);
}

// --- charts -------------------------------------------------------------------------------------------

function chart(title, traces, layout = {}) {
  const div = el("div", { class: "chart" });
  const base = {
    title: { text: title, font: { size: 14 }, x: 0.01, xanchor: "left" },
    margin: { l: 60, r: 20, t: 40, b: 50 },
    legend: { orientation: "h", y: -0.2 },
    paper_bgcolor: "#fff",
    plot_bgcolor: "#fff",
    height: 340,
  };
  // Drawn once the element is in the page, so Plotly can measure it.
  requestAnimationFrame(() => {
    if (div.isConnected) Plotly.newPlot(div, traces, { ...base, ...layout }, CONFIG);
  });
  return div;
}

const PERCENT_AXIS = { tickformat: ".0%" };

function linesByPortfolio(rows, portfolio, column, name) {
  const traces = [];
  for (const [portfolioName, group] of byKey(forPortfolio(rows, portfolio), "portfolio_name")) {
    traces.push({
      type: "scatter", mode: "lines+markers", name: portfolio === ALL ? portfolioName : name,
      x: group.map((r) => r.month_start_date), y: group.map((r) => r[column]),
    });
  }
  return traces;
}

// "Operational Excellence planned" when every portfolio is drawn, plain "planned" for one.
function suffixed(name, portfolio, what) {
  return portfolio === ALL ? `${name} ${what}` : what;
}

// --- the data-as-of banner (kpi_source_freshness, kpi_run_health) -------------------------------------------

function renderBanner() {
  const banner = document.getElementById("banner");
  banner.replaceChildren();
  const freshness = objects(PAYLOAD.banner.freshness);
  const run = objects(PAYLOAD.banner.latest_run)[0];
  const asOf = objects(DATA.headline || null)[0];
  banner.append(`Figures as of ${PAYLOAD.as_of || (asOf ? asOf.as_of_date : "—")}. `);
  if (run) banner.append(`Latest run started ${format(run.run_started_at, "timestamp")}. `);
  const stale = freshness.filter((r) => r.is_stale);
  // Each source's least recent successful sync among its entities: the data is as of then.
  for (const [source, group] of byKey(freshness, "source_name")) {
    const oldest = group.filter((r) => r.last_success_at).sort((a, b) => (a.last_success_at < b.last_success_at ? -1 : 1))[0];
    const span = el("span", { text: `${source}: data as of ` });
    span.append(valueElement("span", oldest ? oldest.last_success_at : null, "timestamp",
      oldest ? { mart: "kpi_source_freshness", column: "last_success_at", row: { source_name: source, entity: oldest.entity } } : null));
    span.append(". ");
    banner.append(span);
  }
  if (stale.length) {
    banner.append(el("span", { class: "stale", text: `Stale: ${stale.map((r) => `${r.source_name}/${r.entity}`).join(", ")}.` }));
  } else {
    banner.append(el("span", { text: "Every source entity is fresh." }));
  }
}

// --- pages --------------------------------------------------------------------------------------------

const headlineKey = (r) => ({ portfolio_name: r.portfolio_name, is_total: r.is_total });
const monthKey = (r) => ({ portfolio_name: r.portfolio_name, month_start_date: r.month_start_date });
const projectKey = (r) => ({ project_id: r.project_id });
const H = "kpi_headline";
const S = "kpi_portfolio_summary";
const SC = "kpi_project_scorecard";

function headlineRow(portfolio) {
  const rows = objects(DATA.headline);
  return portfolio === ALL ? rows.find((r) => r.is_total) : rows.find((r) => !r.is_total && r.portfolio_name === portfolio);
}

const PAGES = {
  overview(portfolio) {
    const out = [];
    const h = headlineRow(portfolio);
    if (h) {
      const src = (column) => ({ mart: H, column, row: headlineKey(h) });
      out.push(section(`Month to date: ${h.month_start_date.slice(0, 7)}, to ${h.period_end_date}`, el("div", { class: "tiles" },
        tile("On-time delivery rate", h.on_time_delivery_rate, "percent", src("on_time_delivery_rate"),
          `12 months from ${h.on_time_window_start_date}: ${h.projects_closed_on_time_count} of ${h.projects_closed_count} closed on time`),
        tile("Budget variance", h.budget_variance_ratio, "percent", src("budget_variance_ratio"),
          `${format(h.budget_variance_amount, "money")} over plan to date (positive = over)`),
        tile("Benefit realisation", h.benefit_realization_ratio, "percent", src("benefit_realization_ratio"), "actual / planned benefit to date"),
        h.is_total
          ? tile("Capacity utilisation", h.capacity_utilization, "percent", src("capacity_utilization"), "all people, actual / capacity hours")
          : tile("Capacity utilisation", null, "percent", null, "capacity belongs to people, not portfolios: see All portfolios"),
        tile("Risk exposure", h.risk_exposure_amount, "money", src("risk_exposure_amount"), "open risks: probability × cost"),
        tile("Active projects", h.active_project_count, "count", src("active_project_count"),
          `red ${h.red_project_count ?? 0} · amber ${h.amber_project_count ?? 0} · green ${h.green_project_count ?? 0}`),
      )));
    }
    const months = objects(DATA.months);
    const last = DATA.last_complete_month;
    const lastRows = forPortfolio(months.filter((r) => r.month_start_date === last), portfolio);
    out.push(section(`Last complete month: ${last ? last.slice(0, 7) : "—"}`,
      table(lastRows, [
        { label: "portfolio", column: "portfolio_name", kind: "text" },
        { label: "on-time rate (month)", column: "on_time_delivery_rate", kind: "percent", mart: S, key: monthKey },
        { label: "budget variance to date", column: "budget_variance_ratio", kind: "percent", mart: S, key: monthKey },
        { label: "benefit realisation to date", column: "benefit_realization_ratio", kind: "percent", mart: S, key: monthKey },
        { label: "risk exposure", column: "risk_exposure_amount", kind: "money", mart: S, key: monthKey },
        { label: "active projects", column: "active_project_count", kind: "count", mart: S, key: monthKey },
      ], { id: "last-complete-month" }),
      gapNote("an all-portfolios row for past months, and capacity utilisation per month outside the month in progress " +
        "(kpi_headline holds the month in progress only; kpi_capacity_utilization is per person)."),
    ));
    if (portfolio === ALL) {
      out.push(section("Month to date, every portfolio", table(objects(DATA.headline), [
        { label: "portfolio", column: "portfolio_name", kind: "text" },
        { label: "on-time rate (12 months)", column: "on_time_delivery_rate", kind: "percent", mart: H, key: headlineKey },
        { label: "budget variance", column: "budget_variance_ratio", kind: "percent", mart: H, key: headlineKey },
        { label: "benefit realisation", column: "benefit_realization_ratio", kind: "percent", mart: H, key: headlineKey },
        { label: "risk exposure", column: "risk_exposure_amount", kind: "money", mart: H, key: headlineKey },
        { label: "capacity utilisation", column: "capacity_utilization", kind: "percent", mart: H, key: headlineKey },
      ], { id: "headline-table" })));
    }
    out.push(section("12-month trends", el("div", { class: "grid2" },
      chart("On-time delivery rate (closed in the month)", linesByPortfolio(months, portfolio, "on_time_delivery_rate", "on-time rate"), { yaxis: PERCENT_AXIS }),
      chart("Budget variance to date", linesByPortfolio(months, portfolio, "budget_variance_ratio", "budget variance"), { yaxis: PERCENT_AXIS }),
      chart("Benefit realisation to date", linesByPortfolio(months, portfolio, "benefit_realization_ratio", "benefit realisation"), { yaxis: PERCENT_AXIS }),
      chart(`Risk exposure (${PAYLOAD.currency})`, linesByPortfolio(months, portfolio, "risk_exposure_amount", "risk exposure")),
    ), gapNote("capacity utilisation by month for a portfolio or for all people together.")));
    return out;
  },

  financials(portfolio) {
    const out = [];
    const h = headlineRow(portfolio);
    if (h) {
      const src = (column) => ({ mart: H, column, row: headlineKey(h) });
      out.push(el("div", { class: "tiles" },
        tile("Planned cost to date", h.planned_cost_to_date_amount, "money", src("planned_cost_to_date_amount")),
        tile("Actual cost to date", h.actual_cost_to_date_amount, "money", src("actual_cost_to_date_amount")),
        tile("Budget variance", h.budget_variance_amount, "money", src("budget_variance_amount"), "actual − planned, to date"),
        tile("Budget variance %", h.budget_variance_ratio, "percent", src("budget_variance_ratio")),
      ));
    }
    const portfolios = objects(DATA.headline).filter((r) => !r.is_total);
    const months = objects(DATA.months);
    out.push(el("div", { class: "grid2" },
      chart("Budget variance by portfolio, month to date", [{
        type: "bar", x: portfolios.map((r) => r.portfolio_name), y: portfolios.map((r) => r.budget_variance_ratio),
        marker: { color: portfolios.map((r) => (portfolio === ALL || r.portfolio_name === portfolio ? "#1f6feb" : "#c3d4f0")) },
        name: "budget variance",
      }], { yaxis: PERCENT_AXIS }),
      chart(`Planned vs actual cost to date by month (${PAYLOAD.currency})`, [
        ...linesByPortfolio(months, portfolio, "planned_cost_to_date_amount", "planned").map((t) => ({ ...t, name: suffixed(t.name, portfolio, "planned"), line: { dash: "dot" } })),
        ...linesByPortfolio(months, portfolio, "actual_cost_to_date_amount", "actual").map((t) => ({ ...t, name: suffixed(t.name, portfolio, "actual") })),
      ]),
    ));
    const projects = forPortfolio(objects(DATA.scorecard), portfolio);
    out.push(section("Capex and opex actual to date, by project", chart(`Actual cost to date (${PAYLOAD.currency})`, [
      { type: "bar", name: "capex", x: projects.map((r) => r.project_id), y: projects.map((r) => r.capex_actual_amount) },
      { type: "bar", name: "opex", x: projects.map((r) => r.project_id), y: projects.map((r) => r.opex_actual_amount) },
    ], { barmode: "stack" })));

    const chosen = el("div");
    const budget = byKey(objects(DATA.budget), "project_id");
    const withBudget = projects.filter((p) => budget.has(p.project_id));
    const drawProject = (projectId) => {
      chosen.replaceChildren();
      const p = projects.find((r) => r.project_id === projectId);
      if (!p) return;
      const rows = budget.get(projectId) || [];
      const src = (column) => ({ mart: SC, column, row: projectKey(p) });
      chosen.append(el("div", { class: "tiles" },
        tile("BAC", p.bac_amount, "money", src("bac_amount")),
        tile("PV (planned value)", p.pv_amount, "money", src("pv_amount")),
        tile("EV (earned value)", p.ev_amount, "money", src("ev_amount")),
        tile("AC (actual cost)", p.ac_amount, "money", src("ac_amount")),
        tile("CPI", p.cpi, "index", src("cpi")),
        tile("SPI", p.spi, "index", src("spi")),
        tile("EAC", p.eac_amount, "money", src("eac_amount")),
      ));
      const byType = byKey(rows, "expense_type");
      const monthly = [];
      for (const [type, group] of byType) {
        for (const [column, label, dash] of [["planned_amount", "plan", "dot"], ["forecast_amount", "latest forecast", "dash"], ["actual_amount", "actual", "solid"]]) {
          monthly.push({ type: "scatter", mode: "lines", name: `${type} ${label}`, x: group.map((r) => r.month_start_date), y: group.map((r) => r[column]), line: { dash } });
        }
      }
      // The S-curve: cumulative plan (PV) and actual (AC) per expense type, stacked by the chart;
      // EV exists only as of the as-of date (percent complete has no history), so it is one point.
      const curve = [];
      for (const [type, group] of byType) {
        curve.push({ type: "scatter", mode: "lines", stackgroup: "pv", name: `PV (cumulative plan) ${type}`, x: group.map((r) => r.month_start_date), y: group.map((r) => r.cumulative_planned_amount) });
        curve.push({ type: "scatter", mode: "lines", stackgroup: "ac", name: `AC (cumulative actual) ${type}`, x: group.map((r) => r.month_start_date), y: group.map((r) => r.cumulative_actual_amount) });
      }
      const asOf = PAYLOAD.as_of;
      curve.push({ type: "scatter", mode: "markers+text", name: "as of: PV, EV, AC", x: [asOf, asOf, asOf], y: [p.pv_amount, p.ev_amount, p.ac_amount], text: ["PV", "EV", "AC"], textposition: "middle right", marker: { size: 10, color: ["#6b7280", "#067647", "#b42318"] } });
      chosen.append(el("div", { class: "grid2" },
        chart(`${p.project_id}: plan vs latest forecast vs actual by month (${PAYLOAD.currency})`, monthly),
        chart(`${p.project_id}: earned value S-curve (${PAYLOAD.currency})`, curve),
      ));
    };
    const first = withBudget[0] ? withBudget[0].project_id : null;
    out.push(section("One project: monthly cost and earned value",
      el("div", { class: "controls" }, select("project-filter", "Project", withBudget.map((p) => [p.project_id, `${p.project_id} ${p.project_name}`]), first, drawProject)),
      chosen));
    if (first) drawProject(first);
    out.push(section("Earned value by project", table(projects, [
      { label: "project", column: "project_id", kind: "text" },
      { label: "name", column: "project_name", kind: "text" },
      { label: "BAC", column: "bac_amount", kind: "money", mart: SC, key: projectKey },
      { label: "PV", column: "pv_amount", kind: "money", mart: SC, key: projectKey },
      { label: "EV", column: "ev_amount", kind: "money", mart: SC, key: projectKey },
      { label: "AC", column: "ac_amount", kind: "money", mart: SC, key: projectKey },
      { label: "CPI", column: "cpi", kind: "index", mart: SC, key: projectKey, flag: (r) => r.cpi !== null && r.cpi < 1 },
      { label: "SPI", column: "spi", kind: "index", mart: SC, key: projectKey, flag: (r) => r.spi !== null && r.spi < 1 },
      { label: "EAC", column: "eac_amount", kind: "money", mart: SC, key: projectKey },
      { label: "budget variance", column: "budget_variance_ratio", kind: "percent", mart: SC, key: projectKey },
      { label: "forecast variance at completion", column: "forecast_variance_amount", kind: "money", mart: SC, key: projectKey },
    ], { id: "evm-table" })));
    return out;
  },

  schedule(portfolio) {
    const months = objects(DATA.months);
    const latest = months.length ? months.map((r) => r.month_start_date).sort().at(-1) : null;
    const rag = forPortfolio(months.filter((r) => r.month_start_date === latest), portfolio);
    const ragTrace = (column, name, color) => ({ type: "bar", name, x: rag.map((r) => r.portfolio_name), y: rag.map((r) => r[column]), marker: { color } });
    const out = [el("div", { class: "grid2" },
      chart("On-time delivery rate by month (closed complete in the month)", linesByPortfolio(months, portfolio, "on_time_delivery_rate", "on-time rate"), { yaxis: PERCENT_AXIS }),
      chart(`RAG of active projects by portfolio, ${latest ? latest.slice(0, 7) : ""}`, [
        ragTrace("red_project_count", "red", "#d92d20"), ragTrace("amber_project_count", "amber", "#f79009"), ragTrace("green_project_count", "green", "#12b76a"),
      ], { barmode: "stack" }),
    )];
    out.push(section(`RAG counts, ${latest ? latest.slice(0, 7) : ""}`, table(rag, [
      { label: "portfolio", column: "portfolio_name", kind: "text" },
      { label: "red", column: "red_project_count", kind: "count", mart: S, key: monthKey },
      { label: "amber", column: "amber_project_count", kind: "count", mart: S, key: monthKey },
      { label: "green", column: "green_project_count", kind: "count", mart: S, key: monthKey },
      { label: "closed in month", column: "projects_closed_count", kind: "count", mart: S, key: monthKey },
      { label: "of which on time", column: "projects_closed_on_time_count", kind: "count", mart: S, key: monthKey },
    ], { id: "rag-table" })));
    const milestones = forPortfolio(objects(DATA.milestones), portfolio);
    out.push(section("Slipping milestones: open, planned end after baseline end", table(milestones, [
      { label: "portfolio", column: "portfolio_name", kind: "text" },
      { label: "project", column: "project_id", kind: "text" },
      { label: "milestone", column: "milestone_id", kind: "text" },
      { label: "name", column: "milestone_name", kind: "text" },
      { label: "state", column: "state", kind: "text" },
      { label: "baseline end", column: "baseline_end_date", kind: "date", mart: "fct_milestone", key: (r) => ({ milestone_id: r.milestone_id }) },
      { label: "planned end", column: "planned_end_date", kind: "date", mart: "fct_milestone", key: (r) => ({ milestone_id: r.milestone_id }) },
      { label: "% complete", column: "percent_complete", kind: "number", mart: "fct_milestone", key: (r) => ({ milestone_id: r.milestone_id }) },
    ], { id: "milestones-table" })));
    const projects = forPortfolio(objects(DATA.scorecard), portfolio);
    out.push(section("Projects: plan against baseline", table(projects, [
      { label: "project", column: "project_id", kind: "text" },
      { label: "name", column: "project_name", kind: "text" },
      { label: "state", column: "state", kind: "text" },
      { label: "health", column: "overall_health", kind: "text" },
      { label: "baseline end", column: "baseline_end_date", kind: "date", mart: SC, key: projectKey },
      { label: "planned end", column: "planned_end_date", kind: "date", mart: SC, key: projectKey },
      { label: "% complete", column: "percent_complete", kind: "number", mart: SC, key: projectKey },
    ], { id: "schedule-table" })));
    return out;
  },

  risk(portfolio) {
    const out = [];
    const cells = objects(DATA.heatmap);
    const names = portfolio === ALL ? unique(cells.map((r) => r.portfolio_name)) : [portfolio];
    const maps = el("div", { class: "grid2" });
    for (const name of names) {
      const mine = cells.filter((r) => r.portfolio_name === name);
      const z = [1, 2, 3, 4, 5].map(() => [null, null, null, null, null]);
      const text = [1, 2, 3, 4, 5].map(() => ["", "", "", "", ""]);
      for (const c of mine) {
        z[c.probability_bucket - 1][c.impact_bucket - 1] = c.exposure_amount;
        text[c.probability_bucket - 1][c.impact_bucket - 1] = `open: ${c.open_risk_count}<br>${format(c.exposure_amount, "money")}`;
      }
      maps.append(chart(`${name}: open risks and exposure`, [{
        type: "heatmap", x: [1, 2, 3, 4, 5], y: [1, 2, 3, 4, 5], z, text, texttemplate: "%{text}", hoverinfo: "text",
        // plotly.js's YlOrRd runs from dark red to yellow: reversed, the biggest exposure is the darkest cell.
        colorscale: "YlOrRd", reversescale: true, showscale: false, xgap: 2, ygap: 2,
      }], { xaxis: { title: { text: "impact (5 = highest)" }, dtick: 1 }, yaxis: { title: { text: "probability (5 = highest)" }, dtick: 1 }, height: 400, margin: { l: 60, r: 20, t: 40, b: 60 } }));
    }
    out.push(maps);
    if (!cells.length) out.push(el("p", { class: "note", text: "No open risks." }));
    const cellKey = (r) => ({ portfolio_name: r.portfolio_name, probability_bucket: r.probability_bucket, impact_bucket: r.impact_bucket });
    out.push(section("Heat map cells", table(forPortfolio(cells, portfolio), [
      { label: "portfolio", column: "portfolio_name", kind: "text" },
      { label: "probability", column: "probability_bucket", kind: "count", mart: "kpi_risk_heatmap", key: cellKey },
      { label: "impact", column: "impact_bucket", kind: "count", mart: "kpi_risk_heatmap", key: cellKey },
      { label: "open risks", column: "open_risk_count", kind: "count", mart: "kpi_risk_heatmap", key: cellKey },
      { label: "exposure", column: "exposure_amount", kind: "money", mart: "kpi_risk_heatmap", key: cellKey },
    ], { id: "heatmap-table" })));
    const risks = forPortfolio(objects(DATA.risks), portfolio);
    const riskKey = (r) => ({ risk_id: r.risk_id });
    out.push(section("Top open risks by exposure", table(risks, [
      { label: "portfolio", column: "portfolio_name", kind: "text" },
      { label: "risk", column: "risk_id", kind: "text" },
      { label: "name", column: "risk_name", kind: "text" },
      { label: "project", column: "project_id", kind: "text" },
      { label: "state", column: "state", kind: "text" },
      { label: "probability", column: "probability_bucket", kind: "count", mart: "fct_risk", key: riskKey },
      { label: "impact", column: "impact_bucket", kind: "count", mart: "fct_risk", key: riskKey },
      { label: "estimated cost", column: "estimated_cost_amount", kind: "money", mart: "fct_risk", key: riskKey },
      { label: "exposure", column: "exposure_amount", kind: "money", mart: "fct_risk", key: riskKey },
    ], { id: "risks-table", limit: 15 })));
    return out;
  },

  benefits(portfolio) {
    const out = [];
    const months = objects(DATA.months);
    out.push(el("div", { class: "grid2" },
      chart(`Planned vs actual benefit to date by month (${PAYLOAD.currency})`, [
        ...linesByPortfolio(months, portfolio, "planned_benefit_to_date_amount", "planned").map((t) => ({ ...t, name: suffixed(t.name, portfolio, "planned"), line: { dash: "dot" } })),
        ...linesByPortfolio(months, portfolio, "actual_benefit_to_date_amount", "actual").map((t) => ({ ...t, name: suffixed(t.name, portfolio, "actual") })),
      ]),
      chart("Benefit realisation ratio to date", linesByPortfolio(months, portfolio, "benefit_realization_ratio", "benefit realisation"), { yaxis: PERCENT_AXIS }),
    ));
    const projects = forPortfolio(objects(DATA.scorecard), portfolio);
    const benefits = byKey(objects(DATA.benefits), "project_id");
    const withBenefits = projects.filter((p) => benefits.has(p.project_id));
    const chosen = el("div");
    const draw = (projectId) => {
      const rows = benefits.get(projectId) || [];
      chosen.replaceChildren(chart(`${projectId}: cumulative planned vs actual benefit (${PAYLOAD.currency})`, [
        { type: "scatter", mode: "lines", name: "cumulative planned", x: rows.map((r) => r.month_start_date), y: rows.map((r) => r.cumulative_planned_amount), line: { dash: "dot" } },
        { type: "scatter", mode: "lines", name: "cumulative actual", x: rows.map((r) => r.month_start_date), y: rows.map((r) => r.cumulative_actual_amount) },
      ]));
    };
    const first = withBenefits[0] ? withBenefits[0].project_id : null;
    out.push(section("One project, cumulative",
      el("div", { class: "controls" }, select("benefit-project-filter", "Project", withBenefits.map((p) => [p.project_id, `${p.project_id} ${p.project_name}`]), first, draw)),
      chosen));
    if (first) draw(first);
    out.push(section("Benefits to date by project", table(projects, [
      { label: "project", column: "project_id", kind: "text" },
      { label: "name", column: "project_name", kind: "text" },
      { label: "planned to date", column: "planned_benefit_to_date_amount", kind: "money", mart: SC, key: projectKey },
      { label: "actual to date", column: "actual_benefit_to_date_amount", kind: "money", mart: SC, key: projectKey },
      { label: "realisation", column: "benefit_realization_ratio", kind: "percent", mart: SC, key: projectKey },
    ], { id: "benefits-table" })));
    return out;
  },

  capacity(portfolio) {
    const out = [];
    document.getElementById("filter-note").textContent =
      portfolio === ALL ? "" : "Capacity belongs to people and departments, not portfolios: this page shows every person.";
    const total = objects(DATA.headline).find((r) => r.is_total);
    if (total) {
      const src = (column) => ({ mart: H, column, row: headlineKey(total) });
      out.push(el("div", { class: "tiles" },
        tile("Capacity utilisation, month to date", total.capacity_utilization, "percent", src("capacity_utilization"), "all people"),
        tile("Capacity hours", total.capacity_hours, "hours", src("capacity_hours")),
        tile("Actual hours", total.actual_hours, "hours", src("actual_hours")),
      ));
    }
    const rows = objects(DATA.capacity);
    const departments = unique(rows.map((r) => r.department ?? "(no department)"));
    const holder = el("div");
    const draw = (department) => {
      const mine = department === "" ? rows : rows.filter((r) => (r.department ?? "(no department)") === department);
      const people = unique(mine.map((r) => r.resource_id));
      const monthsShown = unique(mine.map((r) => r.month_start_date)).sort();
      const cell = new Map(mine.map((r) => [`${r.resource_id}|${r.month_start_date}`, r]));
      const label = (id) => { const r = mine.find((x) => x.resource_id === id); return `${r.department ?? "—"} · ${r.resource_name ?? id}`; };
      holder.replaceChildren(chart("Utilisation (actual / capacity hours) per person and month, grouped by department", [{
        type: "heatmap", x: monthsShown, y: people.map(label),
        z: people.map((id) => monthsShown.map((m) => (cell.get(`${id}|${m}`) || {}).capacity_utilization ?? null)),
        // light = idle, blue = fully used (100 % sits at two thirds of the scale), red = above capacity
        colorscale: [[0, "#f7fbff"], [0.4, "#9ecae1"], [0.6667, "#2171b5"], [0.7, "#f79009"], [1, "#b42318"]],
        zmin: 0, zmax: 1.5, colorbar: { tickformat: ".0%" },
        hovertemplate: "%{y}<br>%{x}: %{z:.1%}<extra></extra>",
      }], { height: Math.max(360, 18 * people.length + 120), margin: { l: 260, r: 20, t: 40, b: 60 }, yaxis: { autorange: "reversed" } }));
    };
    out.push(section("Department × month",
      el("div", { class: "controls" }, select("department-filter", "Department", [["", "All departments"], ...departments.map((d) => [d, d])], "", draw)),
      holder,
      gapNote("utilisation rolled up per department (hours summed, then divided): kpi_capacity_utilization is per person, so the heat map shows each person, grouped by department.")));
    draw("");
    const personKey = (r) => ({ resource_id: r.resource_id, month_start_date: r.month_start_date });
    const C = "kpi_capacity_utilization";
    out.push(section("Over-allocated people (allocation or booked hours above capacity), last complete month and month to date",
      table(objects(DATA.over_allocated), [
        { label: "month", column: "month_start_date", kind: "date" },
        { label: "person", column: "resource_name", kind: "text" },
        { label: "department", column: "department", kind: "text" },
        { label: "capacity h", column: "capacity_hours", kind: "hours", mart: C, key: personKey },
        { label: "allocated h", column: "allocated_hours", kind: "hours", mart: C, key: personKey },
        { label: "actual h", column: "actual_hours", kind: "hours", mart: C, key: personKey },
        { label: "allocation", column: "allocation_ratio", kind: "percent", mart: C, key: personKey, flag: (r) => r.allocation_ratio > 1 },
        { label: "utilisation", column: "capacity_utilization", kind: "percent", mart: C, key: personKey, flag: (r) => r.capacity_utilization > 1 },
      ], { id: "over-allocated-table" })));
    return out;
  },

  delivery(portfolio) {
    const out = [];
    const rows = forPortfolio(objects(DATA.flow), portfolio);
    const groups = byKey(rows, "jira_project_key");
    const holder = el("div");
    const draw = (key) => {
      const weeks = groups.get(key) || [];
      const x = weeks.map((r) => r.week_start_date);
      holder.replaceChildren(el("div", { class: "grid2" },
        chart(`${key}: throughput and work in progress per week`, [
          { type: "bar", name: "throughput (resolved)", x, y: weeks.map((r) => r.throughput) },
          { type: "scatter", mode: "lines+markers", name: "WIP at week end", x, y: weeks.map((r) => r.wip) },
        ]),
        chart(`${key}: cycle and lead time (days)`, [
          { type: "scatter", mode: "lines+markers", name: "cycle time p50", x, y: weeks.map((r) => r.cycle_time_p50_days) },
          { type: "scatter", mode: "lines+markers", name: "cycle time p85", x, y: weeks.map((r) => r.cycle_time_p85_days) },
          { type: "scatter", mode: "lines", name: "lead time p50", x, y: weeks.map((r) => r.lead_time_p50_days), line: { dash: "dot" } },
        ]),
      ));
    };
    const keys = [...groups.keys()];
    out.push(section("One Jira project, the last 26 weeks",
      el("div", { class: "controls" }, select("jira-project-filter", "Jira project", keys.map((k) => [k, `${k} ${groups.get(k)[0].jira_project_name ?? ""}`]), keys[0], draw)),
      holder));
    if (keys.length) draw(keys[0]);
    const latest = keys.map((k) => groups.get(k).at(-1));
    const flowKey = (r) => ({ jira_project_key: r.jira_project_key, week_start_date: r.week_start_date });
    const F = "kpi_delivery_flow";
    out.push(section("Latest week per Jira project", table(latest, [
      { label: "Jira project", column: "jira_project_key", kind: "text" },
      { label: "portfolio", column: "portfolio_name", kind: "text" },
      { label: "week", column: "week_start_date", kind: "date" },
      { label: "throughput", column: "throughput", kind: "count", mart: F, key: flowKey },
      { label: "WIP", column: "wip", kind: "count", mart: F, key: flowKey },
      { label: "cycle p50 (days)", column: "cycle_time_p50_days", kind: "days", mart: F, key: flowKey },
      { label: "cycle p85 (days)", column: "cycle_time_p85_days", kind: "days", mart: F, key: flowKey },
      { label: "lead p50 (days)", column: "lead_time_p50_days", kind: "days", mart: F, key: flowKey },
    ], { id: "flow-table" })));
    out.push(gapNote("throughput or cycle time of a whole portfolio: kpi_delivery_flow is per Jira project and week."));
    return out;
  },

  prioritisation(portfolio) {
    const out = [];
    const slate = forPortfolio(objects(DATA.slate), portfolio);
    const ranked = slate.filter((r) => r.priority_rank !== null);
    const traces = [];
    for (const [name, group] of byKey(ranked, "portfolio_name")) {
      traces.push({ type: "scatter", mode: "markers", name, x: group.map((r) => r.priority_score), y: group.map((r) => r.wsjf), text: group.map((r) => `${r.item_id} ${r.item_name}`), hovertemplate: "%{text}<br>score %{x:.2f}, WSJF %{y:.2f}<extra></extra>" });
    }
    out.push(el("div", { class: "grid2" },
      chart("Priority score vs WSJF", traces, { xaxis: { title: { text: "weighted priority score" } }, yaxis: { title: { text: "WSJF" } } }),
      portfolio === ALL
        ? el("p", { class: "note", text: "Ranks are within a portfolio: choose one to see its ranked slate as a chart." })
        : chart(`${portfolio}: the ranked slate`, [{ type: "bar", orientation: "h", x: ranked.map((r) => r.priority_score), y: ranked.map((r) => `#${r.priority_rank} ${r.item_id}`), name: "priority score" }], { yaxis: { autorange: "reversed" }, height: Math.max(340, 22 * ranked.length + 80), margin: { l: 140, r: 20, t: 40, b: 40 } }),
    ));
    const itemKey = (r) => ({ item_type: r.item_type, item_id: r.item_id });
    const P = "kpi_prioritization";
    out.push(section("Ranked slate", table(slate, [
      { label: "portfolio", column: "portfolio_name", kind: "text" },
      { label: "rank", column: "priority_rank", kind: "count", mart: P, key: itemKey },
      { label: "type", column: "item_type", kind: "text" },
      { label: "item", column: "item_id", kind: "text" },
      { label: "name", column: "item_name", kind: "text" },
      { label: "score", column: "priority_score", kind: "index", mart: P, key: itemKey },
      { label: "WSJF", column: "wsjf", kind: "index", mart: P, key: itemKey },
      { label: "NPV", column: "npv_amount", kind: "money", mart: P, key: itemKey },
    ], { id: "slate-table" })));
    return out;
  },

  scenarios(portfolio) {
    const out = [];
    const summary = objects(DATA.summary);
    if (!DATA.summary) {
      out.push(gapNote("the scenario marts: this published file predates them (run `pwh scenario`)."));
      return out;
    }
    document.getElementById("filter-note").textContent = portfolio === ALL ? "" :
      "A slate's totals cover every portfolio (a scenario funds them together); the tables show this portfolio's items.";
    const S = "scenario_summary";
    const totals = summary.filter((r) => r.is_total);
    for (const total of totals) {
      const src = (column) => ({ mart: S, column, row: { scenario_name: total.scenario_name, is_total: true } });
      if (total.status === "invalid" || total.status === "infeasible") {
        out.push(section(`${total.scenario_name}: ${total.status}`, el("p", { class: "bad", text: total.status_message })));
        continue;
      }
      const kind = total.objective === "priority_score" ? "number" : "money";
      out.push(section(`${total.scenario_name} — ${total.description || total.objective}`, el("div", { class: "tiles" },
        tile("Objective", total.objective_value, kind, src("objective_value"), total.objective),
        tile("Greedy objective", total.greedy_objective_value, kind, src("greedy_objective_value"), "rank order, fund while it fits"),
        tile("Gain over greedy", total.objective_gain, kind, src("objective_gain")),
        tile("Funded", total.funded_count, "count", src("funded_count"), `of ${total.candidate_count} candidates`),
        tile("Optimality gap", total.mip_gap, "percent", src("mip_gap"), `${format(total.solve_seconds, "number")} s`),
        tile("Budget used", total.budget_used_ratio, "percent", src("budget_used_ratio")),
        tile("Capacity used", total.capacity_used_ratio, "percent", src("capacity_used_ratio")),
      )));
    }
    const frontier = byKey(objects(DATA.frontier), "scenario_name");
    const charts = [];
    for (const [name, points] of frontier) {
      charts.push(chart(`${name}: the efficient frontier`, [{
        type: "scatter", mode: "lines+markers", name: "optimum",
        x: points.map((r) => r.budget_ratio), y: points.map((r) => r.objective_value),
        text: points.map((r) => `${r.funded_count ?? "—"} funded`), hovertemplate: "budget %{x:.0%}: %{y:,.3~s}<br>%{text}<extra></extra>",
      }], { xaxis: { title: { text: "budget, share of the scenario's" }, tickformat: ".0%" }, yaxis: { title: { text: "objective" } } }));
    }
    if (charts.length) out.push(el("div", { class: "grid2" }, ...charts));
    const selectionKey = (r) => ({ scenario_name: r.scenario_name, item_id: r.item_id });
    const SEL = "scenario_selection";
    const selection = forPortfolio(objects(DATA.selection), portfolio);
    out.push(section("The slates, item by item", table(selection, [
      { label: "scenario", column: "scenario_name", kind: "text" },
      { label: "portfolio", column: "portfolio_name", kind: "text" },
      { label: "item", column: "item_id", kind: "text" },
      { label: "name", column: "item_name", kind: "text" },
      { label: "value", column: "item_value", kind: "number", mart: SEL, key: selectionKey },
      { label: "cost in horizon", column: "cost_amount", kind: "money", mart: SEL, key: selectionKey },
      { label: "hours", column: "effort_hours", kind: "hours", mart: SEL, key: selectionKey },
      { label: "funded", column: "is_funded", kind: "bool", mart: SEL, key: selectionKey },
      { label: "greedy", column: "is_funded_greedy", kind: "bool", mart: SEL, key: selectionKey },
      { label: "why not", column: "not_funded_detail", kind: "text" },
    ], { id: "scenario-selection-table" })));
    const moves = forPortfolio(objects(DATA.sensitivity), portfolio).filter((r) => r.item_id !== null);
    out.push(section("What moves at −10 % / +10 % budget and −10 % capacity", table(moves, [
      { label: "scenario", column: "scenario_name", kind: "text" },
      { label: "change", column: "change_name", kind: "text" },
      { label: "movement", column: "movement", kind: "text" },
      { label: "item", column: "item_id", kind: "text" },
      { label: "name", column: "item_name", kind: "text" },
      { label: "cost in horizon", column: "cost_amount", kind: "money" },
    ], { id: "scenario-sensitivity-table" })));
    return out;
  },

  governance(portfolio) {
    // docs/kpis.md "Governance": one section per forum; every number is a value of a governance mart row
    const out = [];
    // kpi_governance_headline's lines, as the mart words them (text: shown, not re-derived)
    const lines = objects(DATA.headline);
    out.push(section("This month's governance lines (all portfolios)", el("ul", { class: "headlines" },
      ...lines.map((r) => el("li", { text: r.headline })))));

    const gateKey = (r) => ({ portfolio_name: r.portfolio_name, phase: r.phase, month_start_date: r.month_start_date });
    const G = "kpi_stage_gates";
    out.push(section("Stage gates this month, by portfolio and phase", table(forPortfolio(objects(DATA.gates), portfolio), [
      { label: "portfolio", column: "portfolio_name", kind: "text" },
      { label: "phase", column: "phase", kind: "text" },
      { label: "due", column: "gates_due_count", kind: "count", mart: G, key: gateKey },
      { label: "passed", column: "gates_passed_count", kind: "count", mart: G, key: gateKey },
      { label: "passed late", column: "gates_passed_late_count", kind: "count", mart: G, key: gateKey, flag: (r) => r.gates_passed_late_count > 0 },
      { label: "on time", column: "on_time_gate_ratio", kind: "percent", mart: G, key: gateKey },
      { label: "overdue now", column: "gates_overdue_count", kind: "count", mart: G, key: gateKey, flag: (r) => r.gates_overdue_count > 0 },
      { label: "median days in phase", column: "median_days_in_phase", kind: "days", mart: G, key: gateKey },
      { label: "p85 days in phase", column: "p85_days_in_phase", kind: "days", mart: G, key: gateKey },
    ], { id: "gates-table" })));
    const overdueKey = (r) => ({ phase_task_id: r.phase_task_id });
    out.push(section("Gates overdue now", table(forPortfolio(objects(DATA.overdue_gates), portfolio), [
      { label: "project", column: "project_id", kind: "text" },
      { label: "portfolio", column: "portfolio_name", kind: "text" },
      { label: "phase", column: "phase", kind: "text" },
      { label: "planned gate", column: "planned_gate_date", kind: "date", mart: "fct_stage_gate", key: overdueKey },
      { label: "days overdue", column: "days_overdue", kind: "count", mart: "fct_stage_gate", key: overdueKey, flag: () => true },
      { label: "project says", column: "project_phase", kind: "text" },
    ], { id: "overdue-gates-table" })));

    const demand = objects(DATA.demand);
    const D = "kpi_demand_pipeline";
    out.push(el("div", { class: "grid2" },
      chart("Open demands at month end", linesByPortfolio(demand, portfolio, "open_backlog_count", "open demands")),
      chart("Approved and converted per month", [
        ...linesByPortfolio(demand, portfolio, "approved_count", "approved").map((tr) => ({ ...tr, name: suffixed(tr.name, portfolio, "approved") })),
        ...linesByPortfolio(demand, portfolio, "converted_count", "converted").map((tr) => ({ ...tr, name: suffixed(tr.name, portfolio, "converted"), line: { dash: "dot" } })),
      ]),
    ));
    const current = forPortfolio(demand.filter((r) => r.is_partial_month), portfolio);
    out.push(section("Demand intake this month", table(current, [
      { label: "portfolio", column: "portfolio_name", kind: "text" },
      { label: "submitted", column: "submitted_count", kind: "count", mart: D, key: monthKey },
      { label: "approved", column: "approved_count", kind: "count", mart: D, key: monthKey },
      { label: "rejected", column: "rejected_count", kind: "count", mart: D, key: monthKey },
      { label: "converted", column: "converted_count", kind: "count", mart: D, key: monthKey },
      { label: "approval rate", column: "approval_ratio", kind: "percent", mart: D, key: monthKey },
      { label: "open", column: "open_backlog_count", kind: "count", mart: D, key: monthKey },
      { label: "open, estimated cost", column: "open_backlog_estimated_cost_amount", kind: "money", mart: D, key: monthKey },
      { label: "median age (days)", column: "median_open_age_days", kind: "days", mart: D, key: monthKey },
      { label: "free capacity, next 12 months (h)", column: "uncommitted_capacity_hours", kind: "hours", mart: D, key: monthKey },
      { label: "backlog effort / free capacity", column: "backlog_capacity_ratio", kind: "percent", mart: D, key: monthKey, flag: (r) => r.backlog_capacity_ratio > 1 },
    ], { id: "demand-table" })));

    const T = "kpi_timesheet_compliance_by_department";
    const sheetKey = (r) => ({ department: r.department, month_start_date: r.month_start_date });
    out.push(section("Time sheets by department (not by portfolio)", table(objects(DATA.time_sheets), [
      { label: "department", column: "department", kind: "text" },
      { label: "month", column: "month_start_date", kind: "date", mart: T, key: sheetKey },
      { label: "due", column: "due_count", kind: "count", mart: T, key: sheetKey },
      { label: "on time", column: "submitted_on_time_count", kind: "count", mart: T, key: sheetKey },
      { label: "late", column: "submitted_late_count", kind: "count", mart: T, key: sheetKey },
      { label: "missing", column: "missing_count", kind: "count", mart: T, key: sheetKey, flag: (r) => r.missing_count > 0 },
      { label: "on-time rate", column: "on_time_ratio", kind: "percent", mart: T, key: sheetKey },
      { label: "hours vs capacity", column: "hours_vs_capacity_ratio", kind: "percent", mart: T, key: sheetKey },
    ], { id: "time-sheets-table" })));

    const C = "kpi_vendor_concentration";
    out.push(section("Vendor concentration this month", table(forPortfolio(objects(DATA.concentration), portfolio), [
      { label: "portfolio", column: "portfolio_name", kind: "text" },
      { label: "vendors", column: "vendor_count", kind: "count", mart: C, key: monthKey },
      { label: "spend", column: "spend_amount", kind: "money", mart: C, key: monthKey },
      { label: "top-5 share", column: "top_5_vendor_share_ratio", kind: "percent", mart: C, key: monthKey },
      { label: "largest vendor's share", column: "largest_vendor_share_ratio", kind: "percent", mart: C, key: monthKey },
    ], { id: "concentration-table" })));
    const V = "kpi_vendor_performance";
    const vendorKey = (r) => ({ vendor_id: r.vendor_id, month_start_date: r.month_start_date });
    out.push(section("Vendors this month, largest spend first (all portfolios)", table(objects(DATA.vendors), [
      { label: "vendor", column: "vendor_name", kind: "text" },
      { label: "spend", column: "spend_amount", kind: "money", mart: V, key: vendorKey },
      { label: "share", column: "share_of_month_spend_ratio", kind: "percent", mart: V, key: vendorKey },
      { label: "projects", column: "project_count", kind: "count", mart: V, key: vendorKey },
      { label: "on red/amber projects", column: "red_amber_project_spend_amount", kind: "money", mart: V, key: vendorKey },
      { label: "cumulative", column: "cumulative_spend_amount", kind: "money", mart: V, key: vendorKey },
    ], { id: "vendors-table", limit: 15 })));

    const R = "kpi_dependency_risk";
    const pairKey = (r) => ({ blocked_project_id: r.blocked_project_id, blocking_project_id: r.blocking_project_id });
    out.push(section("Cross-project dependencies (under the blocked project's portfolio)", table(forPortfolio(objects(DATA.dependencies), portfolio), [
      { label: "blocked project", column: "blocked_project_id", kind: "text" },
      { label: "waits on", column: "blocking_project_id", kind: "text" },
      { label: "its portfolio", column: "blocking_portfolio_name", kind: "text" },
      { label: "open links", column: "open_dependency_count", kind: "count", mart: R, key: pairKey },
      { label: "blocker health", column: "blocker_overall_health", kind: "text" },
      { label: "blocker slip (days)", column: "blocker_schedule_slip_days", kind: "count", mart: R, key: pairKey },
      { label: "blocker ends", column: "blocker_planned_end_date", kind: "date", mart: R, key: pairKey },
      { label: "work starts", column: "blocked_work_planned_start_date", kind: "date", mart: R, key: pairKey },
      { label: "at risk", column: "is_at_risk", kind: "bool", mart: R, key: pairKey, flag: (r) => r.is_at_risk },
    ], { id: "dependencies-table" })));
    return out;
  },

  data_health(portfolio) {
    const out = [];
    document.getElementById("filter-note").textContent =
      portfolio === ALL ? "" : "Sources, checks and rejects are not by portfolio: this page shows them all.";
    const run = objects(DATA.latest_run)[0];
    if (run) {
      const src = (column) => ({ mart: "kpi_run_health", column, row: { run_id: run.run_id } });
      out.push(section(`Latest run ${run.run_id.slice(0, 8)}, started ${format(run.run_started_at, "timestamp")}`, el("div", { class: "tiles" },
        tile("Checks", run.check_count, "count", src("check_count")),
        tile("Passed", run.passed_count, "count", src("passed_count")),
        tile("Blocking failures", run.blocking_failure_count, "count", src("blocking_failure_count")),
        tile("Warnings", run.warning_count, "count", src("warning_count")),
        tile("Failed entities", run.failed_entity_count, "count", src("failed_entity_count"), run.failed_sources || "no source failed"),
      )));
    }
    const freshKey = (r) => ({ source_name: r.source_name, entity: r.entity });
    const FR = "kpi_source_freshness";
    out.push(section("Source freshness", table(objects(DATA.freshness), [
      { label: "source", column: "source_name", kind: "text" },
      { label: "entity", column: "entity", kind: "text" },
      { label: "last success", column: "last_success_at", kind: "timestamp", mart: FR, key: freshKey },
      { label: "last attempt", column: "last_attempt_status", kind: "text" },
      { label: "records last run", column: "records_last_run", kind: "count", mart: FR, key: freshKey },
      { label: "hours since success", column: "hours_since_last_success", kind: "hours", mart: FR, key: freshKey },
      { label: "stale", column: "is_stale", kind: "bool", flag: (r) => r.is_stale },
      { label: "last failure", column: "last_failure_reason", kind: "text" },
    ], { id: "freshness-table" })));
    out.push(section("The latest run's checks (failed first)", table(objects(DATA.checks), [
      { label: "layer", column: "layer", kind: "text" },
      { label: "table", column: "table_name", kind: "text" },
      { label: "check", column: "check_name", kind: "text" },
      { label: "severity", column: "severity", kind: "text" },
      { label: "passed", column: "passed", kind: "bool", flag: (r) => !r.passed },
      { label: "failing rows", column: "failing_rows", kind: "count" },
      { label: "detail", column: "detail", kind: "text" },
    ], { id: "checks-table" })));
    out.push(section("Finance rejects", table(objects(DATA.rejects), [
      { label: "stage", column: "reject_stage", kind: "text" },
      { label: "file", column: "file_name", kind: "text" },
      { label: "line", column: "file_line", kind: "count" },
      { label: "reason", column: "reason", kind: "text" },
      { label: "raw text", column: "raw_text", kind: "text" },
    ], { id: "rejects-table" })));
    return out;
  },
};

// --- the portfolio filter, kept in the address (#portfolio=…) and carried to the other pages ----------

function currentPortfolio() {
  const wanted = new URLSearchParams(location.hash.slice(1)).get("portfolio");
  return PAYLOAD.portfolios.includes(wanted) ? wanted : ALL;
}

function render() {
  const portfolio = currentPortfolio();
  const filter = document.getElementById("portfolio-filter");
  filter.value = portfolio;
  for (const link of document.querySelectorAll("nav a[data-page-link]")) {
    const base = link.getAttribute("href").split("#")[0];
    link.setAttribute("href", portfolio === ALL ? base : `${base}#${new URLSearchParams({ portfolio })}`);
  }
  document.getElementById("filter-note").textContent = "";
  const content = document.getElementById("content");
  content.replaceChildren(...PAGES[PAYLOAD.page](portfolio));
  document.body.dataset.portfolio = portfolio;
}

function setup() {
  const filter = document.getElementById("portfolio-filter");
  for (const name of [ALL, ...PAYLOAD.portfolios]) filter.append(el("option", { value: name, text: name }));
  filter.addEventListener("change", () => {
    location.hash = filter.value === ALL ? "" : new URLSearchParams({ portfolio: filter.value }).toString();
  });
  window.addEventListener("hashchange", render);
  renderBanner();
  render();
  document.body.dataset.ready = "true";
}

setup();
