"""Dagster wiring and the `pwh` CLI: the thin layer over connectors, dbt and quality."""
