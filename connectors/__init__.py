"""Source clients and the raw landing. Plain Python: no Dagster, no dbt (ARCHITECTURE.md)."""
