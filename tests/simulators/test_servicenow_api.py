"""The simulated ServiceNow Table API over real HTTP on loopback.

Runs against a small hand-made world written here through ``simulators.world.store``: a few users,
departments and cost centres, 23 projects (one without a program), project tasks and time cards
whose ``task`` points at a project or a project task.
"""

from __future__ import annotations

import contextlib
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from simulators.api import encoded_query
from simulators.api.http import SimulatorServer
from simulators.api.servicenow_api import ServiceNowApp
from simulators.world import store

USER = "pwh.integration"
PASSWORD = "s3cret-pw"
PROJECTS = 23
TIME_CARDS = 31


def sys_id(table: str, n: int) -> str:
    """A 32-hex-digit sys_id, distinct per table and record."""
    return f"{zlib.crc32(table.encode()):08x}{n:024x}"


def updated_on(n: int) -> str:
    """Hourly from 2 June 2026 00:00; records 5 and 6 share one second."""
    hour = 5 if n == 6 else n
    return f"2026-06-{2 + hour // 24:02d} {hour % 24:02d}:00:00"


def record(table: str, n: int, **values: str) -> dict[str, str]:
    body = {"sys_id": sys_id(table, n), "sys_created_on": "2026-05-01 08:00:00", "sys_updated_on": updated_on(n)}
    for field in store.SERVICENOW_TABLES[table]["fields"]:  # type: ignore[union-attr]
        body[field] = values.get(field, "")
    return body


def build_servicenow_world(path: Path) -> dict[str, list[dict[str, str]]]:
    """Write the world; returns the records by table, as stored."""
    tables: dict[str, list[dict[str, str]]] = {}
    tables["cmn_cost_center"] = [record("cmn_cost_center", n, name=f"CC {n}", code=f"CC{n:03d}") for n in range(1, 4)]
    tables["cmn_department"] = [
        record("cmn_department", n, name=f"Dept {n}", id=f"D{n}", cost_center=sys_id("cmn_cost_center", n))
        for n in range(1, 4)
    ]
    tables["sys_user"] = [
        record(
            "sys_user",
            n,
            user_name=f"user{n}",
            name=f"User {n}",
            email=f"user{n}@example.com",
            active="true",
            department=sys_id("cmn_department", n % 3 + 1),
            cost_center=sys_id("cmn_cost_center", n % 3 + 1),
            u_hourly_cost_rate=f"{80 + n}.50",
            u_weekly_capacity_hours="40",
            u_employment_type="employee",
        )
        for n in range(1, 13)
    ]
    tables["pm_portfolio"] = [
        record("pm_portfolio", 1, name="Digital", portfolio_manager=sys_id("sys_user", 1), active="true")
    ]
    tables["pm_program"] = [
        record(
            "pm_program",
            1,
            number="PGM0001001",
            short_description="Cloud",
            portfolio=sys_id("pm_portfolio", 1),
            state="2",
        )
    ]
    tables["pm_project"] = [
        record(
            "pm_project",
            n,
            number=f"PRJ{n:07d}",
            short_description=f"Project {n}",
            portfolio=sys_id("pm_portfolio", 1),
            program="" if n == 1 else sys_id("pm_program", 1),
            project_manager=sys_id("sys_user", n % 12 + 1),
            state=str([1, 2, 3, -5][n % 4]),
            percent_complete=str(n * 4),
            cost=f"{n * 1000}.00",
            u_jira_project_key=f"P{n:02d}",
            u_wbs_code=f"WBS-{n:04d}",
        )
        for n in range(1, PROJECTS + 1)
    ]
    tables["pm_project_task"] = [
        record(
            "pm_project_task",
            n,
            number=f"PRJTASK{n:07d}",
            short_description=f"Task {n}",
            top_task=sys_id("pm_project", n),
            parent=sys_id("pm_project", n),
            milestone="true" if n % 2 else "false",
            state="1",
        )
        for n in range(1, 6)
    ]
    tables["time_card"] = [
        record(
            "time_card",
            n,
            user=sys_id("sys_user", n % 12 + 1),
            task=sys_id("pm_project_task", n % 5 + 1) if n % 3 == 0 else sys_id("pm_project", n % PROJECTS + 1),
            week_starts_on="2026-06-01",
            monday="8",
            tuesday="8",
            wednesday="4",
            thursday="0",
            friday="0",
            saturday="0",
            sunday="0",
            total="20",
            state="approved" if n % 2 else "submitted",
            category="task",
        )
        for n in range(1, TIME_CARDS + 1)
    ]
    conn = store.connect(path)
    with conn:
        meta = {
            "now": "2026-06-30T12:00:00+00:00",
            "jira_timezone": "UTC",
            "jira_email": "j",
            "jira_api_token": "j",
            "servicenow_user": USER,
            "servicenow_password": PASSWORD,
        }
        conn.executemany("insert into meta values (?, ?)", meta.items())
        for table, records in tables.items():
            conn.executemany(
                "insert into sn_record values (?, ?, ?, ?, ?)",
                [(table, r["sys_id"], r["sys_created_on"], r["sys_updated_on"], json.dumps(r)) for r in records],
            )
    conn.close()
    return tables


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[dict[str, str]]]]:
    path = tmp_path_factory.mktemp("servicenow") / "world.sqlite"
    return path, build_servicenow_world(path)


@pytest.fixture(scope="module")
def records(world: tuple[Path, dict[str, list[dict[str, str]]]]) -> dict[str, list[dict[str, str]]]:
    return world[1]


@pytest.fixture(scope="module")
def servicenow(world: tuple[Path, dict]) -> Iterator[SimulatorServer]:
    with SimulatorServer(ServiceNowApp(world[0])) as server:
        yield server


@pytest.fixture
def session() -> Iterator[requests.Session]:
    with requests.Session() as http:
        http.auth = (USER, PASSWORD)
        yield http


def table_url(server: SimulatorServer, table: str) -> str:
    return f"{server.url}/api/now/table/{table}"


def walk_links(http: requests.Session, url: str, params: dict[str, Any]) -> tuple[list[dict], list[requests.Response]]:
    """Follow Link rel="next" from the first page to the last; returns the records and responses."""
    results: list[dict] = []
    responses: list[requests.Response] = []
    response = http.get(url, params=params)
    for _ in range(1000):
        assert response.status_code == 200, response.text
        responses.append(response)
        results += response.json()["result"]
        if "next" not in response.links:
            return results, responses
        response = http.get(response.links["next"]["url"])
    raise AssertionError("the Link walk never ended")


# -- authentication and routing -------------------------------------------------------------------


def test_wrong_or_missing_credentials_get_401(servicenow: SimulatorServer) -> None:
    expected = {
        "error": {"message": "User Not Authenticated", "detail": "Required to provide Auth information"},
        "status": "failure",
    }
    for auth in [(USER, "wrong"), None]:
        response = requests.get(table_url(servicenow, "pm_project"), auth=auth)
        assert response.status_code == 401
        assert response.json() == expected


def test_unknown_table_gets_400(servicenow: SimulatorServer, session: requests.Session) -> None:
    response = session.get(table_url(servicenow, "incidentz"))
    assert response.status_code == 400
    assert response.json() == {"error": {"message": "Invalid table incidentz", "detail": None}, "status": "failure"}
    assert session.get(f"{servicenow.url}/api/now/nothing").status_code == 400


def test_every_contract_table_is_served(servicenow: SimulatorServer, session: requests.Session, records: dict) -> None:
    for table in store.SERVICENOW_TABLES:
        response = session.get(table_url(servicenow, table), params={"sysparm_limit": 1})
        assert response.status_code == 200, table
        assert response.headers["X-Total-Count"] == str(len(records.get(table, [])))


# -- paging ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("page_size", [1, 7, 100])
@pytest.mark.parametrize("table", ["pm_project", "time_card"])
def test_link_walk_covers_the_whole_table(
    servicenow: SimulatorServer, session: requests.Session, records: dict, table: str, page_size: int
) -> None:
    query = "sys_updated_on>=2026-01-01 00:00:00^ORDERBYsys_updated_on^ORDERBYsys_id"
    results, responses = walk_links(
        session,
        table_url(servicenow, table),
        {
            "sysparm_query": query,
            "sysparm_limit": page_size,
            "sysparm_exclude_reference_link": "true",
        },
    )
    expected = {r["sys_id"] for r in records[table]}
    assert [r["sys_id"] for r in results] == sorted(
        expected, key=lambda s: (next(r["sys_updated_on"] for r in records[table] if r["sys_id"] == s), s)
    )
    assert len(responses) == -(-len(expected) // page_size)
    for response in responses:
        assert response.headers["X-Total-Count"] == str(len(expected))
        assert {"first", "last"} <= set(response.links)
        assert response.links["first"]["url"].startswith(table_url(servicenow, table) + "?")
    last_links = responses[-1].links
    assert "next" not in last_links
    if len(responses) > 1:
        assert "prev" in last_links and "prev" not in responses[0].links
        # Every link keeps the original query and states its offset and limit.
        assert "sysparm_query=sys_updated_on" in responses[0].links["next"]["url"]
        assert f"sysparm_offset={page_size}" in responses[0].links["next"]["url"]
        assert f"sysparm_limit={page_size}" in responses[0].links["next"]["url"]


@pytest.mark.parametrize("page_size", [1, 7, 100])
def test_offset_walk_by_total_count(
    servicenow: SimulatorServer, session: requests.Session, records: dict, page_size: int
) -> None:
    seen: list[str] = []
    offset = 0
    while True:
        response = session.get(
            table_url(servicenow, "sys_user"),
            params={"sysparm_limit": page_size, "sysparm_offset": offset, "sysparm_fields": "sys_id"},
        )
        seen += [r["sys_id"] for r in response.json()["result"]]
        offset += page_size
        if offset >= int(response.headers["X-Total-Count"]):
            break
    assert sorted(seen) == sorted(r["sys_id"] for r in records["sys_user"]) and len(seen) == len(set(seen))


def test_keyset_walk_covers_the_table_once_in_order_with_one_count(servicenow: SimulatorServer, records: dict) -> None:
    """The connector's own client, keyset paging over records that share one second (5 and 6)."""
    from connectors.servicenow.client import ServiceNowClient, ServiceNowConfig

    client = ServiceNowClient(ServiceNowConfig(servicenow.url, USER, PASSWORD), page_size=2)
    try:
        seen = [r["sys_id"] for batch in client.table("pm_project") for r in batch]
    finally:
        client.close()
    stored = sorted(records["pm_project"], key=lambda r: (r["sys_updated_on"], r["sys_id"]))
    assert seen == [r["sys_id"] for r in stored] and len(seen) == PROJECTS
    assert client.last_scan.counted == PROJECTS and client.last_scan.pages == -(-PROJECTS // 2) + 1


def test_sys_id_compares_as_text_even_when_it_looks_like_a_number() -> None:
    query = encoded_query.parse("sys_id>12345678901234567890123456789012", ["sys_id"])
    sql, params = encoded_query.to_sql(query, lambda field: field, text_fields={"sys_id"})
    assert "CAST" not in sql and params == ["12345678901234567890123456789012"]
    numeric_sql, numeric_params = encoded_query.to_sql(query, lambda field: field)
    assert "CAST" in numeric_sql and numeric_params == [float("12345678901234567890123456789012")]


def test_last_link_points_at_the_last_page(servicenow: SimulatorServer, session: requests.Session) -> None:
    first = session.get(table_url(servicenow, "pm_project"), params={"sysparm_limit": 5})
    last = session.get(first.links["last"]["url"])
    assert "sysparm_offset=20" in first.links["last"]["url"]
    assert len(last.json()["result"]) == PROJECTS - 20 and "next" not in last.links


def test_no_count_drops_total_and_last_but_keeps_next(servicenow: SimulatorServer, session: requests.Session) -> None:
    results, responses = walk_links(
        session, table_url(servicenow, "pm_project"), {"sysparm_limit": 10, "sysparm_no_count": "true"}
    )
    assert len(results) == PROJECTS
    assert all("X-Total-Count" not in r.headers and "last" not in r.links for r in responses)


def test_suppressed_pagination_header(servicenow: SimulatorServer, session: requests.Session) -> None:
    response = session.get(
        table_url(servicenow, "pm_project"), params={"sysparm_limit": 5, "sysparm_suppress_pagination_header": "true"}
    )
    assert "Link" not in response.headers and response.headers["X-Total-Count"] == str(PROJECTS)


def test_v1_answers_404_for_no_rows_and_v2_an_empty_list(
    servicenow: SimulatorServer, session: requests.Session
) -> None:
    query = {"sysparm_query": "number=NOPE"}
    v1 = session.get(f"{servicenow.url}/api/now/v1/table/pm_project", params=query)
    v2 = session.get(f"{servicenow.url}/api/now/v2/table/pm_project", params=query)
    assert v1.status_code == 404 and v1.json()["error"]["message"] == "No Record found"
    assert v2.status_code == 200 and v2.json() == {"result": []} and v2.headers["X-Total-Count"] == "0"


# -- filtering and ordering -----------------------------------------------------------------------


def test_incremental_window_returns_records_updated_at_or_after_the_bound(
    servicenow: SimulatorServer, session: requests.Session, records: dict
) -> None:
    bound = updated_on(10)
    response = session.get(
        table_url(servicenow, "pm_project"),
        params={
            "sysparm_query": f"sys_updated_on>={bound}^ORDERBYsys_updated_on^ORDERBYsys_id",
            "sysparm_exclude_reference_link": "true",
        },
    )
    got = response.json()["result"]
    expected = sorted(
        (r for r in records["pm_project"] if r["sys_updated_on"] >= bound),
        key=lambda r: (r["sys_updated_on"], r["sys_id"]),
    )
    assert got == expected  # values exactly as stored, every one a string
    assert all(isinstance(v, str) for r in got for v in r.values())
    assert response.headers["X-Total-Count"] == str(PROJECTS - 9)


def test_unknown_fields_in_the_query_are_silently_ignored(
    servicenow: SimulatorServer, session: requests.Session
) -> None:
    typo = session.get(
        table_url(servicenow, "pm_project"), params={"sysparm_query": "sys_updated_onn>=2099-01-01 00:00:00"}
    )
    assert typo.status_code == 200 and typo.headers["X-Total-Count"] == str(
        PROJECTS
    )  # the filter is dropped, not refused
    mixed = session.get(table_url(servicenow, "pm_project"), params={"sysparm_query": "bogus=1^state=2"})
    assert mixed.headers["X-Total-Count"] == str(sum(1 for n in range(1, PROJECTS + 1) if n % 4 == 1))


def test_or_in_not_equal_numeric_and_descending(
    servicenow: SimulatorServer, session: requests.Session, records: dict
) -> None:
    def numbers(query: str) -> list[str]:
        response = session.get(
            table_url(servicenow, "pm_project"), params={"sysparm_query": query, "sysparm_fields": "number"}
        )
        return [r["number"] for r in response.json()["result"]]

    assert numbers("number=PRJ0000001^ORnumber=PRJ0000002^ORDERBYnumber") == ["PRJ0000001", "PRJ0000002"]
    assert numbers("numberINPRJ0000003,PRJ0000004^ORDERBYDESCnumber") == ["PRJ0000004", "PRJ0000003"]
    # percent_complete is n * 4: numerically 80 < 84, though "100" < "80" as text.
    assert numbers("percent_complete>=80^ORDERBYnumber") == [f"PRJ{n:07d}" for n in range(20, PROJECTS + 1)]
    assert len(numbers("state!=3")) == PROJECTS - sum(1 for n in range(1, PROJECTS + 1) if n % 4 == 2)
    assert numbers("programISEMPTY") == ["PRJ0000001"]
    assert numbers("short_descriptionLIKEproject 2^ORDERBYnumber") == ["PRJ0000002"] + [
        f"PRJ{n:07d}" for n in range(20, 24)
    ]


def test_name_value_pairs_filter_by_equality(servicenow: SimulatorServer, session: requests.Session) -> None:
    response = session.get(table_url(servicenow, "time_card"), params={"state": "approved", "sysparm_fields": "state"})
    states = {r["state"] for r in response.json()["result"]}
    assert states == {"approved"} and response.headers["X-Total-Count"] == str((TIME_CARDS + 1) // 2)


# -- record shape ---------------------------------------------------------------------------------


def test_fields_selection_ignores_unknown_names(servicenow: SimulatorServer, session: requests.Session) -> None:
    response = session.get(
        table_url(servicenow, "pm_project"),
        params={"sysparm_fields": "number,nonsense,sys_id,project.number", "sysparm_limit": 2},
    )
    assert [list(r) for r in response.json()["result"]] == [["number", "sys_id"]] * 2


def test_references_render_as_links_by_default(
    servicenow: SimulatorServer, session: requests.Session, records: dict
) -> None:
    response = session.get(
        table_url(servicenow, "pm_project"), params={"sysparm_query": "numberINPRJ0000001,PRJ0000002^ORDERBYnumber"}
    )
    first, second = response.json()["result"]
    assert first["program"] == ""  # an empty reference stays an empty string
    program = second["program"]
    assert program == {
        "link": f"{servicenow.url}/api/now/table/pm_program/{sys_id('pm_program', 1)}",
        "value": sys_id("pm_program", 1),
    }
    followed = session.get(program["link"]).json()["result"]
    assert followed["number"] == "PGM0001001"
    assert second["number"] == "PRJ0000002"  # plain fields are untouched


def test_polymorphic_task_links_point_at_the_tasks_own_table(
    servicenow: SimulatorServer, session: requests.Session
) -> None:
    cards = session.get(
        table_url(servicenow, "time_card"), params={"sysparm_fields": "task", "sysparm_query": "ORDERBYsys_id"}
    ).json()["result"]
    tables = {card["task"]["link"].split("/api/now/table/")[1].split("/")[0] for card in cards}
    assert tables == {"pm_project", "pm_project_task"}
    for card in cards[:6]:
        assert session.get(card["task"]["link"]).status_code == 200


def test_display_value_all_and_true(servicenow: SimulatorServer, session: requests.Session) -> None:
    params = {"sysparm_query": "number=PRJ0000002", "sysparm_fields": "number,program"}
    everything = session.get(
        table_url(servicenow, "pm_project"), params={**params, "sysparm_display_value": "all"}
    ).json()["result"][0]
    assert everything["number"] == {"display_value": "PRJ0000002", "value": "PRJ0000002"}
    assert everything["program"]["display_value"] == "PGM0001001" and everything["program"]["value"] == sys_id(
        "pm_program", 1
    )
    assert everything["program"]["link"].endswith(sys_id("pm_program", 1))
    shown = session.get(table_url(servicenow, "pm_project"), params={**params, "sysparm_display_value": "true"}).json()[
        "result"
    ][0]
    assert shown == {"number": "PRJ0000002", "program": "PGM0001001"}
    bad = session.get(table_url(servicenow, "pm_project"), params={**params, "sysparm_display_value": "maybe"})
    assert bad.status_code == 400


def test_single_record_by_sys_id(servicenow: SimulatorServer, session: requests.Session, records: dict) -> None:
    wanted = records["sys_user"][3]
    got = session.get(
        f"{table_url(servicenow, 'sys_user')}/{wanted['sys_id']}", params={"sysparm_exclude_reference_link": "true"}
    )
    assert got.json() == {"result": wanted}
    missing = session.get(f"{table_url(servicenow, 'sys_user')}/{'0' * 32}")
    assert missing.status_code == 404 and missing.json()["status"] == "failure"


# -- the encoded-query parser itself --------------------------------------------------------------


def test_encoded_query_structure() -> None:
    fields = ["state", "number", "sys_updated_on", "sys_id"]
    query = encoded_query.parse(
        "state=1^ORstate=2^number!=X^bogus=3^NQnumberINA,B^ORDERBYDESCsys_updated_on^ORDERBYnope", fields
    )
    assert query.queries == (
        (
            (encoded_query.Condition("state", "=", "1"), encoded_query.Condition("state", "=", "2")),
            (encoded_query.Condition("number", "!=", "X"),),
        ),
        ((encoded_query.Condition("number", "IN", "A,B"),),),
    )
    assert query.order_by == (("sys_updated_on", True),)
    assert query.ignored == ("bogus=3", "ORDERBYnope")


def test_encoded_query_values_keep_their_separators() -> None:
    query = encoded_query.parse(
        "sys_updated_on>=2026-06-02 10:00:00^short_description=a=b", ["sys_updated_on", "short_description"]
    )
    assert [c for group in query.queries[0] for c in group] == [
        encoded_query.Condition("sys_updated_on", ">=", "2026-06-02 10:00:00"),
        encoded_query.Condition("short_description", "=", "a=b"),
    ]


# -- the generated small world --------------------------------------------------------------------


def small_credentials(path: Path) -> tuple[str, str]:
    with contextlib.closing(store.connect(path, readonly=True)) as db:
        meta = dict(db.execute("select key, value from meta"))
    return meta["servicenow_user"], meta["servicenow_password"]


def stored_ids(path: Path, table: str) -> set[str]:
    with contextlib.closing(store.connect(path, readonly=True)) as db:
        return {row[0] for row in db.execute("select sys_id from sn_record where tbl = ?", (table,))}


@pytest.mark.parametrize(
    ("table", "page_size"), [("pm_project", 1), ("time_card", 7), ("time_card", 100), ("cost_plan_breakdown", 100)]
)
def test_small_world_link_walk(small_world_path: Path, table: str, page_size: int) -> None:
    with SimulatorServer(ServiceNowApp(small_world_path)) as server, requests.Session() as http:
        http.auth = small_credentials(small_world_path)
        results, responses = walk_links(
            http,
            table_url(server, table),
            {
                "sysparm_query": "sys_updated_on>=1970-01-01 00:00:00^ORDERBYsys_updated_on^ORDERBYsys_id",
                "sysparm_limit": page_size,
                "sysparm_exclude_reference_link": "true",
                "sysparm_fields": "sys_id,sys_updated_on",
            },
        )
    expected = stored_ids(small_world_path, table)
    ids = [r["sys_id"] for r in results]
    assert len(ids) == len(set(ids)) and set(ids) == expected
    assert {r.headers["X-Total-Count"] for r in responses} == {str(len(expected))}
    assert [(r["sys_updated_on"], r["sys_id"]) for r in results] == sorted(
        (r["sys_updated_on"], r["sys_id"]) for r in results
    )


def test_advancing_the_world_shows_updates_and_hides_deletions(world_path: Path) -> None:
    from simulators.world import World

    with (
        SimulatorServer(ServiceNowApp(world_path)) as server,
        requests.Session() as http,
        World.open(world_path) as world,
    ):
        http.auth = small_credentials(world_path)
        before = world.now
        world.advance(1)
        changed = world.changes_since(before)
        deleted = world.deleted_since(before)
        bound = store.glide_datetime(before)
        for table in store.SERVICENOW_TABLES:
            response = http.get(
                table_url(server, table),
                params={
                    "sysparm_query": f"sys_updated_on>={bound}^ORDERBYsys_updated_on^ORDERBYsys_id",
                    "sysparm_fields": "sys_id",
                    "sysparm_exclude_reference_link": "true",
                },
            )
            assert {r["sys_id"] for r in response.json()["result"]} == changed[f"servicenow/{table}"], table
            if deleted[f"servicenow/{table}"]:
                live = http.get(table_url(server, table), params={"sysparm_fields": "sys_id"}).json()["result"]
                assert not {r["sys_id"] for r in live} & deleted[f"servicenow/{table}"], table
    assert changed["servicenow/time_card"] and any(deleted[f"servicenow/{t}"] for t in store.SERVICENOW_TABLES)
