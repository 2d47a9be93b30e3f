"""How dbt nodes become Dagster assets: one lineage graph from API to KPI mart.

dbt sources `jira.issues`, `servicenow.pm_project`, `finance.gl_actuals` are the raw assets
`raw/<source>/<entity>` that the ingest assets land; `quality.check_results` is the log the checks
append to. Models keep their names under their layer: `staging/stg_jira__issues`,
`marts/kpi_project_scorecard`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

RAW_SOURCES = ("jira", "servicenow", "finance")


class PortfolioTranslator(DagsterDbtTranslator):
    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> dg.AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props["resource_type"] == "source":
            source = props["source_name"]
            if source in RAW_SOURCES:
                return spec.replace_attributes(key=dg.AssetKey(["raw", source, props["name"]]))
            return spec.replace_attributes(key=dg.AssetKey([source, props["name"]]))
        layer = props.get("config", {}).get("schema") or props.get("schema") or "marts"
        tags = set(props.get("tags", []))
        group = "kpi" if "kpi" in tags else "data_quality" if "data_quality" in tags else layer
        return spec.replace_attributes(
            key=dg.AssetKey([layer, props["name"]]),
            group_name=group,
        )
