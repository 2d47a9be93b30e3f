"""Warehouse-level counts (warnings; docs/contract.md §4 counts them in kpi_data_quality).

Each is one small SQL filter over one mart table that selects the offending rows; the suite
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
    """A filter selecting offending rows of one mart table; ``{table}`` is that table."""

    name: str
    target: str
    what: str
    sql: str
    sample_columns: tuple[str, ...]


# Column meanings are those of dbt_project/models/marts/core/<target>.yml.
WAREHOUSE_COUNTS: tuple[WarehouseCount, ...] = (
    WarehouseCount(
        name="warehouse_unmapped_gl_lines",
        target="fct_spend",
        what="GL lines whose wbs_code maps to no project",
        # such a line stays in fct_spend under the unknown project (docs/contract.md §4)
        sql="select * from {table} where not is_wbs_matched",
        sample_columns=("spend_id", "wbs_code", "file_name", "file_line", "spend_amount_local", "currency"),
    ),
    WarehouseCount(
        name="warehouse_unmapped_jira_accounts",
        target="dim_resource",
        what="Jira accounts with no ServiceNow sys_user",
        # dim_resource keeps such an account as a resource of its own, source_system 'jira'
        sql="select * from {table} where source_system = 'jira'",
        sample_columns=("resource_id", "resource_name", "jira_account_id"),
    ),
    WarehouseCount(
        name="warehouse_unmapped_jira_projects",
        target="dim_jira_project",
        what="Jira projects with no ServiceNow project",
        # is_in_jira leaves out keys ServiceNow names that Jira does not know (and the unknown member)
        sql="select * from {table} where is_in_jira and not is_matched",
        sample_columns=("jira_project_key", "jira_project_name"),
    ),
)


@dataclass(frozen=True)
class WarehouseSuite:
    """Counts offending rows of one mart table: a DuckDBTable, or the table as a DataFrame."""

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
            with data.connect() as conn:
                frame = conn.sql(self.count.sql.format(table=data.qualified_name)).df()
        else:
            # The same SQL over the DataFrame, so both inputs count the same rows.
            with duckdb.connect() as conn:
                conn.register("target_table", load_frame(data))
                frame = conn.sql(self.count.sql.format(table="target_table")).df()
        spec = no_rows(f"no_{self.count.name.removeprefix('warehouse_')}", self.count.what)
        return Prepared(frame.reset_index(drop=True), [spec], sample_columns=list(self.count.sample_columns))


WAREHOUSE_SUITES: tuple[WarehouseSuite, ...] = tuple(WarehouseSuite(c) for c in WAREHOUSE_COUNTS)
