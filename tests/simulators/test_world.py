"""The generated world: deterministic, self-consistent, the right size, and able to move on in time."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from simulators.world import SCALES, World
from simulators.world.store import POLYMORPHIC_REFERENCES, SERVICENOW_TABLES, SPRINT_FIELD_ID, STORY_POINTS_FIELD_ID

ROOT = Path(__file__).resolve().parents[2]
GLIDE_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
GLIDE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DATETIME_FIELDS = {"start_date", "end_date", "work_start", "work_end", "submitted_date", "u_submitted_on"}
DATE_FIELDS = {"fiscal_start_date", "fiscal_end_date", "week_starts_on", "as_on"}
# Glide-date fields of resource_plan are dates; elsewhere start/end are glide_date_time.
DATE_ONLY = {("resource_plan", "start_date"), ("resource_plan", "end_date")}
MAY_BE_EMPTY = {("pm_project", "program"), ("dmn_demand", "project")}
PARTNER_DOMAIN = "@partner.example.net"
BOT_EMAIL = "pwh-bot@example.com"


def sn_table(conn: sqlite3.Connection, table: str) -> list[dict]:
    return [json.loads(body) for (body,) in conn.execute("select body from sn_record where tbl = ?", (table,))]


def sn_rows(conn: sqlite3.Connection, table: str) -> list[tuple[str, str, str, dict]]:
    return [
        (sys_id, created, updated, json.loads(body))
        for sys_id, created, updated, body in conn.execute(
            "select sys_id, sys_created_on, sys_updated_on, body from sn_record where tbl = ?", (table,)
        )
    ]


def rows_digest(path: Path) -> str:
    """A hash of every row of every table, in primary-key order."""
    conn = sqlite3.connect(path)
    digest = hashlib.sha256()
    for (table,) in conn.execute("select name from sqlite_master where type = 'table' order by name"):
        for row in conn.execute(f"select * from {table} order by 1, 2"):
            digest.update(repr(row).encode())
    conn.close()
    return digest.hexdigest()


@pytest.fixture(scope="module")
def conn(small_world_path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(f"file:{small_world_path}?mode=ro", uri=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def now(conn: sqlite3.Connection) -> datetime:
    return datetime.fromisoformat(conn.execute("select value from meta where key = 'now'").fetchone()[0])


# --- determinism -----------------------------------------------------------------------------


def test_same_arguments_give_a_byte_identical_file_whatever_the_hash_seed(
    small_world_path: Path, tmp_path: Path
) -> None:
    other = tmp_path / "again.sqlite"
    script = (
        "import sys; from datetime import date; from simulators.world import World; "
        "World.generate(sys.argv[1], scale='small', seed=7, anchor=date(2026, 6, 30)).close()"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    subprocess.run([sys.executable, "-c", script, str(other)], check=True, env=env, cwd=ROOT)
    assert rows_digest(other) == rows_digest(small_world_path)
    assert other.read_bytes() == small_world_path.read_bytes()


def test_another_seed_gives_another_world(small_world_path: Path, tmp_path: Path) -> None:
    other = World.generate(tmp_path / "seed8.sqlite", scale="small", seed=8, anchor=date(2026, 6, 30))
    other.close()
    assert rows_digest(other.path) != rows_digest(small_world_path)


def test_the_world_cache_key_covers_every_generator_module() -> None:
    """A change to any module that shapes a world file changes the cached world's name."""
    from simulators.serve import GENERATOR_MODULES, GENERATOR_VERSION, world_file_name

    script = (
        "import sys; from simulators.world import World; "
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('simulators.'))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    ).stdout.split()
    generator = {name.removeprefix("simulators.world.") for name in loaded if name.startswith("simulators.world.")}
    assert "world" in generator
    assert generator <= set(GENERATOR_MODULES)
    # simulators/__init__ loads the servers and their launcher; nothing else may shape a world unhashed.
    assert not [
        name for name in loaded if not name.startswith(("simulators.world", "simulators.api", "simulators.serve"))
    ]
    assert re.fullmatch(r"[0-9a-f]{10}", GENERATOR_VERSION)
    assert world_file_name("small", 7, date(2026, 6, 30)).endswith(f"-g{GENERATOR_VERSION}.sqlite")


# --- meta, sizes, static Jira rows -------------------------------------------------------------


def test_meta_holds_the_clock_and_the_credentials(small_world_path: Path) -> None:
    with World.open(small_world_path) as world:
        meta = world.meta()
        assert world.scale == "small" and world.seed == 7 and world.anchor == date(2026, 6, 30)
        assert world.now == datetime(2026, 6, 30, 18, tzinfo=UTC)
    assert meta["jira_email"] == "pwh-bot@example.com"
    assert meta["jira_api_token"] == "sim-jira-token"
    assert meta["servicenow_user"] == "pwh.integration"
    assert meta["servicenow_password"] == "sim-servicenow-password"
    assert meta["reporting_currency"] == "USD"
    assert meta["jira_timezone"] == "America/Los_Angeles"
    assert {"schema_version", "scale", "seed", "anchor", "now"} <= meta.keys()


def test_small_world_counts_are_in_range(small_world_path: Path) -> None:
    with World.open(small_world_path) as world:
        counts = world.counts()
    expected_keys = {f"servicenow/{t}" for t in SERVICENOW_TABLES} | {
        "jira/projects",
        "jira/issues",
        "jira/worklogs",
        "jira/issue_changelogs",
        "jira/users",
        "jira/statuses",
        "jira/fields",
        "jira/versions",
        "jira/boards",
        "jira/sprints",
    }
    assert set(counts) == expected_keys and len(SERVICENOW_TABLES) == 21
    assert all(count > 0 for count in counts.values()), counts
    assert counts["servicenow/pm_project"] == SCALES["small"].projects == 25
    assert counts["servicenow/pm_portfolio"] == 3
    assert counts["servicenow/sys_user"] == 60
    assert 1500 <= counts["jira/issues"] <= 3000
    assert counts["jira/worklogs"] > counts["jira/issues"]
    assert 1000 <= counts["servicenow/time_card"] <= 10000
    # fiscal years from anchor-36 months to anchor+24 months: 2023..2028, 17 periods a year
    assert counts["servicenow/fiscal_period"] == 6 * 17


def test_jira_static_rows_follow_the_openapi_shapes(conn: sqlite3.Connection) -> None:
    static = {name: json.loads(body) for name, body in conn.execute("select name, body from jira_static")}
    assert set(static) == {"fields", "statuses", "myself", "serverInfo", "issueLinkTypes"}
    fields = {f["name"]: f for f in static["fields"]}
    assert fields["Story point estimate"]["id"] == STORY_POINTS_FIELD_ID
    assert fields["Story point estimate"]["schema"]["type"] == "number"
    assert fields["Sprint"]["id"] == SPRINT_FIELD_ID and fields["Sprint"]["schema"]["items"] == "json"
    assert sum(f["custom"] for f in static["fields"]) >= 4
    for field in static["fields"]:
        assert {
            "id",
            "key",
            "name",
            "custom",
            "orderable",
            "navigable",
            "searchable",
            "clauseNames",
            "schema",
        } <= field.keys()
    assert {s["statusCategory"]["key"] for s in static["statuses"]} == {"new", "indeterminate", "done"}
    assert static["myself"]["timeZone"] == "America/Los_Angeles"
    assert static["myself"]["emailAddress"] == BOT_EMAIL
    assert static["serverInfo"]["deploymentType"] == "Cloud"
    blocks = next(t for t in static["issueLinkTypes"]["issueLinkTypes"] if t["name"] == "Blocks")
    assert (blocks["inward"], blocks["outward"]) == ("is blocked by", "blocks")


# --- ServiceNow shapes and references -----------------------------------------------------------


def test_servicenow_values_are_strings_in_glide_shapes(conn: sqlite3.Connection, now: datetime) -> None:
    latest = (now - timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M:%S")
    for table, spec in SERVICENOW_TABLES.items():
        for sys_id, created, updated, body in sn_rows(conn, table):
            assert set(body) == {"sys_id", "sys_created_on", "sys_updated_on", *spec["fields"]}, table
            assert all(isinstance(v, str) for v in body.values()), (table, body)
            assert re.fullmatch(r"[0-9a-f]{32}", sys_id) and body["sys_id"] == sys_id
            assert (body["sys_created_on"], body["sys_updated_on"]) == (created, updated)
            assert GLIDE_DATETIME.match(created) and created <= updated <= latest, (table, body)
            for name, value in body.items():
                if value and (name in DATE_FIELDS or (table, name) in DATE_ONLY):
                    assert GLIDE_DATE.match(value), (table, name, value)
                elif value and name in DATETIME_FIELDS:
                    assert GLIDE_DATETIME.match(value), (table, name, value)


def test_every_reference_resolves(conn: sqlite3.Connection) -> None:
    ids = defaultdict(set)
    for table, sys_id in conn.execute("select tbl, sys_id from sn_record"):
        ids[table].add(sys_id)
    for table, spec in SERVICENOW_TABLES.items():
        for body in sn_table(conn, table):
            for field, target in spec["references"].items():
                value = body[field]
                if not value:
                    assert (table, field) in MAY_BE_EMPTY, (table, field, body)
                    continue
                targets = POLYMORPHIC_REFERENCES.get((table, field), (target,))
                assert any(value in ids[t] for t in targets), (table, field, value)


def test_codes_are_the_contract_codes(conn: sqlite3.Connection) -> None:
    projects = sn_table(conn, "pm_project")
    assert {p["state"] for p in projects} == {"-5", "1", "2", "3", "4", "7"}
    assert {p["execution_type"] for p in projects} == {"waterfall", "agile", "hybrid"}
    assert {p["state"] for p in sn_table(conn, "dmn_demand")} <= {
        "draft",
        "submitted",
        "screening",
        "qualified",
        "approved",
        "completed",
        "deferred",
        "rejected",
    }
    assert {c["state"] for c in sn_table(conn, "time_card")} == {
        "pending",
        "submitted",
        "approved",
        "processed",
        "rejected",
        "recalled",
    }
    assert {r["state"] for r in sn_table(conn, "risk")} <= {"open", "monitoring", "mitigating", "closed", "retired"}
    for risk in sn_table(conn, "risk"):
        assert risk["probability"] in "12345" and risk["impact"] in "12345"
    assert {c["expense_type"] for c in sn_table(conn, "cost_plan")} == {"capex", "opex"}
    health = {s[f] for s in sn_table(conn, "project_status") for f in ("overall_health", "schedule", "cost")}
    assert health == {"green", "yellow", "red"}
    periods = sn_table(conn, "fiscal_period")
    assert {p["fiscal_type"] for p in periods} == {"year", "quarter", "month"}
    assert {"FY26", "FY26: Q1", "FY26: M03"} <= {p["name"] for p in periods}
    users = sn_table(conn, "sys_user")
    assert len({u["user_name"] for u in users}) == len(users)
    assert {u["active"] for u in users} == {"true", "false"}
    assert all(u["email"] == u["email"].lower() for u in users)


def test_project_lifecycle_is_consistent(conn: sqlite3.Connection, now: datetime) -> None:
    breakdowns = defaultdict(float)
    for b in sn_table(conn, "cost_plan_breakdown"):
        breakdowns[b["task"]] += float(b["cost"])
    keys = [p["u_jira_project_key"] for p in sn_table(conn, "pm_project") if p["u_jira_project_key"]]
    assert len(keys) == len(set(keys))
    for p in sn_table(conn, "pm_project"):
        state, percent = p["state"], int(p["percent_complete"])
        assert re.fullmatch(r"PRJ\d{7}", p["number"]) and re.fullmatch(r"WBS-\d{5}", p["u_wbs_code"])
        assert p["priority"] in "12345" and 1 <= int(p["u_job_size"]) <= 10
        assert p["start_date"] < p["end_date"]
        if state == "-5":
            assert p["approval"] != "approved" and p["work_start"] == "" and p["phase"] == "initiating"
        else:
            assert p["approval"] == "approved"
        if state in ("-5", "1", "7"):
            assert p["work_start"] == "" and percent == 0
        if state == "2":
            assert p["work_start"] and not p["work_end"] and 0 < percent < 100
            assert p["phase"] in ("executing", "delivering")
        if state in ("3", "4", "7"):
            assert p["work_end"] and p["phase"] == "closing"
        if state in ("3", "4"):
            assert p["work_start"] <= p["work_end"]
        if state == "3":
            assert percent == 100
        if p["execution_type"] in ("agile", "hybrid"):
            assert re.fullmatch(r"[A-Z]{2,5}", p["u_jira_project_key"])
        if p["sys_id"] in breakdowns:
            assert float(p["cost"]) == pytest.approx(breakdowns[p["sys_id"]], abs=0.05)


def test_baselines_measure_on_time_against_the_oldest(conn: sqlite3.Connection) -> None:
    projects = {p["sys_id"]: p for p in sn_table(conn, "pm_project")}
    milestones = {t["sys_id"]: t for t in sn_table(conn, "pm_project_task") if t["milestone"] == "true"}
    by_project = defaultdict(list)
    for sys_id, created, _, body in sn_rows(conn, "planned_task_baseline"):
        by_project[body["task"]].append((created, sys_id))
    items = defaultdict(list)
    for item in sn_table(conn, "planned_task_baseline_item"):
        items[item["baseline"]].append(item)
    assert {len(v) for v in by_project.values()} == {1, 2}
    started = [p for p in projects.values() if p["work_start"]]
    assert any(p["sys_id"] not in by_project for p in started), "a few projects have no baseline"
    on_time = late = 0
    for project_id, baselines in by_project.items():
        baselines.sort()
        ends = []
        for _, baseline_id in baselines:
            own = [i for i in items[baseline_id] if i["task"] == project_id]
            assert len(own) == 1
            ends.append(own[0]["end_date"])
            for item in items[baseline_id]:
                if item["task"] != project_id:
                    assert milestones[item["task"]]["top_task"] == project_id
        if len(ends) == 2:
            assert ends[1] > ends[0]
            assert projects[project_id]["end_date"][:10] == ends[1][:10]
        project = projects[project_id]
        if project["state"] == "3":
            if project["work_end"][:10] <= ends[0][:10]:
                on_time += 1
            else:
                late += 1
    assert on_time and late


def test_milestones_belong_to_their_project(conn: sqlite3.Connection) -> None:
    tasks = {t["sys_id"]: t for t in sn_table(conn, "pm_project_task")}
    done_on_time = done_late = 0
    for task in tasks.values():
        if task["milestone"] == "true":
            parent = tasks[task["parent"]]
            assert parent["top_task"] == task["top_task"]
            if task["work_end"]:
                assert task["state"] == "3" and task["percent_complete"] == "100"
                if task["work_end"][:10] <= task["end_date"][:10]:
                    done_on_time += 1
                else:
                    done_late += 1
        else:
            assert task["parent"] == task["top_task"]
    assert done_on_time and done_late


def test_time_cards_only_for_allocated_person_weeks(conn: sqlite3.Connection) -> None:
    tasks = {t["sys_id"]: t["top_task"] for t in sn_table(conn, "pm_project_task")}
    plans = defaultdict(list)
    for plan in sn_table(conn, "resource_plan"):
        if plan["state"] in ("confirmed", "allocated", "completed"):
            plans[(plan["user"], plan["task"])].append((plan["start_date"], plan["end_date"]))
    per_person_day = defaultdict(float)
    on_tasks = 0
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    for card in sn_table(conn, "time_card"):
        week = date.fromisoformat(card["week_starts_on"])
        assert week.weekday() == 0
        project = tasks.get(card["task"], card["task"])
        on_tasks += card["task"] in tasks
        sunday = (week + timedelta(days=6)).isoformat()
        assert any(first <= sunday and last >= week.isoformat() for first, last in plans[(card["user"], project)]), card
        hours = [float(card[d]) for d in days]
        assert all(0 <= h <= 24 for h in hours)
        assert float(card["total"]) == pytest.approx(sum(hours))
        for offset, h in enumerate(hours):
            per_person_day[(card["user"], week + timedelta(days=offset))] += h
    assert max(per_person_day.values()) <= 24
    assert on_tasks > 0
    anchor_week = date(2026, 6, 29)
    assert max(date.fromisoformat(c["week_starts_on"]) for c in sn_table(conn, "time_card")) == anchor_week
    for (_, day), h in per_person_day.items():
        if day > date(2026, 6, 30):
            assert h == 0


def test_benefit_actuals_only_after_go_live_and_before_the_clock(conn: sqlite3.Connection) -> None:
    projects = {p["sys_id"]: p for p in sn_table(conn, "pm_project")}
    months = {p["sys_id"]: p["fiscal_start_date"] for p in sn_table(conn, "fiscal_period")}
    realised = 0
    for b in sn_table(conn, "benefit_plan_breakdown"):
        month = months[b["fiscal_period"]]
        if month >= "2026-06-01":
            assert b["actual_benefit"] == ""
        if b["actual_benefit"] and float(b["actual_benefit"]) > 0:
            realised += 1
            project = projects[b["task"]]
            assert project["state"] == "3" and project["work_end"][:10] < month
    assert realised > 0


# --- what a PMO lead sees ----------------------------------------------------------------------


def _months(conn: sqlite3.Connection) -> dict[str, str]:
    return {p["sys_id"]: p["fiscal_start_date"] for p in sn_table(conn, "fiscal_period") if p["fiscal_type"] == "month"}


def test_budgets_only_where_money_is_committed(conn: sqlite3.Connection) -> None:
    """Pending projects plan no money before their (re)planned start; skipped ones none at all."""
    projects = {p["sys_id"]: p for p in sn_table(conn, "pm_project")}
    months = _months(conn)
    planned = defaultdict(list)
    for b in sn_table(conn, "cost_plan_breakdown"):
        planned[b["task"]].append(months[b["fiscal_period"]])
    stalled = 0
    for project in projects.values():
        if project["state"] == "-5":
            assert min(planned[project["sys_id"]]) >= "2026-07-01", project["number"]
            stalled += project["start_date"] < "2026-06-30"
        if project["state"] == "7":
            assert not planned[project["sys_id"]] and float(project["cost"]) == 0
    assert stalled == 1  # the deliberate one: pending, its planned start long past


def _gl_usd(conn: sqlite3.Connection) -> dict[str, dict[str, float]]:
    rates = {
        (p, c): float(r) for p, c, r in conn.execute("select period, currency, rate_to_reporting from fin_fx_rate")
    }
    spent: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for wbs, year, period, amount, currency in conn.execute(
        "select wbs_code, fiscal_year, fiscal_period, amount, currency from fin_gl_line"
    ):
        month = f"{year}-{period:02d}"
        if (month, currency) in rates:  # a line no rate converts is rejected by the warehouse, not spend
            spent[wbs][f"{month}-01"] += float(amount) * rates[(month, currency)]
    return spent


def test_spend_runs_around_plan(conn: sqlite3.Connection) -> None:
    """Portfolios are within ±15 % of plan to date; closed-complete projects end near their plan."""
    months = _months(conn)
    gl = _gl_usd(conn)
    plan_by_project = defaultdict(float)
    for b in sn_table(conn, "cost_plan_breakdown"):
        if months[b["fiscal_period"]] <= "2026-06-01":
            plan_by_project[b["task"]] += float(b["cost"])
    by_portfolio = defaultdict(lambda: [0.0, 0.0])
    ended = []
    for project in sn_table(conn, "pm_project"):
        actual = sum(value for month, value in gl[project["u_wbs_code"]].items() if month <= "2026-06-01")
        by_portfolio[project["portfolio"]][0] += plan_by_project[project["sys_id"]]
        by_portfolio[project["portfolio"]][1] += actual
        if project["state"] == "3":
            ended.append(actual / float(project["cost"]))
    for planned, actual in by_portfolio.values():
        assert -0.15 <= actual / planned - 1 <= 0.15
    assert ended and all(0.8 <= ratio <= 1.45 for ratio in ended)


def test_people_are_mostly_allocated_and_book_their_time(conn: sqlite3.Connection) -> None:
    """Recent months: allocation 65-90 % of everyone's capacity, approved hours 55-85 %."""
    users = sn_table(conn, "sys_user")
    days = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    for first in (date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)):
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        weekdays = sum(1 for n in range((last - first).days + 1) if (first + timedelta(days=n)).weekday() < 5)
        capacity = sum(float(u["u_weekly_capacity_hours"]) / 5 * weekdays for u in users)
        allocated = 0.0
        for plan in sn_table(conn, "resource_plan"):
            if plan["state"] not in ("confirmed", "allocated", "completed"):
                continue
            start, end = date.fromisoformat(plan["start_date"]), date.fromisoformat(plan["end_date"])
            span = [start + timedelta(days=n) for n in range((end - start).days + 1)]
            working = [d for d in span if d.weekday() < 5]
            allocated += float(plan["planned_hours"]) / len(working) * sum(1 for d in working if first <= d <= last)
        booked = 0.0
        for card in sn_table(conn, "time_card"):
            if card["state"] in ("approved", "processed"):
                week = date.fromisoformat(card["week_starts_on"])
                booked += sum(float(card[d]) for n, d in enumerate(days) if first <= week + timedelta(days=n) <= last)
        assert 0.65 <= allocated / capacity <= 0.9, (first, allocated / capacity)
        assert 0.55 <= booked / capacity <= 0.85, (first, booked / capacity)


def test_every_portfolio_has_work_in_progress(conn: sqlite3.Connection) -> None:
    running = {p["portfolio"] for p in sn_table(conn, "pm_project") if p["state"] == "2"}
    assert running == {p["sys_id"] for p in sn_table(conn, "pm_portfolio")}


# --- Jira -------------------------------------------------------------------------------------


def jira_issues(conn: sqlite3.Connection) -> dict[int, dict]:
    return {i: json.loads(b) for i, b in conn.execute("select id, body from jira_issue")}


def check_jira_consistency(conn: sqlite3.Connection) -> None:
    """Histories replay to the current status, timespent = Σ worklogs, updated covers every change."""
    issues = jira_issues(conn)
    histories = defaultdict(list)
    for issue_id, created, body in conn.execute(
        "select issue_id, created_ms, body from jira_changelog order by created_ms, id"
    ):
        histories[issue_id].append(json.loads(body))
        assert json.loads(body)["created"] == created
    spent = defaultdict(int)
    last_worklog = defaultdict(int)
    for issue_id, updated, body in conn.execute("select issue_id, updated_ms, body from jira_worklog"):
        worklog = json.loads(body)
        assert worklog["updated"] == updated >= worklog["created"] >= worklog["started"]
        assert worklog["issueId"] == str(issue_id)
        spent[issue_id] += worklog["timeSpentSeconds"]
        last_worklog[issue_id] = max(last_worklog[issue_id], updated)
    for issue_id, issue in issues.items():
        fields = issue["fields"]
        status = "To Do"
        resolved = None
        for history in histories[issue_id]:
            item = next(i for i in history["items"] if i["fieldId"] == "status")
            assert item["fromString"] == status
            status = item["toString"]
            resolved = history["created"] if status == "Done" else None
            assert fields["updated"] >= history["created"] >= fields["created"]
        assert fields["status"]["name"] == status, issue["key"]
        assert fields["resolutiondate"] == resolved
        assert (fields["resolution"] is not None) == (status == "Done")
        assert (fields["timespent"] or 0) == spent[issue_id], issue["key"]
        assert fields["updated"] >= last_worklog[issue_id]


def test_jira_histories_worklogs_and_updated_agree(conn: sqlite3.Connection) -> None:
    check_jira_consistency(conn)


def test_jira_issue_shapes(conn: sqlite3.Connection) -> None:
    issues = jira_issues(conn)
    keys = [i["key"] for i in issues.values()]
    assert len(keys) == len(set(keys))
    by_key = {i["key"]: i for i in issues.values()}
    levels = defaultdict(int)
    never_started = bounced = wont_do = 0
    statuses_of = defaultdict(list)
    for body in conn.execute("select issue_id, body from jira_changelog"):
        statuses_of[body[0]].append(json.loads(body[1])["items"][0]["toString"])
    for issue_id, issue in issues.items():
        fields = issue["fields"]
        assert issue["key"] == f"{fields['project']['key']}-{issue['key'].split('-')[1]}"
        levels[fields["issuetype"]["hierarchyLevel"]] += 1
        parent = fields.get("parent")
        if fields["issuetype"]["hierarchyLevel"] == -1:
            assert by_key[parent["key"]]["fields"]["issuetype"]["hierarchyLevel"] == 0
        elif parent is not None:
            assert by_key[parent["key"]]["fields"]["issuetype"]["name"] == "Epic"
        if fields["duedate"] is not None:
            assert GLIDE_DATE.match(fields["duedate"])
        never_started += fields["status"]["name"] == "Done" and "In Progress" not in statuses_of[issue_id]
        bounced += statuses_of[issue_id].count("In Progress") > 1
        wont_do += (fields["resolution"] or {}).get("name") == "Won't Do"
    assert levels[1] and levels[0] and levels[-1]
    assert never_started and bounced and wont_do


def test_blocks_links_appear_on_both_issues(conn: sqlite3.Connection) -> None:
    issues = jira_issues(conn)
    sides = defaultdict(list)
    for issue in issues.values():
        for link in issue["fields"]["issuelinks"]:
            sides[link["id"]].append((issue, link))
    assert sides
    cross = 0
    for link_id, pair in sides.items():
        assert len(pair) == 2, link_id
        (a, la), (b, lb) = pair
        assert la["type"] == lb["type"]
        assert {"inwardIssue", "outwardIssue"} == {
            next(k for k in la if k.endswith("Issue")),
            next(k for k in lb if k.endswith("Issue")),
        }
        for _issue, link, other in ((a, la, b), (b, lb, a)):
            ref = link.get("inwardIssue") or link.get("outwardIssue")
            assert (ref["id"], ref["key"]) == (other["id"], other["key"])
        if la["type"]["name"] == "Blocks":
            cross += a["fields"]["project"]["key"] != b["fields"]["project"]["key"]
    assert cross > 0


def test_jira_emails_match_sys_users_or_are_known_outsiders(conn: sqlite3.Connection) -> None:
    emails = {u["email"] for u in sn_table(conn, "sys_user")}
    other_case = outsiders = 0
    for email, body in conn.execute("select email, body from jira_user"):
        account = json.loads(body)
        assert account["accountType"] == "atlassian" and re.fullmatch(r"[0-9a-f]{24}", account["accountId"])
        if email.lower() in emails:
            other_case += email != email.lower()
        else:
            assert email.endswith(PARTNER_DOMAIN) or email == BOT_EMAIL, email
            outsiders += 1
    assert other_case > 0 and outsiders >= 2


def test_jira_projects_map_to_servicenow_projects_except_a_few(conn: sqlite3.Connection) -> None:
    sn_keys = {p["u_jira_project_key"] for p in sn_table(conn, "pm_project") if p["u_jira_project_key"]}
    jira_keys = {k for (k,) in conn.execute("select key from jira_project")}
    assert sn_keys <= jira_keys
    assert 1 <= len(jira_keys - sn_keys) <= 3
    for (body,) in conn.execute("select body from jira_project"):
        project = json.loads(body)
        assert project["projectTypeKey"] == "software" and project["archived"] is False
        assert project["lead"]["accountId"]


def test_worklogs_are_by_people_allocated_that_day(conn: sqlite3.Connection) -> None:
    users = {u["sys_id"]: u["email"] for u in sn_table(conn, "sys_user")}
    projects = {p["sys_id"]: p["u_jira_project_key"] for p in sn_table(conn, "pm_project")}
    allocated = defaultdict(list)
    for plan in sn_table(conn, "resource_plan"):
        if plan["state"] in ("confirmed", "allocated", "completed"):
            allocated[(users[plan["user"]], projects[plan["task"]])].append((plan["start_date"], plan["end_date"]))
    issue_project = {i: k for i, k in conn.execute("select id, project_key from jira_issue")}
    checked = 0
    for issue_id, body in conn.execute("select issue_id, body from jira_worklog"):
        worklog = json.loads(body)
        email = worklog["author"]["emailAddress"].lower()
        if email.endswith(PARTNER_DOMAIN):
            continue
        day = datetime.fromtimestamp(worklog["started"] / 1000, UTC).date().isoformat()
        windows = allocated[(email, issue_project[issue_id])]
        assert any(first <= day <= last for first, last in windows), (email, day)
        checked += 1
    assert checked > 100


# --- advance() --------------------------------------------------------------------------------


def test_advance_reports_exactly_what_the_feeds_show(world_path: Path) -> None:
    with World.open(world_path) as world:
        before = world.now
        summary = world.advance(4)
        after = world.now
        assert after == before + timedelta(days=4) == summary.ended
        since = before + timedelta(milliseconds=1)
        changes = world.changes_since(since)
        deleted = world.deleted_since(since)
        for entity in changes:
            assert changes[entity] == summary.created[entity] | summary.updated[entity], entity
            assert deleted[entity] == summary.deleted[entity], entity
        for entity in (
            "jira/issues",
            "jira/worklogs",
            "jira/issue_changelogs",
            "servicenow/time_card",
            "servicenow/project_status",
        ):
            assert summary.created[entity], entity
        for entity in (
            "jira/issues",
            "jira/worklogs",
            "servicenow/time_card",
            "servicenow/pm_project",
            "servicenow/risk",
            "servicenow/resource_plan",
        ):
            assert summary.updated[entity], entity
        assert summary.deleted["jira/worklogs"] and summary.deleted["jira/issues"]
        assert any(summary.deleted[f"servicenow/{t}"] for t in ("time_card", "risk", "resource_plan"))
        assert world.counts()["jira/issues"] > 0
        conn = world.conn
        latest = (after - timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M:%S")
        first = before.strftime("%Y-%m-%d %H:%M:%S")
        for table, sys_id, updated in conn.execute(
            "select tbl, sys_id, sys_updated_on from sn_record where sys_updated_on > ?", (first,)
        ):
            assert updated <= latest
            assert sys_id in summary.created[f"servicenow/{table}"] | summary.updated[f"servicenow/{table}"]
        limit_ms = int((after - timedelta(minutes=5)).timestamp() * 1000)
        assert conn.execute("select max(updated_ms) from jira_issue").fetchone()[0] <= limit_ms
        assert conn.execute("select max(updated_ms) from jira_worklog").fetchone()[0] <= limit_ms
        check_jira_consistency(conn)


def test_advance_in_one_go_equals_day_by_day(world_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.sqlite"
    shutil.copyfile(world_path, copy)
    with World.open(world_path) as world:
        world.advance(2)
    with World.open(copy) as world:
        world.advance(1)
        world.advance(1)
    assert rows_digest(world_path) == rows_digest(copy)


def test_advance_over_a_month_end_books_actuals(world_path: Path) -> None:
    with World.open(world_path) as world:
        summary = world.advance(2)  # 2026-07-01 closes June
        conn = world.conn
        june = conn.execute(
            "select sys_id from sn_record where tbl = 'fiscal_period' and json_extract(body, '$.name') = 'FY26: M06'"
        ).fetchone()[0]
        booked = [
            json.loads(b)
            for (b,) in conn.execute(
                "select body from sn_record where tbl = 'cost_plan_breakdown' "
                "and json_extract(body, '$.fiscal_period') = ?",
                (june,),
            )
        ]
        assert booked and all(b["actual"] != "" for b in booked)
        assert {b["sys_id"] for b in booked} <= summary.updated["servicenow/cost_plan_breakdown"]
        assert any(float(b["actual"]) > 0 for b in booked)


def test_advance_moves_time_sheets_phases_and_demands(world_path: Path) -> None:
    """Governance records move with the clock: a sheet per active person each Monday, submitted
    with its stamp and totalling its week's cards; phases close with a date; demands move."""
    with World.open(world_path) as world:
        before = world.now
        summary = world.advance(7)
        conn = world.conn
        first = before.strftime("%Y-%m-%d %H:%M:%S")
        monday = (before + timedelta(days=7 - before.weekday())).date().isoformat()
        people = {
            sys_id
            for sys_id, active, capacity in conn.execute(
                "select sys_id, json_extract(body, '$.active'), json_extract(body, '$.u_weekly_capacity_hours') "
                "from sn_record where tbl = 'sys_user'"
            )
            if active == "true" and float(capacity or 0) > 0
        }
        sheets = [json.loads(b) for (b,) in conn.execute("select body from sn_record where tbl = 'time_sheet'")]
        new_week = [s for s in sheets if s["week_starts_on"] == monday]
        assert {s["user"] for s in new_week} == people and len(new_week) == len(people)
        assert {s["sys_id"] for s in new_week} <= summary.created["servicenow/time_sheet"]
        moved = [s for s in sheets if s["sys_id"] in summary.updated["servicenow/time_sheet"]]
        assert moved
        submitted = [s for s in moved if s["state"] != "pending"]
        assert submitted and all(s["u_submitted_on"] for s in submitted if s["state"] in ("submitted", "approved"))
        assert any(s["u_submitted_on"] > first for s in submitted), "no sheet was submitted while the clock moved"
        cards: dict[tuple[str, str], float] = {}
        for (b,) in conn.execute("select body from sn_record where tbl = 'time_card'"):
            card = json.loads(b)
            key = (card["user"], card["week_starts_on"])
            cards[key] = cards.get(key, 0.0) + float(card["total"])
        recent = [s for s in sheets if s["week_starts_on"] >= (before - timedelta(days=28)).date().isoformat()]
        assert all(
            abs(float(s["total_hours"]) - cards.get((s["user"], s["week_starts_on"]), 0.0)) < 0.006 for s in recent
        )
        phases = [
            json.loads(b)
            for (b,) in conn.execute(
                "select body from sn_record where tbl = 'pm_project_task' and sys_updated_on > ?", (first,)
            )
        ]
        assert phases and all(p["work_end"] for p in phases if p["state"] == "3")
        assert summary.created["servicenow/dmn_demand"] or summary.updated["servicenow/dmn_demand"]


# --- bulk import -------------------------------------------------------------------------------


def test_a_bulk_import_shares_one_instant_and_keeps_the_jira_rules(world_path: Path) -> None:
    with World.open(world_path) as world:
        before = world.counts()["jira/worklogs"]
        at = world.now - timedelta(days=3, minutes=1) + timedelta(milliseconds=250)
        at_ms = round(at.timestamp() * 1000)
        ids = world.bulk_import_worklogs(1200, at, issues=3)
        conn = world.conn
        assert len(ids) == len(set(ids)) == 1200
        assert world.counts()["jira/worklogs"] == before + 1200
        rows = conn.execute(
            "select issue_id, count(*) from jira_worklog where updated_ms = ? and id >= ? group by issue_id",
            (at_ms, min(int(i) for i in ids)),
        ).fetchall()
        assert sorted(n for _, n in rows) == [400, 400, 400]
        assert len({issue_id for issue_id, _ in rows}) == 3
        assert set(ids) <= world.changes_since(at)["jira/worklogs"]
        for issue_id, _ in rows:
            (updated,) = conn.execute("select updated_ms from jira_issue where id = ?", (issue_id,)).fetchone()
            assert updated >= at_ms  # Jira moves the issue's updated time with its worklogs
        check_jira_consistency(conn)
        with pytest.raises(ValueError, match="later than the world clock"):
            world.bulk_import_worklogs(10, world.now - timedelta(minutes=4))
