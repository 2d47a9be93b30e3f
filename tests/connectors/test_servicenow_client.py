"""ServiceNow Table API client: the query, keyset paging that ignores page length, count checks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from scripted_http import Answer, ScriptedServer

from connectors.http import HttpPolicy, SourceError
from connectors.servicenow.client import (
    ServiceNowClient,
    ServiceNowConfig,
    build_table_query,
    format_glide_datetime,
    parse_glide_datetime,
)

FAST = HttpPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.01, retry_budget_seconds=10)


def client(url: str, **kwargs) -> ServiceNowClient:
    return ServiceNowClient(ServiceNowConfig(url, "integration", "pw"), policy=FAST, **kwargs)


def link(url: str, offset: int, limit: int) -> dict[str, str]:
    nxt = f'<https://instance.service-now.com/api/now/table/risk?sysparm_offset={offset}&sysparm_limit={limit}&sysparm_query=x>;rel="next"'
    return {"Link": nxt}


def test_query_is_a_plain_utc_literal_with_a_total_order() -> None:
    since = datetime(2024, 1, 5, 10, 15, 30, 900000, tzinfo=UTC)
    assert build_table_query(since) == "sys_updated_on>=2024-01-05 10:15:30^ORDERBYsys_updated_on^ORDERBYsys_id"
    assert build_table_query(None) == "ORDERBYsys_updated_on^ORDERBYsys_id"
    # After the first page, the query continues past the last row read (``^OR`` joins the term before it).
    assert build_table_query(since, ("2024-02-01 08:00:00", "ab12")) == (
        "sys_updated_on>=2024-02-01 08:00:00^sys_updated_on>2024-02-01 08:00:00^ORsys_id>ab12"
        "^ORDERBYsys_updated_on^ORDERBYsys_id"
    )


def test_glide_datetimes_round_trip_as_utc() -> None:
    parsed = parse_glide_datetime("2026-06-30 23:59:59")
    assert parsed == datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC)
    assert format_glide_datetime(parsed) == "2026-06-30 23:59:59"
    with pytest.raises(ValueError):
        format_glide_datetime(datetime(2026, 1, 1))


def row(sys_id: str, updated_on: str = "2024-03-01 09:00:00") -> dict[str, str]:
    return {"sys_id": sys_id, "sys_updated_on": updated_on}


def test_pages_continue_by_keyset_and_only_the_first_page_is_counted() -> None:
    answers = [
        Answer(200, {"result": [row("a"), row("b")]}, headers={**link("", 2, 2), "X-Total-Count": "3"}),
        Answer(200, {"result": [row("c", "2024-03-02 10:00:00")]}),
        Answer(200, {"result": []}),
    ]
    with ScriptedServer(answers) as server:
        sn = client(server.url, page_size=2)
        batches = list(sn.table("risk", datetime(2024, 1, 1, tzinfo=UTC)))
    assert [[r["sys_id"] for r in b] for b in batches] == [["a", "b"], ["c"]]
    queries = [s.query["sysparm_query"][0] for s in server.seen]
    assert queries == [
        "sys_updated_on>=2024-01-01 00:00:00^ORDERBYsys_updated_on^ORDERBYsys_id",
        "sys_updated_on>=2024-03-01 09:00:00^sys_updated_on>2024-03-01 09:00:00^ORsys_id>b"
        "^ORDERBYsys_updated_on^ORDERBYsys_id",
        "sys_updated_on>=2024-03-02 10:00:00^sys_updated_on>2024-03-02 10:00:00^ORsys_id>c"
        "^ORDERBYsys_updated_on^ORDERBYsys_id",
    ]
    assert [s.query["sysparm_offset"] for s in server.seen] == [["0"], ["0"], ["0"]]
    assert [s.query.get("sysparm_no_count") for s in server.seen] == [None, ["true"], ["true"]]
    assert sn.last_scan.counted == 3 and sn.last_scan.pages == 3 and not sn.last_scan.warnings


def test_short_and_empty_pages_are_not_the_end_only_an_empty_page_without_a_next_link_is() -> None:
    answers = [
        Answer(200, {"result": [row("a")]}, headers={**link("", 2, 2), "X-Total-Count": "5"}),
        # ACLs hid a whole page: empty, yet the instance links a next page
        Answer(200, {"result": []}, headers=link("", 2, 2)),
        Answer(200, {"result": [row("d")]}),
        Answer(200, {"result": []}),
    ]
    with ScriptedServer(answers) as server:
        sn = client(server.url, page_size=2)
        batches = list(sn.table("risk", datetime(2024, 1, 1, tzinfo=UTC)))
    assert [[r["sys_id"] for r in b] for b in batches] == [["a"], ["d"]]
    assert [s.path for s in server.seen] == ["/api/now/table/risk"] * 4  # link host not followed
    assert [s.query["sysparm_offset"] for s in server.seen] == [["0"], ["0"], ["2"], ["0"]]
    # the hidden page is skipped by offset within the same keyset query; then the keyset moves on
    assert server.seen[1].query["sysparm_query"] == server.seen[2].query["sysparm_query"]
    assert server.seen[3].query["sysparm_query"][0].startswith("sys_updated_on>=2024-03-01 09:00:00^")
    first = server.seen[0].query
    assert first["sysparm_exclude_reference_link"] == ["true"]
    assert first["sysparm_display_value"] == ["false"]
    fields = first["sysparm_fields"][0].split(",")
    assert fields[:3] == ["sys_id", "sys_created_on", "sys_updated_on"] and "estimated_cost" in fields
    # 2 of 5 counted rows came back: ACLs hid some, and that is said, not swallowed.
    assert any("read 2 of 5" in w for w in sn.last_scan.warnings)


def test_a_first_page_holding_every_counted_row_ends_the_scan() -> None:
    answers = [Answer(200, {"result": [row("a"), row("b")]}, headers={"X-Total-Count": "2"})]
    with ScriptedServer(answers) as server:
        rows = [r["sys_id"] for b in client(server.url, page_size=5).table("risk") for r in b]
    assert rows == ["a", "b"] and len(server.seen) == 1


def test_a_page_that_does_not_move_past_the_cursor_is_an_error() -> None:
    answers = [
        Answer(200, {"result": [row("a"), row("b")]}, headers={"X-Total-Count": "9"}),
        Answer(200, {"result": [row("a"), row("b")]}),  # the instance ignored the keyset condition
    ]
    with ScriptedServer(answers) as server:
        with pytest.raises(SourceError, match="not past it"):
            list(client(server.url, page_size=2).table("risk"))


def test_a_record_without_its_keyset_fields_is_an_error() -> None:
    answers = [Answer(200, {"result": [{"sys_id": "a"}]}, headers={"X-Total-Count": "9"})]
    with ScriptedServer(answers) as server:
        with pytest.raises(SourceError, match="without sys_updated_on or sys_id"):
            list(client(server.url, page_size=1).table("risk"))


def test_a_next_link_that_does_not_advance_is_an_error() -> None:
    answers = [Answer(200, {"result": []}, headers=link("", 0, 1))]
    with ScriptedServer(answers) as server:
        with pytest.raises(SourceError, match="does not advance"):
            list(client(server.url, page_size=1).table("risk"))


def test_unknown_table_needs_a_field_list() -> None:
    with pytest.raises(ValueError, match="no field list"):
        client("http://127.0.0.1:9").field_list("incident")


def test_401_names_servicenow_and_the_variables() -> None:
    with ScriptedServer(
        [Answer(401, {"error": {"message": "User Not Authenticated", "detail": "Required"}})]
    ) as server:
        with pytest.raises(SourceError) as caught:
            client(server.url).check()
    assert caught.value.source == "ServiceNow" and caught.value.status == 401
    assert "ServiceNow answered 401" in str(caught.value)
    assert "SERVICENOW_USER and SERVICENOW_PASSWORD" in str(caught.value)


def test_field_lists_cover_every_contract_table_as_the_simulator_serves_it() -> None:
    from connectors.servicenow import SERVICENOW_TABLES, TABLE_FIELDS
    from simulators.world.store import SERVICENOW_TABLES as SERVED

    assert set(TABLE_FIELDS) == set(SERVICENOW_TABLES) == set(SERVED) and len(SERVICENOW_TABLES) == 21
    for table, spec in SERVED.items():
        assert set(TABLE_FIELDS[table]) == set(spec["fields"]), table
