"""`pwh export --format powerbi`: the PBIP and its TMDL model parse, and name only what the Parquet files hold."""

from __future__ import annotations

import json
import re
import shutil

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from serving.powerbi import MEASURES, tmdl_name
from tests.conftest import SmallWarehouse, pwh_env, run_pwh
from tests.serving.tmdl_grammar import Node, TmdlError, parse, parse_column_ref, parse_folder

KPI_MEASURES = {
    "On-time delivery rate",
    "Budget variance %",
    "Benefit realisation ratio",
    "Capacity utilisation",
    "Risk exposure",
    "CPI",
    "SPI",
    "EAC",
}
DAX_COLUMN = re.compile(r"((?:[A-Za-z_][A-Za-z0-9_]*)|'(?:[^']|'')+')\[([^\]]+)\]")


@pytest.fixture(scope="module")
def project(small_warehouse: SmallWarehouse, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`pwh export --format powerbi` run for real, on a copy of the published file."""
    home = tmp_path_factory.mktemp("powerbi_home")
    (home / "published").mkdir()
    shutil.copyfile(small_warehouse.published_db, home / "published" / "portfolio.duckdb")
    out = home / "pbip"
    result = run_pwh(["export", "--format", "powerbi", "--out", str(out)], pwh_env(home), cwd=home, timeout=600)
    assert result.returncode == 0, result.stderr
    definition = out / "Portfolio.SemanticModel" / "definition"
    parquet = home / "exports" / "parquet"
    schemas = {p.stem: pq.read_schema(p) for p in parquet.glob("*.parquet")}
    return {
        "out": out,
        "stdout": result.stdout,
        "definition": definition,
        "parquet": parquet,
        "schemas": schemas,
        "files": parse_folder(definition),
    }


def _tables(project: dict) -> dict[str, Node]:
    return {node.name: node for path, nodes in project["files"].items() if path.startswith("tables/") for node in nodes}


def test_the_project_files_are_there_and_point_at_each_other(project: dict) -> None:
    out = project["out"]
    pbip = json.loads((out / "Portfolio.pbip").read_text())
    assert pbip["artifacts"][0]["report"]["path"] == "Portfolio.Report"
    pbir = json.loads((out / "Portfolio.Report" / "definition.pbir").read_text())
    assert (out / "Portfolio.Report" / pbir["datasetReference"]["byPath"]["path"]).resolve() == (
        out / "Portfolio.SemanticModel"
    ).resolve()
    assert json.loads((out / "Portfolio.SemanticModel" / "definition.pbism").read_text())["version"].startswith("4.")
    assert {"database.tmdl", "model.tmdl", "expressions.tmdl", "relationships.tmdl"} <= set(project["files"])


def test_every_tmdl_file_parses_and_the_model_lists_every_table(project: dict) -> None:
    tables = _tables(project)
    assert set(tables) == set(project["schemas"]), "one model table per exported Parquet file"
    refs = {n.name for n in project["files"]["model.tmdl"] if n.kind == "ref"}
    assert refs == set(tables)
    (database,) = project["files"]["database.tmdl"]
    assert int(database.properties["compatibilityLevel"]) >= 1550
    expressions = {n.name: n for n in project["files"]["expressions.tmdl"]}
    folder = expressions["ParquetFolder"]
    assert "IsParameterQuery=true" in folder.expression and str(project["parquet"]) in folder.expression
    assert "Parquet.Document" in expressions["ParquetFile"].expression


def test_columns_match_the_parquet_schemas_and_carry_dbt_descriptions(project: dict) -> None:
    for name, table in _tables(project).items():
        schema = project["schemas"][name]
        columns = table.all("column")
        assert [c.name for c in columns] == schema.names, name
        assert all(c.properties["sourceColumn"] == c.name for c in columns)
        (partition,) = table.all("partition")
        assert partition.properties["mode"] == "import"
        assert f'ParquetFile("{name}")' in partition.properties["source"]
        assert table.description, f"{name} has no description"
    scorecard = {c.name: c for c in _tables(project)["kpi_project_scorecard"].all("column")}
    assert scorecard["bac_amount"].description and scorecard["bac_amount"].properties["dataType"] == "decimal"
    assert "USD" in scorecard["bac_amount"].properties["formatString"]
    assert scorecard["budget_variance_ratio"].properties["formatString"] == "0.0%"
    assert "isHidden" in scorecard["project_key"].flags and scorecard["project_key"].properties["summarizeBy"] == "none"
    assert scorecard["planned_end_date"].properties["dataType"] == "dateTime"


def test_dim_date_is_the_date_table(project: dict) -> None:
    dim_date = _tables(project)["dim_date"]
    assert dim_date.properties["dataCategory"] == "Time"
    keys = [c.name for c in dim_date.all("column") if "isKey" in c.flags]
    assert keys == ["date_day"]
    assert "<> null" in dim_date.all("partition")[0].properties["source"], "the unknown member has no date"


def test_relationships_are_a_star_of_existing_unique_keys(project: dict) -> None:
    relationships = project["files"]["relationships.tmdl"]
    schemas = project["schemas"]
    assert len(relationships) >= 20
    active_pairs: set[tuple[str, str]] = set()
    for r in relationships:
        from_table, from_column = parse_column_ref(r.properties["fromColumn"])
        to_table, to_column = parse_column_ref(r.properties["toColumn"])
        assert from_column in schemas[from_table].names, r.properties
        assert to_column in schemas[to_table].names, r.properties
        assert to_table.startswith("dim_") and not from_table.startswith("dim_"), "dimension → fact only: a star"
        assert r.properties["crossFilteringBehavior"] == "oneDirection"
        if r.properties.get("isActive", "true") == "true":
            assert (from_table, to_table) not in active_pairs, "one active path between two tables"
            active_pairs.add((from_table, to_table))
        keys = pq.read_table(project["parquet"] / f"{to_table}.parquet", columns=[to_column]).column(0).drop_null()
        assert len(keys) == len(pc.unique(keys)), f"{to_table}.{to_column} is the one side: unique"
    assert ("fct_timesheet_hours", "dim_date") in active_pairs
    assert ("kpi_project_scorecard", "dim_project") in active_pairs


def test_measures_are_ratios_of_sums_over_existing_columns(project: dict) -> None:
    schemas = project["schemas"]
    measures = {m.name: (t, m) for t, table in _tables(project).items() for m in table.all("measure")}
    assert KPI_MEASURES <= set(measures)
    for name, (_table, measure) in measures.items():
        refs = DAX_COLUMN.findall(measure.expression)
        assert refs, name
        for ref_table, column in refs:
            ref_table = ref_table.strip("'")
            assert column in schemas[ref_table].names, f"{name}: {ref_table}[{column}] is not in the Parquet file"
        assert measure.expression.count("(") == measure.expression.count(")"), name
        assert "AVERAGE" not in measure.expression.upper(), "a ratio of sums, never an average of ratios"
        assert measure.description and measure.properties["formatString"]
    assert measures["On-time delivery rate"][1].properties["formatString"] == "0.0%"
    assert "USD" in measures["Risk exposure"][1].properties["formatString"]
    assert measures["CPI"][1].expression.startswith("DIVIDE")
    counts = re.search(r"(\d+) tables, (\d+) relationships, (\d+) measures", project["stdout"])
    assert counts and int(counts.group(3)) == len(MEASURES) == len(measures)
    print(f"\nPBIP model: {counts.group(0)}")


def test_the_grammar_rejects_what_power_bi_would() -> None:
    good = (
        "table t\n\tlineageTag: x\n\n\t/// d\n"
        "\tcolumn a\n\t\tdataType: int64\n\t\tsummarizeBy: none\n\t\tsourceColumn: a\n"
    )
    assert parse(good)[0].all("column")[0].description == "d"
    for broken in (
        good.replace("\t\tdataType: int64", "    dataType: int64"),  # spaces
        good.replace("int64", "integer"),  # not a data type
        good.replace("\t/// d\n", "\t/// d\n\n"),  # description not followed by its object
        good.replace("\tcolumn a", "\tcolumn a b"),  # unquoted name with a space
        good + "\tmeasure m =\n",  # expression with no body
        good + "\t\tisKey: true\n",  # a flag written as a property
    ):
        with pytest.raises(TmdlError):
            parse(broken)
    assert tmdl_name("Budget variance %") == "'Budget variance %'" and tmdl_name("kpi_headline") == "kpi_headline"
