"""ServiceNow Table API client for the SPM/PPM tables of docs/contract.md §3.

One method, :meth:`ServiceNowClient.table`, reads any table as batches of records, through our
HTTP policy (``connectors.http``). Traps handled here (docs/sources.md "ServiceNow Table API"):

- Paging is by keyset on (``sys_updated_on``, ``sys_id``), not by offset: an offset page costs the
  instance every row before it (5 s a page at offset 1.4M on a large ``time_card``), and rows
  updated mid-scan shift the offsets so a page skips rows. Only the first page is counted.
- ``sysparm_limit`` is applied before ACLs, so a page can be short or even empty while more rows
  follow: page length never ends a scan; an empty page without a ``Link: rel="next"`` does.
  A scan that ends with fewer rows than the first page's ``X-Total-Count`` (ACLs) is reported as
  a warning, never silently.
- The incremental filter is a plain UTC literal, ``sys_updated_on>=yyyy-MM-dd HH:mm:ss``, with
  ``sysparm_display_value=false`` so datetimes are UTC internal values (display values would be
  in the API user's zone and format). Ordered by ``sys_updated_on`` then ``sys_id`` so the order
  is total and restarts are deterministic.
- ``sysparm_exclude_reference_link=true``: references are bare ``sys_id`` strings.
- Every value stays the string ServiceNow sent; staging casts.

The ``Link`` header carries absolute URLs on the instance's canonical host; only the offset of its
``next`` is used, against the configured base URL, so credentials are never sent to another host.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from connectors.http import HttpClient, HttpPolicy, SourceError, pages_for_count

log = logging.getLogger(__name__)

SOURCE = "ServiceNow"

SYSTEM_FIELDS: tuple[str, ...] = ("sys_id", "sys_created_on", "sys_updated_on")

# The fields docs/contract.md §3.5 reads from each table (sys_id, sys_created_on, sys_updated_on are
# added to every request). A real instance may need more: pass ``fields`` to the client.
TABLE_FIELDS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "fiscal_period": ("name", "fiscal_type", "fiscal_start_date", "fiscal_end_date"),
        "pm_portfolio": ("name", "portfolio_manager", "active"),
        "pm_program": ("number", "short_description", "portfolio", "program_manager", "state"),
        "pm_project": (
            "number",
            "short_description",
            "portfolio",
            "program",
            "project_manager",
            "department",
            "state",
            "phase",
            "priority",
            "execution_type",
            "start_date",
            "end_date",
            "work_start",
            "work_end",
            "percent_complete",
            "cost",
            "work_cost",
            "approval",
            "u_jira_project_key",
            "u_wbs_code",
            "u_strategic_alignment",
            "u_business_value",
            "u_time_criticality",
            "u_risk_reduction",
            "u_job_size",
        ),
        "pm_project_task": (
            "number",
            "short_description",
            "top_task",
            "parent",
            "milestone",
            "state",
            "start_date",
            "end_date",
            "work_start",
            "work_end",
            "percent_complete",
            "phase_type",
        ),
        "dmn_demand": (
            "number",
            "short_description",
            "portfolio",
            "state",
            "submitted_date",
            "project",
            "u_estimated_cost",
            "u_estimated_benefit",
            "u_strategic_alignment",
            "u_business_value",
            "u_time_criticality",
            "u_risk_reduction",
            "u_job_size",
            "u_estimated_effort_hours",
        ),
        "sys_user": (
            "user_name",
            "name",
            "email",
            "title",
            "active",
            "department",
            "cost_center",
            "u_hourly_cost_rate",
            "u_weekly_capacity_hours",
            "u_employment_type",
        ),
        "cmn_department": ("name", "id", "cost_center"),
        "cmn_cost_center": ("name", "code"),
        "time_card": (
            "user",
            "task",
            "week_starts_on",
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "total",
            "state",
            "category",
        ),
        "time_sheet": ("user", "week_starts_on", "state", "total_hours", "u_submitted_on"),
        "resource_plan": ("number", "user", "task", "start_date", "end_date", "planned_hours", "state"),
        "cost_plan": ("name", "task", "expense_type", "total_planned_cost"),
        "cost_plan_breakdown": ("cost_plan", "task", "fiscal_period", "cost", "actual"),
        "benefit_plan": ("name", "task", "benefit_type"),
        "benefit_plan_breakdown": ("benefit_plan", "task", "fiscal_period", "planned_benefit", "actual_benefit"),
        "risk": ("number", "short_description", "task", "probability", "impact", "estimated_cost", "state"),
        "project_status": (
            "number",
            "project",
            "as_on",
            "overall_health",
            "schedule",
            "cost",
            "scope",
            "resources",
            "percent_complete",
        ),
        "planned_task_baseline": ("name", "task"),
        "planned_task_baseline_item": ("baseline", "task", "start_date", "end_date"),
        "planned_task_rel_planned_task": ("parent", "child", "sub_type"),
    }
)

GLIDE_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# Pages one table read may take when the instance sends no X-Total-Count (with a count, the count
# decides): twenty million rows at the default page size. More means the paging loops.
UNCOUNTED_PAGE_CAP = 10_000


@dataclass(frozen=True)
class ServiceNowConfig:
    """Where and how to reach the ServiceNow instance (filled from SERVICENOW_* variables)."""

    url: str
    user: str
    password: str = field(repr=False)
    verify: bool | str = True  # False, True, or a CA bundle path
    # what the instance's variables start with (SERVICENOW, or SERVICENOW_EMEA): errors name them
    variables: str = "SERVICENOW"


def format_glide_datetime(moment: datetime) -> str:
    """An aware datetime as a ServiceNow UTC internal value ``yyyy-MM-dd HH:mm:ss``."""
    if moment.tzinfo is None:
        raise ValueError("format_glide_datetime needs an aware datetime")
    return moment.astimezone(UTC).strftime(GLIDE_DATETIME_FORMAT)


def parse_glide_datetime(value: str | None) -> datetime | None:
    """A ``glide_date_time`` internal value (UTC by definition with display_value=false)."""
    if value is None or value == "":
        return None
    return datetime.strptime(value.strip(), GLIDE_DATETIME_FORMAT).replace(tzinfo=UTC)


def build_table_query(updated_since: datetime | None, after: tuple[str, str] | None = None) -> str:
    """The encoded query of one page, always ordered ``ORDERBYsys_updated_on^ORDERBYsys_id``.

    The first page: ``sys_updated_on>=<UTC>`` (nothing for a full read). A later page continues
    after the last row read, ``after`` = its (``sys_updated_on``, ``sys_id``):
    ``sys_updated_on>=T^sys_updated_on>T^ORsys_id>ID`` — an ``^OR`` term joins the term before
    it, so this reads "at or after T, and (after T, or at T with a greater sys_id)": the rows past
    the cursor, with a range on ``sys_updated_on`` the instance's index can seek to.
    """
    order = "ORDERBYsys_updated_on^ORDERBYsys_id"
    if after is not None:
        updated_on, sys_id = after
        return f"sys_updated_on>={updated_on}^sys_updated_on>{updated_on}^ORsys_id>{sys_id}^{order}"
    if updated_since is None:
        return order
    return f"sys_updated_on>={format_glide_datetime(updated_since)}^{order}"


@dataclass
class TableScan:
    """What one table read saw, for warnings and run metadata."""

    table: str
    pages: int = 0
    records: int = 0
    # The first page's X-Total-Count: every row the query matched when the scan began. Later pages
    # are not counted (a count there would cover only the rows past the cursor).
    counted: int | None = None
    warnings: list[str] = field(default_factory=list)


class ServiceNowClient:
    """Reads ServiceNow tables through the Table API, as batches of string-valued records."""

    def __init__(
        self,
        config: ServiceNowConfig,
        *,
        policy: HttpPolicy | None = None,
        page_size: int = 2000,
        fields: Mapping[str, Sequence[str]] | None = None,
        max_pages: int = UNCOUNTED_PAGE_CAP,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.config = config
        self.http = HttpClient(
            source=SOURCE,
            base_url=config.url,
            auth=(config.user, config.password),
            auth_hint=f"{config.variables}_USER and {config.variables}_PASSWORD",
            url_hint=f"{config.variables}_URL",
            policy=policy,
            verify=config.verify,
            secrets=(config.password,),
        )
        self.page_size = page_size
        self.max_pages = max_pages
        self.fields = {**TABLE_FIELDS, **{k: tuple(v) for k, v in (fields or {}).items()}}
        self.last_scan: TableScan | None = None

    def __repr__(self) -> str:
        return f"ServiceNowClient(url={self.http.base_url!r}, user={self.config.user!r})"

    def close(self) -> None:
        self.http.close()

    def check(self) -> None:
        """Authenticate with the cheapest possible read (raises SourceError on 401/403)."""
        self.http.get_json("/api/now/table/sys_user", {"sysparm_limit": 1, "sysparm_fields": "sys_id"})

    def field_list(self, table: str) -> list[str]:
        known = self.fields.get(table)
        if known is None:
            raise ValueError(
                f"no field list for ServiceNow table {table!r}; pass fields={{{table!r}: [...]}} to ServiceNowClient"
            )
        return list(dict.fromkeys(SYSTEM_FIELDS + tuple(known)))

    def table(self, table: str, updated_since: datetime | None = None) -> Iterator[list[dict[str, Any]]]:
        """Records of ``table`` updated at or after ``updated_since`` (all when None), in
        ``sys_updated_on, sys_id`` order, one batch per page. ``last_scan`` holds the counts.

        Pages by keyset: each page asks for the rows after the last (``sys_updated_on``,
        ``sys_id``) it has seen, so the instance seeks in its index instead of counting past an
        offset (flat cost per page on a table of millions), and a row updated mid-scan moves
        ahead of the cursor instead of shifting the rows behind it. Only the first page is
        counted (``X-Total-Count``); later pages send ``sysparm_no_count=true``. Page length never
        ends the scan (ACLs cut rows after the limit): an empty page does, unless its ``Link``
        header has a ``next`` (a whole page hidden by ACLs), which is followed by offset within
        the same keyset query.
        """
        scan = TableScan(table)
        self.last_scan = scan
        path = f"/api/now/table/{table}"
        shape: list[tuple[str, Any]] = [
            ("sysparm_fields", ",".join(self.field_list(table))),
            ("sysparm_exclude_reference_link", "true"),
            ("sysparm_display_value", "false"),
            ("sysparm_limit", self.page_size),
        ]
        after: tuple[str, str] | None = None
        offset = 0
        while True:
            limit = self._page_limit(scan)
            if scan.pages >= limit:
                raise self._read_error(self._page_limit_message(scan, limit), path)
            params = [("sysparm_query", build_table_query(updated_since, after)), *shape, ("sysparm_offset", offset)]
            if scan.pages:
                params.append(("sysparm_no_count", "true"))
            data, response = self.http.get_json(path, params)
            scan.pages += 1
            result = data.get("result") if isinstance(data, dict) else None
            if not isinstance(result, list):
                raise self._read_error(
                    f"ServiceNow table {table} did not return a result list — check SERVICENOW_URL "
                    "and that the table exists",
                    path,
                )
            if scan.pages == 1:
                scan.counted = _int_header(response.headers.get("X-Total-Count"))
            scan.records += len(result)
            if result:
                yield result
                key = _keyset_of(result[-1])
                if key is None:
                    raise self._read_error(
                        f"ServiceNow table {table} sent a record without sys_updated_on or sys_id; "
                        "the scan cannot continue after it",
                        path,
                    )
                if after is not None and key <= after:
                    raise self._read_error(
                        f"ServiceNow table {table}: the page after {after} ended at {key}, not past it — "
                        "the instance ignored the keyset condition; stopping instead of looping",
                        path,
                    )
                if scan.pages == 1 and scan.counted is not None and len(result) >= scan.counted:
                    break  # the first page held every counted row: no need to ask for an empty one
                after, offset = key, 0
                continue
            next_offset = _offset_of(_next_link_params(response, path) or [])
            if next_offset is None:
                break
            if next_offset <= offset:
                raise self._read_error(
                    f"ServiceNow table {table}: the next page link does not advance (offset {next_offset} "
                    f"after {offset}); stopping instead of looping",
                    path,
                )
            offset = next_offset
        if scan.counted is not None and scan.records < scan.counted:
            scan.warnings.append(
                f"ServiceNow {table}: read {scan.records} of {scan.counted} counted rows "
                "(ACLs hide rows from the integration user, or rows were deleted during the scan)"
            )
        for warning in scan.warnings:
            log.warning(warning)

    def _read_error(self, message: str, path: str) -> SourceError:
        """A failed table read, named as ServiceNow's, with the request it was making."""
        return SourceError(message, source=SOURCE, method="GET", url=self.http.url(path))

    def _page_limit(self, scan: TableScan) -> int:
        """Pages this read may take: what the first page's X-Total-Count needs, plus a margin (rows
        added while paging, the closing empty page); the fixed cap when the instance sent no count."""
        if scan.counted is None:
            return self.max_pages
        return pages_for_count(scan.counted, self.page_size)

    def _page_limit_message(self, scan: TableScan, limit: int) -> str:
        if scan.counted is None:
            return (
                f"ServiceNow table {scan.table} hit the page cap of {limit} pages of {self.page_size} rows "
                "without a last page and without an X-Total-Count — its paging loops or the table is "
                "bigger than expected; check the table in ServiceNow (or raise the client's max_pages)"
            )
        return (
            f"ServiceNow table {scan.table} went past {limit} pages of {self.page_size} rows, more than its own "
            f"X-Total-Count of {scan.counted} needs (with a margin for rows added while paging); its "
            "paging keeps going — stopping instead of looping; check the table in ServiceNow"
        )


def servicenow_client(config: ServiceNowConfig, policy: HttpPolicy | None = None) -> ServiceNowClient:
    """A ServiceNow client from its config (verify = CA bundle path or bool)."""
    return ServiceNowClient(config, policy=policy)


def _int_header(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _next_link_params(response: Any, path: str) -> list[tuple[str, str]] | None:
    """The query of the ``rel="next"`` link, provided it points at the same table."""
    link = response.links.get("next") if response.links else None
    if not link or not link.get("url"):
        return None
    parts = urlsplit(link["url"])
    if parts.path and not parts.path.rstrip("/").endswith(path.rsplit("/", 1)[-1]):
        raise SourceError(
            f"ServiceNow sent a next-page link for another resource ({parts.path}) while reading {path}",
            source=SOURCE,
            method="GET",
            url=path,
        )
    return parse_qsl(parts.query, keep_blank_values=True)


def _keyset_of(record: Mapping[str, Any]) -> tuple[str, str] | None:
    """(``sys_updated_on``, ``sys_id``) of a record: where the next page starts after it."""
    updated_on, sys_id = record.get("sys_updated_on"), record.get("sys_id")
    if not isinstance(updated_on, str) or not isinstance(sys_id, str) or not updated_on or not sys_id:
        return None
    return updated_on, sys_id


def _offset_of(params: Sequence[tuple[str, Any]]) -> int | None:
    for key, value in params:
        if key == "sysparm_offset":
            try:
                return int(value)
            except (TypeError, ValueError):
                return None
    return None
