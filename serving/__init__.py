"""Everything that reads the published marts for people (docs/architecture.md "Rooms for what comes next").

The atomic publish, the Parquet and Excel exports, the Power BI project and the static dashboard.
It imports duckdb, pyarrow, openpyxl, plotly (for its JavaScript only) and jinja; never Dagster,
the connectors or dbt's internals — the dbt manifest is read as JSON.
"""
