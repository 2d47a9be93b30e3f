"""A Power BI Project (PBIP) over the Parquet exports, its semantic model written as TMDL.

Nothing here is written table by table: the tables, columns, descriptions and relationships come
from the dbt manifest (read as JSON) and the column types from the exported Parquet files, so the
model follows the marts when they change. A published mart that dbt does not build (the scenario
marts) is taken from its Parquet file, descriptions included. What is written by hand is the list of KPI measures
below, each a ratio of sums (docs/kpis.md "Ratios") over columns the generator checks exist.

- Every mart is an import table over `<ParquetFolder><table>.parquet`; the folder is the one
  parameter (`ParquetFolder`) to change after opening.
- Relationships are the dbt `relationships` tests from a fact or KPI mart to a dimension, one to
  many, filtering one way (dimension → fact). Dimension-to-dimension tests are left out, so the
  model is a star with one path between any two tables; when a table refers to the same dimension
  twice, the first relationship is active and the others inactive.
- `dim_date` is marked as the date table (dataCategory Time, `date_day` the key); its unknown
  member (no date) is filtered out in its query, since a date table's key may not be blank.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

PROJECT = "Portfolio"
COMPATIBILITY_LEVEL = 1567
DATE_TABLE, DATE_COLUMN = "dim_date", "date_day"
PARAMETER = "ParquetFolder"
FILE_FUNCTION = "ParquetFile"
# Deterministic lineage tags: regenerating the project gives the same files (clean diffs).
_TAG_NAMESPACE = uuid.UUID("5b0f7c6e-8d4a-4f7e-9a51-2f4f1d0c9e11")

PERCENT = "0.0%"
INDEX = "0.00"
DATE_FORMAT = "yyyy-mm-dd"
TIMESTAMP_FORMAT = "yyyy-mm-dd hh:nn:ss"


@dataclass(frozen=True)
class Measure:
    """A KPI measure: a ratio of sums (or a sum) of mart columns, with dbt's words for it."""

    name: str
    table: str
    expression: str
    format: str  # PERCENT, INDEX or "currency"
    described_by: tuple[str, str]  # (table, column) whose dbt description the measure carries


def _sum(table: str, column: str) -> str:
    return f"SUM ( {table}[{column}] )"


SC, PS, CU, RH = "kpi_project_scorecard", "kpi_portfolio_summary", "kpi_capacity_utilization", "kpi_risk_heatmap"

MEASURES = (
    Measure(
        "On-time delivery rate",
        PS,
        f"DIVIDE ( {_sum(PS, 'projects_closed_on_time_count')}, {_sum(PS, 'projects_closed_count')} )",
        PERCENT,
        (PS, "on_time_delivery_rate"),
    ),
    Measure(
        "Budget variance",
        SC,
        f"{_sum(SC, 'actual_cost_to_date_amount')} - {_sum(SC, 'planned_cost_to_date_amount')}",
        "currency",
        (SC, "budget_variance_amount"),
    ),
    Measure(
        "Budget variance %",
        SC,
        f"DIVIDE ( {_sum(SC, 'actual_cost_to_date_amount')} - {_sum(SC, 'planned_cost_to_date_amount')}, "
        f"{_sum(SC, 'planned_cost_to_date_amount')} )",
        PERCENT,
        (SC, "budget_variance_ratio"),
    ),
    Measure(
        "Benefit realisation ratio",
        SC,
        f"DIVIDE ( {_sum(SC, 'actual_benefit_to_date_amount')}, {_sum(SC, 'planned_benefit_to_date_amount')} )",
        PERCENT,
        (SC, "benefit_realization_ratio"),
    ),
    Measure(
        "Capacity utilisation",
        CU,
        f"DIVIDE ( {_sum(CU, 'actual_hours')}, {_sum(CU, 'capacity_hours')} )",
        PERCENT,
        (CU, "capacity_utilization"),
    ),
    Measure(
        "Allocation ratio",
        CU,
        f"DIVIDE ( {_sum(CU, 'allocated_hours')}, {_sum(CU, 'capacity_hours')} )",
        PERCENT,
        (CU, "allocation_ratio"),
    ),
    Measure("Risk exposure", RH, _sum(RH, "exposure_amount"), "currency", (RH, "exposure_amount")),
    Measure("CPI", SC, f"DIVIDE ( {_sum(SC, 'ev_amount')}, {_sum(SC, 'ac_amount')} )", INDEX, (SC, "cpi")),
    Measure("SPI", SC, f"DIVIDE ( {_sum(SC, 'ev_amount')}, {_sum(SC, 'pv_amount')} )", INDEX, (SC, "spi")),
    # EAC = BAC / CPI with both sides summed first: Σbac / (Σev / Σac).
    Measure(
        "EAC",
        SC,
        f"DIVIDE ( {_sum(SC, 'bac_amount')}, DIVIDE ( {_sum(SC, 'ev_amount')}, {_sum(SC, 'ac_amount')} ) )",
        "currency",
        (SC, "eac_amount"),
    ),
)


@dataclass
class Column:
    name: str
    data_type: str  # TMDL dataType
    m_type: str  # the Power Query type the column is set to
    description: str | None
    format: str | None = None
    summarize_by: str = "none"
    hidden: bool = False
    is_key: bool = False


@dataclass
class ModelTable:
    name: str
    description: str | None
    columns: list[Column]
    is_date_table: bool = False
    measures: list[Measure] = field(default_factory=list)


@dataclass(frozen=True)
class Relationship:
    from_table: str
    from_column: str
    to_table: str
    to_column: str
    is_active: bool = True


@dataclass(frozen=True)
class PowerBIResult:
    folder: Path
    pbip: Path
    tables: int
    relationships: int
    measures: int


# --- reading the marts: dbt manifest + Parquet schemas ----------------------------------------------------


def _mart_models(manifest: dict) -> dict[str, dict]:
    """Models in schema `marts`, by name."""
    return {
        node["name"]: node
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") == "model" and (node.get("config") or {}).get("schema") == "marts"
    }


def _column_types(column: str, arrow_type: pa.DataType) -> tuple[str, str, str | None]:
    """(TMDL dataType, Power Query type, format string) of a Parquet column."""
    if pa.types.is_boolean(arrow_type):
        return "boolean", "type logical", None
    if pa.types.is_integer(arrow_type):
        return "int64", "Int64.Type", "0"
    if pa.types.is_decimal(arrow_type) and column.endswith(("_amount", "_amount_local")):
        return "decimal", "Currency.Type", "#,0.00"
    if pa.types.is_decimal(arrow_type) or pa.types.is_floating(arrow_type):
        return "double", "type number", None
    if pa.types.is_date(arrow_type):
        return "dateTime", "type date", DATE_FORMAT
    if pa.types.is_timestamp(arrow_type):
        return "dateTime", "type datetime", TIMESTAMP_FORMAT
    return "string", "type text", None


def _column_format(column: str, default: str | None, currency: str) -> str | None:
    if column.endswith("_amount"):
        return currency_format(currency)
    if column.endswith("_ratio") or column in ("on_time_delivery_rate", "capacity_utilization"):
        return PERCENT
    if column in ("cpi", "spi", "tcpi"):
        return INDEX
    return default


def _summarize_by(column: str, data_type: str) -> str:
    additive = column.endswith(("_amount", "_hours", "_count")) or column in ("throughput", "failing_rows")
    return "sum" if additive and data_type in ("int64", "double", "decimal") else "none"


def currency_format(currency: str) -> str:
    return f'#,0 "{currency}";-#,0 "{currency}";0 "{currency}"'


def _described_by_file(schema: pa.Schema) -> dict:
    """A mart dbt does not build (the scenario marts) as a manifest node: its descriptions are the
    ones the Parquet export wrote into the file's metadata."""

    def text(metadata: dict | None) -> str | None:
        return (metadata or {}).get(b"description", b"").decode() or None

    return {
        "description": text(schema.metadata),
        "columns": {f.name: {"description": text(f.metadata)} for f in schema},
    }


def read_tables(manifest: dict, parquet_dir: Path, currency: str) -> list[ModelTable]:
    models = _mart_models(manifest)
    for path in sorted(parquet_dir.glob("*.parquet")):
        if path.stem not in models:
            models[path.stem] = _described_by_file(pq.read_schema(path))
    tables: list[ModelTable] = []
    for name in sorted(models):
        path = parquet_dir / f"{name}.parquet"
        if not path.exists():
            continue  # a model that is not published (e.g. disabled) has no file to read
        node = models[name]
        described = {c: (d.get("description") or None) for c, d in (node.get("columns") or {}).items()}
        columns = []
        for arrow_field in pq.read_schema(path):
            data_type, m_type, default_format = _column_types(arrow_field.name, arrow_field.type)
            columns.append(
                Column(
                    name=arrow_field.name,
                    data_type=data_type,
                    m_type=m_type,
                    description=described.get(arrow_field.name),
                    format=_column_format(arrow_field.name, default_format, currency)
                    if data_type != "string"
                    else None,
                    summarize_by=_summarize_by(arrow_field.name, data_type),
                    hidden=arrow_field.name.endswith("_key"),
                    is_key=name == DATE_TABLE and arrow_field.name == DATE_COLUMN,
                )
            )
        tables.append(ModelTable(name, node.get("description") or None, columns, is_date_table=name == DATE_TABLE))
    by_name = {t.name: t for t in tables}
    for measure in MEASURES:
        if measure.table in by_name:
            by_name[measure.table].measures.append(measure)
    return tables


_REF = re.compile(r"ref\(\s*['\"]([^'\"]+)['\"]\s*\)")


def read_relationships(manifest: dict, tables: list[ModelTable]) -> list[Relationship]:
    """Star relationships from dbt's `relationships` tests: fact or KPI mart → dimension."""
    columns = {t.name: {c.name for c in t.columns} for t in tables}
    found: list[tuple[str, str, str, str]] = []
    for node in manifest.get("nodes", {}).values():
        meta = node.get("test_metadata") or {}
        if node.get("resource_type") != "test" or meta.get("name") != "relationships":
            continue
        kwargs = meta.get("kwargs") or {}
        match = _REF.search(str(kwargs.get("to", "")))
        attached = node.get("attached_node") or ""
        from_table = attached.rsplit(".", 1)[-1]
        if not match or not from_table:
            continue
        to_table, to_column, from_column = match.group(1), kwargs.get("field"), kwargs.get("column_name")
        if from_table.startswith("dim_") or not to_table.startswith("dim_"):
            continue  # a star: no snowflake, no fact → fact
        if from_column in columns.get(from_table, ()) and to_column in columns.get(to_table, ()):
            found.append((from_table, from_column, to_table, to_column))
    relationships: list[Relationship] = []
    active_pairs: set[tuple[str, str]] = set()
    for from_table, from_column, to_table, to_column in sorted(set(found)):
        active = (from_table, to_table) not in active_pairs
        active_pairs.add((from_table, to_table))
        relationships.append(Relationship(from_table, from_column, to_table, to_column, active))
    return relationships


# --- writing TMDL -----------------------------------------------------------------------------------------

_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def tmdl_name(name: str) -> str:
    """A TMDL object name: bare when it is a plain identifier, else single-quoted ('' for ')."""
    return name if _PLAIN_NAME.match(name) else "'" + name.replace("'", "''") + "'"


def m_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _tag(*parts: str) -> str:
    return str(uuid.uuid5(_TAG_NAMESPACE, "/".join(parts)))


def _description(text: str | None, indent: str) -> list[str]:
    if not text:
        return []
    return [f"{indent}/// {line}".rstrip() for line in text.strip().splitlines() if line.strip()]


def table_tmdl(table: ModelTable, currency: str) -> str:
    t = "\t"
    lines = [*_description(table.description, ""), f"table {tmdl_name(table.name)}"]
    if table.is_date_table:
        lines.append(f"{t}dataCategory: Time")
    lines.append(f"{t}lineageTag: {_tag('table', table.name)}")
    for measure in table.measures:
        lines.append("")
        lines += _description(_measure_description(measure, table), t)
        lines.append(f"{t}measure {tmdl_name(measure.name)} =")
        lines.append(f"{t * 3}{measure.expression}")
        shown = currency_format(currency) if measure.format == "currency" else measure.format
        lines.append(f"{t * 2}formatString: {shown}")
        lines.append(f"{t * 2}displayFolder: KPIs")
        lines.append(f"{t * 2}lineageTag: {_tag('measure', table.name, measure.name)}")
    for column in table.columns:
        lines.append("")
        lines += _description(column.description, t)
        lines.append(f"{t}column {tmdl_name(column.name)}")
        lines.append(f"{t * 2}dataType: {column.data_type}")
        if column.hidden:
            lines.append(f"{t * 2}isHidden")
        if column.is_key:
            lines.append(f"{t * 2}isKey")
        if column.format:
            lines.append(f"{t * 2}formatString: {column.format}")
        lines.append(f"{t * 2}lineageTag: {_tag('column', table.name, column.name)}")
        lines.append(f"{t * 2}summarizeBy: {column.summarize_by}")
        lines.append(f"{t * 2}sourceColumn: {column.name}")
    lines.append("")
    lines.append(f"{t}partition {tmdl_name(table.name)} = m")
    lines.append(f"{t * 2}mode: import")
    lines.append(f"{t * 2}source =")
    lines += [f"{t * 4}{line}" for line in _partition_m(table)]
    return "\n".join(lines) + "\n"


def _measure_description(measure: Measure, table: ModelTable) -> str:
    source_table, source_column = measure.described_by
    column_text = None
    if source_table == table.name:
        column_text = next((c.description for c in table.columns if c.name == source_column), None)
    rule = f'Computed as {measure.expression} (a ratio of sums, docs/kpis.md "Ratios").'
    return f"{column_text} {rule}" if column_text else rule


def _partition_m(table: ModelTable) -> list[str]:
    types = ", ".join(f"{{{m_string(c.name)}, {c.m_type}}}" for c in table.columns)
    lines = ["let", f"    Source = {FILE_FUNCTION}({m_string(table.name)}),"]
    step = "Source"
    if table.is_date_table:
        # The unknown member has no date; a date table's key column may not be blank.
        lines.append(f"    Dated = Table.SelectRows(Source, each [{DATE_COLUMN}] <> null),")
        step = "Dated"
    lines.append(f"    Typed = Table.TransformColumnTypes({step}, {{{types}}})")
    lines += ["in", "    Typed"]
    return lines


def expressions_tmdl(parquet_folder: str) -> str:
    t = "\t"
    folder = m_string(parquet_folder)
    return "\n".join(
        [
            "/// The folder holding the Parquet exports (pwh export --format parquet), ending in a slash or backslash.",
            f"expression {PARAMETER} = {folder} meta "
            '[IsParameterQuery=true, Type="Text", IsParameterQueryRequired=true]',
            f"{t}lineageTag: {_tag('expression', PARAMETER)}",
            f"{t}queryGroup: Parameters",
            "",
            f"{t}annotation PBI_ResultType = Text",
            "",
            "/// One exported mart: <ParquetFolder><name>.parquet.",
            f"expression {FILE_FUNCTION} =",
            f"{t * 2}(name as text) as table =>",
            f"{t * 2}let",
            f'{t * 2}    Folder = if Text.EndsWith({PARAMETER}, "\\") or Text.EndsWith({PARAMETER}, "/") '
            f'then {PARAMETER} else {PARAMETER} & "\\",',
            f'{t * 2}    Source = Parquet.Document(File.Contents(Folder & name & ".parquet"))',
            f"{t * 2}in",
            f"{t * 2}    Source",
            f"{t}lineageTag: {_tag('expression', FILE_FUNCTION)}",
            f"{t}queryGroup: Functions",
            "",
            f"{t}annotation PBI_ResultType = Function",
            "",
        ]
    )


def relationships_tmdl(relationships: Iterable[Relationship]) -> str:
    t = "\t"
    lines: list[str] = []
    for r in relationships:
        lines.append(f"relationship {_tag('relationship', r.from_table, r.from_column, r.to_table, r.to_column)}")
        if not r.is_active:
            lines.append(f"{t}isActive: false")
        lines.append(f"{t}crossFilteringBehavior: oneDirection")
        lines.append(f"{t}fromColumn: {tmdl_name(r.from_table)}.{tmdl_name(r.from_column)}")
        lines.append(f"{t}toColumn: {tmdl_name(r.to_table)}.{tmdl_name(r.to_column)}")
        lines.append("")
    return "\n".join(lines)


def model_tmdl(tables: Iterable[ModelTable]) -> str:
    t = "\t"
    lines = [
        "model Model",
        f"{t}culture: en-US",
        f"{t}defaultPowerBIDataSourceVersion: powerBI_V3",
        f"{t}sourceQueryCulture: en-US",
        "",
        "queryGroup Parameters",
        "",
        f"{t}annotation PBI_QueryGroupOrder = 0",
        "",
        "queryGroup Functions",
        "",
        f"{t}annotation PBI_QueryGroupOrder = 1",
        "",
    ]
    lines += [f"ref table {tmdl_name(table.name)}" for table in tables]
    return "\n".join(lines) + "\n"


def database_tmdl() -> str:
    return f"database\n\tcompatibilityLevel: {COMPATIBILITY_LEVEL}\n"


# --- the project around it ----------------------------------------------------------------------------------


def _json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")


def write_project(
    manifest_path: Path, parquet_dir: Path, out_dir: Path, *, currency: str = "USD", parquet_folder: str | None = None
) -> PowerBIResult:
    """Write `<out_dir>/Portfolio.pbip` with its semantic model and an empty report.

    `parquet_folder` is the value the ParquetFolder parameter starts with (default: the absolute
    path of `parquet_dir`, as this machine sees it; change it in Power BI after opening).
    """
    manifest = json.loads(manifest_path.read_text())
    tables = read_tables(manifest, parquet_dir, currency)
    if not tables:
        raise FileNotFoundError(f"no exported marts in {parquet_dir}: run `pwh export --format parquet` first")
    relationships = read_relationships(manifest, tables)
    folder = parquet_folder or str(parquet_dir.resolve()) + "/"

    model_dir = out_dir / f"{PROJECT}.SemanticModel"
    definition = model_dir / "definition"
    if (definition / "tables").exists():  # tables of marts that no longer exist must not linger
        for stale in (definition / "tables").glob("*.tmdl"):
            stale.unlink()
    _text(definition / "database.tmdl", database_tmdl())
    _text(definition / "model.tmdl", model_tmdl(tables))
    _text(definition / "expressions.tmdl", expressions_tmdl(folder))
    _text(definition / "relationships.tmdl", relationships_tmdl(relationships))
    for table in tables:
        _text(definition / "tables" / f"{table.name}.tmdl", table_tmdl(table, currency))
    _json(model_dir / "definition.pbism", {"version": "4.2", "settings": {}})
    _json(model_dir / ".platform", _platform("SemanticModel", f"{PROJECT} warehouse"))

    report_dir = out_dir / f"{PROJECT}.Report"
    _json(
        report_dir / "definition.pbir",
        {"version": "4.0", "datasetReference": {"byPath": {"path": f"../{PROJECT}.SemanticModel"}}},
    )
    _json(report_dir / ".platform", _platform("Report", f"{PROJECT} report"))
    _json(report_dir / "definition" / "version.json", {"version": "2.0.0"})
    _json(
        report_dir / "definition" / "report.json",
        {"themeCollection": {}, "settings": {"useStylableVisualContainerHeader": True}},
    )
    _json(report_dir / "definition" / "pages" / "pages.json", {"pageOrder": ["overview"], "activePageName": "overview"})
    _json(
        report_dir / "definition" / "pages" / "overview" / "page.json",
        {"name": "overview", "displayName": "Overview", "displayOption": "FitToPage", "height": 720, "width": 1280},
    )
    pbip = out_dir / f"{PROJECT}.pbip"
    _json(
        pbip,
        {
            "version": "1.0",
            "artifacts": [{"report": {"path": f"{PROJECT}.Report"}}],
            "settings": {"enableAutoRecovery": True},
        },
    )
    _text(out_dir / ".gitignore", "**/.pbi/localSettings.json\n**/.pbi/cache.abf\n")
    return PowerBIResult(out_dir, pbip, len(tables), len(relationships), sum(len(t.measures) for t in tables))


def _platform(kind: str, name: str) -> dict:
    return {
        "$schema": "https://developer.microsoft.com/json-schemas/fabric/gitIntegration/platformProperties/2.0.0/schema.json",
        "metadata": {"type": kind, "displayName": name},
        "config": {"version": "2.0", "logicalId": _tag("platform", kind, name)},
    }
