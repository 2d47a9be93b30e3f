"""Warehouse-level counts (warnings; CONTRACT §4 counts them in kpi_data_quality).

Each is one small SQL query over the built marts that selects the offending rows; the suite
expects none, so ``failing_rows`` is the count and the sample shows a few of them. The queries
live here, together, so that a change to the marts' columns is a change to this one file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from quality.inputs import DuckDBTable, SuiteData, load_frame
from quality.suites.spec import Prepared, SuiteInfo, no_rows


@dataclass(frozen=True)
class WarehouseCount:
    """A query selecting offending rows from ``{schema}`` (the DuckDBTable's schema, ``marts``)."""

    name: str
    target: str
    what: str
    sql: str


WAREHOUSE_COUNTS: tuple[WarehouseCount, ...] = (
    WarehouseCount(
        name="warehouse_unmapped_gl_lines",
        target="fct_spend",
        what="GL lines whose wbs_code maps to no project",
        sql="""
            select s.* from "{schema}"."fct_spend" s
            left join "{schema}"."dim_project" p on p.project_key = s.project_key
            where p.project_key is null or p.project_id is null
        """,
    ),
    WarehouseCount(
        name="warehouse_unmapped_jira_accounts",
        target="dim_resource",
        what="Jira accounts with no ServiceNow sys_user",
        sql="""
            select * from "{schema}"."dim_resource"
            where jira_account_id is not null and resource_id is null
        """,
    ),
    WarehouseCount(
        name="warehouse_unmapped_jira_projects",
        target="dim_jira_project",
        what="Jira projects with no ServiceNow project",
        sql="""
            select j.* from "{schema}"."dim_jira_project" j
            where j.jira_project_key is not null
              and not exists (
                select 1 from "{schema}"."dim_project" p
                where p.jira_project_key = j.jira_project_key
              )
        """,
    ),
)


@dataclass(frozen=True)
class WarehouseSuite:
    """Counts offending rows with one query; given a DataFrame, it takes it as those rows."""

    count: WarehouseCount

    @property
    def info(self) -> SuiteInfo:
        return SuiteInfo(
            name=self.count.name,
            layer="warehouse",
            target=self.count.target,
            severity="warn",
            description=f"Counts {self.count.what} (kpi_data_quality).",
        )

    def prepare(self, data: SuiteData, params: Mapping[str, Any]) -> Prepared:
        if isinstance(data, DuckDBTable):
            with duckdb.connect(str(data.database), read_only=True) as conn:
                frame = conn.sql(self.count.sql.format(schema=data.schema)).df()
        else:
            frame = load_frame(data)
        spec = no_rows(f"no_{self.count.name.removeprefix('warehouse_')}", f"no {self.count.what}")
        return Prepared(frame.reset_index(drop=True), [spec])


WAREHOUSE_SUITES: tuple[WarehouseSuite, ...] = tuple(WarehouseSuite(c) for c in WAREHOUSE_COUNTS)
