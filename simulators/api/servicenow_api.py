"""The simulated ServiceNow Table API (``/api/now/table/{table}``), served from the world file.

Records are returned exactly as stored (every value a string, ``glide_date_time`` in UTC) and
shaped by the request the way a real instance shapes them:

- ``sysparm_query`` (see :mod:`simulators.api.encoded_query`: unknown fields are silently ignored),
  or name-value pairs (``?state=2``) for equality on known fields;
- ``sysparm_fields`` (unknown names ignored; dot-walking is not followed), ``sysparm_limit``
  (default 10000), ``sysparm_offset``;
- ``sysparm_exclude_reference_link``: false (the default) renders references as
  ``{"link": "<base>/api/now/table/<table>/<sys_id>", "value": "<sys_id>"}``; an empty reference
  stays ``""``;
- ``sysparm_display_value``: ``false`` (the default) gives the stored values. ``true`` and ``all``
  are answered with a documented *minimal* rendering: the display value of a reference is the
  referenced record's ``name`` (or ``number``); every other display value equals the stored value
  (choice labels and the user's date format are not simulated). ``all`` gives
  ``{"display_value", "value"}`` pairs (plus ``link`` for references when links are on);
- headers ``X-Total-Count`` and ``Link`` (``first``/``prev``/``next``/``last`` as absolute URLs
  that keep the original query and carry ``sysparm_offset``/``sysparm_limit``; no ``next`` on the
  last page). ``sysparm_no_count=true`` drops ``X-Total-Count`` and ``last`` (``next`` then
  appears while pages come back full); ``sysparm_suppress_pagination_header=true`` drops ``Link``.
- ``/api/now/v1/table/...`` answers 404 "No Record found" for an empty result, as v1 did;
  ``/api/now/table/...`` and ``/api/now/v2/table/...`` answer 200 with ``[]``.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from simulators.api import encoded_query
from simulators.api.faults import Fault, FaultConfig
from simulators.api.http import (
    Request,
    Response,
    credentials_match,
    http_date,
    json_response,
    world_now,
)
from simulators.world.store import POLYMORPHIC_REFERENCES, SERVICENOW_TABLES, SYSTEM_FIELDS, read_meta

DEFAULT_LIMIT = 10000
_TABLE_PATH = re.compile(r"^/api/now/(?:(v1|v2)/)?table/([^/]+)(?:/([^/]+))?/?$")
_SYSTEM_COLUMNS = set(SYSTEM_FIELDS)


def error_body(message: str, detail: str | None) -> dict[str, Any]:
    """ServiceNow's error envelope."""
    return {"error": {"message": message, "detail": detail}, "status": "failure"}


@dataclass(frozen=True)
class _Shape:
    """How the request wants records rendered."""

    fields: tuple[str, ...] | None
    links: bool
    display: str  # false | true | all

    @property
    def raw(self) -> bool:
        """Stored bodies can be sent as they are (the fast path of the connectors' own requests)."""
        return self.fields is None and not self.links and self.display == "false"


class ServiceNowApp:
    """The ServiceNow Table API over one world file."""

    name = "servicenow"

    def __init__(self, world_path: Path | str) -> None:
        self.world_path = Path(world_path)

    # -- the App protocol -----------------------------------------------------------------------

    def handle(self, request: Request, db: sqlite3.Connection) -> Response:
        meta = read_meta(db)
        now = world_now(meta)
        if not credentials_match(request, meta.get("servicenow_user", ""), meta.get("servicenow_password", "")):
            return self._json(
                401,
                error_body("User Not Authenticated", "Required to provide Auth information"),
                now,
                [("WWW-Authenticate", 'BASIC realm="Service-now"')],
            )
        match = _TABLE_PATH.match(request.path)
        if match is None:
            return self._json(400, error_body("Requested URI does not represent any resource", None), now)
        version, table, sys_id = match.groups()
        if request.method not in ("GET", "HEAD"):
            return self._json(
                405, error_body("Method not Supported", f"The simulator serves GET only, not {request.method}"), now
            )
        if table not in SERVICENOW_TABLES:
            return self._json(400, error_body(f"Invalid table {table}", None), now)
        shape = _shape(request, table)
        if shape is None:
            return self._json(
                400,
                error_body("Invalid sysparm_display_value", "Use false, true or all"),
                now,
            )
        if sys_id is not None:
            return self._one(request, db, table, sys_id, shape, now)
        return self._list(request, db, table, version, shape, now)

    def fault_response(self, fault: Fault, config: FaultConfig, request: Request, db: sqlite3.Connection) -> Response:
        now = world_now(read_meta(db))
        headers: list[tuple[str, str]] = []
        if fault.with_retry_after:
            headers.append(("Retry-After", str(config.retry_after_seconds)))
        if fault.kind == "429":
            reset = int((now + timedelta(seconds=config.retry_after_seconds)).timestamp())
            headers += [
                ("X-RateLimit-Limit", "100"),
                ("X-RateLimit-Reset", str(reset)),
                ("X-RateLimit-Rule", "b3e5d9f1c0a8010e00d1a2b3c4d5e6f7"),
            ]
            body = error_body("Rate limit exceeded", "Rate limit of 100 requests per hour for Table API exceeded")
            return self._json(429, body, now, headers)
        if fault.kind == "503":
            return self._json(
                503, error_body("Service Unavailable", "The instance is temporarily unavailable"), now, headers
            )
        return self._json(500, error_body("Internal Server Error", "An unexpected error occurred"), now, headers)

    def internal_error(self) -> Response:
        return json_response(500, error_body("Internal Server Error", "The simulator failed on this request"))

    # -- endpoints ------------------------------------------------------------------------------

    @staticmethod
    def _json(status: int, payload: Any, now: datetime, headers: list[tuple[str, str]] | None = None) -> Response:
        response = json_response(status, payload, headers or [])
        response.headers.append(("Date", http_date(now)))
        return response

    def _one(
        self, request: Request, db: sqlite3.Connection, table: str, sys_id: str, shape: _Shape, now: datetime
    ) -> Response:
        row = db.execute("select body from sn_record where tbl = ? and sys_id = ?", (table, sys_id)).fetchone()
        if row is None:
            body = error_body("No Record found", "Record doesn't exist or ACL restricts the record retrieval")
            return self._json(404, body, now)
        if shape.raw:
            response = Response(status=200, body=b'{"result":' + row[0].encode("utf-8") + b"}")
        else:
            renderer = _Renderer(db, table, request.base_url, shape)
            response = json_response(200, {"result": renderer.render(json.loads(row[0]))})
        response.headers.append(("Date", http_date(now)))
        return response

    def _list(
        self, request: Request, db: sqlite3.Connection, table: str, version: str | None, shape: _Shape, now: datetime
    ) -> Response:
        fields = _table_fields(table)
        query = encoded_query.parse(request.param("sysparm_query") or "", fields)
        where, params = encoded_query.to_sql(query, _column, _SYSTEM_COLUMNS)
        for name, value in request.query:
            # Name-value pairs filter by equality on known fields, like ?active=true on a real instance.
            if not name.startswith("sysparm_") and name in fields:
                where += f" AND {_column(name)} = ?"
                params.append(value)
        order = [f"{_column(field)} {'DESC' if descending else 'ASC'}" for field, descending in query.order_by]
        if "sys_id" not in (field for field, _ in query.order_by):
            order.append("sys_id ASC")  # a stable order, so offset paging neither repeats nor skips
        limit = _positive_int(request.param("sysparm_limit"), DEFAULT_LIMIT)
        offset = _positive_int(request.param("sysparm_offset"), 0, allow_zero=True)
        no_count = (request.param("sysparm_no_count") or "").lower() == "true"
        rows = db.execute(
            f"select body from sn_record where tbl = ? and {where} order by {', '.join(order)} limit ? offset ?",
            [table, *params, limit + 1 if no_count else limit, offset],
        ).fetchall()
        has_more_rows = len(rows) > limit
        rows = rows[:limit]
        total = None
        if not no_count:
            total = db.execute(
                f"select count(*) from sn_record where tbl = ? and {where}", [table, *params]
            ).fetchone()[0]
        if version == "v1" and not rows:
            body = error_body(
                "No Record found", "Records matching query not found. Check query parameter or offset parameter"
            )
            return self._json(404, body, now)
        if shape.raw:
            body = b'{"result":[' + b",".join(row[0].encode("utf-8") for row in rows) + b"]}"
            response = Response(status=200, body=body)
        else:
            renderer = _Renderer(db, table, request.base_url, shape)
            response = json_response(200, {"result": [renderer.render(json.loads(row[0])) for row in rows]})
        if total is not None:
            response.headers.append(("X-Total-Count", str(total)))
        if (request.param("sysparm_suppress_pagination_header") or "").lower() != "true":
            has_next = has_more_rows if total is None else offset + limit < total
            response.headers.append(("Link", _link_header(request, limit, offset, total, has_next)))
        response.headers.append(("Date", http_date(now)))
        return response


class _Renderer:
    """Renders stored records with reference links and display values as the request asks."""

    def __init__(self, db: sqlite3.Connection, table: str, base: str, shape: _Shape) -> None:
        self.db = db
        self.table = table
        self.base = base
        self.shape = shape
        self.references: dict[str, str] = SERVICENOW_TABLES[table]["references"]  # type: ignore[assignment]
        self._display_cache: dict[tuple[str, str], str] = {}
        self._table_cache: dict[tuple[str, str], str] = {}

    def render(self, record: dict[str, str]) -> dict[str, Any]:
        names = self.shape.fields if self.shape.fields is not None else tuple(record)
        result: dict[str, Any] = {}
        for name in names:
            if name not in record:
                continue
            value = record[name]
            target = self.references.get(name)
            if target and value and (self.table, name) in POLYMORPHIC_REFERENCES:
                target = self._actual_table(name, value, target)
            result[name] = self._value(value, target)
        return result

    def _actual_table(self, field: str, sys_id: str, declared: str) -> str:
        """The table a polymorphic reference (a project or a project task) really points into."""
        key = (field, sys_id)
        if key not in self._table_cache:
            candidates = POLYMORPHIC_REFERENCES[(self.table, field)]
            marks = ", ".join("?" * len(candidates))
            row = self.db.execute(
                f"select tbl from sn_record where sys_id = ? and tbl in ({marks})", (sys_id, *candidates)
            ).fetchone()
            self._table_cache[key] = row[0] if row else declared
        return self._table_cache[key]

    def _value(self, value: str, target: str | None) -> Any:
        link = f"{self.base}/api/now/table/{target}/{value}" if target and value else None
        display = self.shape.display
        if display == "false":
            return {"link": link, "value": value} if link and self.shape.links else value
        display_value = self._display(target, value) if target and value else value
        if display == "true":
            return display_value
        rendered: dict[str, Any] = {"display_value": display_value}
        if link and self.shape.links:
            rendered["link"] = link
        rendered["value"] = value
        return rendered

    def _display(self, table: str, sys_id: str) -> str:
        key = (table, sys_id)
        if key not in self._display_cache:
            row = self.db.execute(
                "select coalesce(nullif(json_extract(body, '$.name'), ''), json_extract(body, '$.number'), sys_id) "
                "from sn_record where tbl = ? and sys_id = ?",
                (table, sys_id),
            ).fetchone()
            self._display_cache[key] = row[0] if row else sys_id
        return self._display_cache[key]


def _table_fields(table: str) -> list[str]:
    return [*SYSTEM_FIELDS, *SERVICENOW_TABLES[table]["fields"]]  # type: ignore[misc]


def _column(field: str) -> str:
    if field in _SYSTEM_COLUMNS:
        return field
    return f"json_extract(body, '$.{field}')"


def _shape(request: Request, table: str) -> _Shape | None:
    display = (request.param("sysparm_display_value") or "false").lower()
    if display not in ("false", "true", "all"):
        return None
    fields_param = request.param("sysparm_fields")
    fields: tuple[str, ...] | None = None
    if fields_param is not None and fields_param.strip():
        known = set(_table_fields(table))
        wanted = [name.strip() for name in fields_param.split(",")]
        fields = tuple(dict.fromkeys(name for name in wanted if name in known))
    links = (request.param("sysparm_exclude_reference_link") or "false").lower() != "true"
    return _Shape(fields=fields, links=links, display=display)


def _positive_int(text: str | None, default: int, *, allow_zero: bool = False) -> int:
    try:
        value = int(text) if text is not None else default
    except ValueError:
        return default
    return value if value > 0 or (allow_zero and value == 0) else default


def _link_header(request: Request, limit: int, offset: int, total: int | None, has_next: bool) -> str:
    def url(page_offset: int) -> str:
        pairs = [(k, v) for k, v in request.query if k not in ("sysparm_offset", "sysparm_limit")]
        pairs += [("sysparm_limit", str(limit)), ("sysparm_offset", str(page_offset))]
        return f"{request.base_url}{request.path}?{urlencode(pairs)}"

    links = [f'<{url(0)}>;rel="first"']
    if offset > 0:
        links.append(f'<{url(max(offset - limit, 0))}>;rel="prev"')
    if has_next:
        links.append(f'<{url(offset + limit)}>;rel="next"')
    if total is not None:
        last = ((total - 1) // limit) * limit if total > 0 else 0
        links.append(f'<{url(last)}>;rel="last"')
    return ",".join(links)
