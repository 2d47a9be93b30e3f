"""ServiceNow Table API client: the query, Link paging that ignores page length, count checks."""

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


def test_glide_datetimes_round_trip_as_utc() -> None:
    parsed = parse_glide_datetime("2026-06-30 23:59:59")
    assert parsed == datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC)
    assert format_glide_datetime(parsed) == "2026-06-30 23:59:59"
    with pytest.raises(ValueError):
        format_glide_datetime(datetime(2026, 1, 1))


def test_short_and_empty_pages_are_not_the_end_only_a_missing_next_link_is() -> None:
    answers = [
        Answer(200, {"result": [{"sys_id": "a"}]}, headers={**link("", 2, 2), "X-Total-Count": "4"}),
        Answer(200, {"result": []}, headers={**link("", 4, 2), "X-Total-Count": "4"}),
        Answer(200, {"result": [{"sys_id": "d"}]}, headers={"X-Total-Count": "4"}),
    ]
    with ScriptedServer(answers) as server:
        sn = client(server.url, page_size=2)
        batches = list(sn.table("risk", datetime(2024, 1, 1, tzinfo=UTC)))
    assert [[r["sys_id"] for r in b] for b in batches] == [["a"], ["d"]]
    assert [s.path for s in server.seen] == ["/api/now/table/risk"] * 3  # link host not followed
    assert [s.query["sysparm_offset"] for s in server.seen] == [["0"], ["2"], ["4"]]
    first = server.seen[0].query
    assert first["sysparm_query"] == ["sys_updated_on>=2024-01-01 00:00:00^ORDERBYsys_updated_on^ORDERBYsys_id"]
    assert first["sysparm_exclude_reference_link"] == ["true"]
    assert first["sysparm_display_value"] == ["false"]
    fields = first["sysparm_fields"][0].split(",")
    assert fields[:3] == ["sys_id", "sys_created_on", "sys_updated_on"] and "estimated_cost" in fields
    # 2 of 4 counted rows came back: ACLs hid some, and that is said, not swallowed.
    assert any("read 2 of 4" in w for w in sn.last_scan.warnings)


def test_a_moving_total_count_is_reported() -> None:
    answers = [
        Answer(200, {"result": [{"sys_id": "a"}, {"sys_id": "b"}]}, headers={**link("", 2, 2), "X-Total-Count": "3"}),
        Answer(200, {"result": [{"sys_id": "c"}, {"sys_id": "d"}]}, headers={"X-Total-Count": "4"}),
    ]
    with ScriptedServer(answers) as server:
        sn = client(server.url, page_size=2)
        rows = [r["sys_id"] for b in sn.table("risk") for r in b]
    assert rows == ["a", "b", "c", "d"]
    assert any("moved from 3 to 4" in w for w in sn.last_scan.warnings)


def test_without_a_link_header_paging_continues_by_offset_while_rows_are_counted() -> None:
    answers = [
        Answer(200, {"result": [{"sys_id": "a"}, {"sys_id": "b"}]}, headers={"X-Total-Count": "3"}),
        Answer(200, {"result": [{"sys_id": "c"}]}, headers={"X-Total-Count": "3"}),
    ]
    with ScriptedServer(answers) as server:
        rows = [r["sys_id"] for b in client(server.url, page_size=2).table("risk") for r in b]
    assert rows == ["a", "b", "c"]


def test_a_next_link_that_does_not_advance_is_an_error() -> None:
    answers = [Answer(200, {"result": [{"sys_id": "a"}]}, headers=link("", 0, 1))]
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
