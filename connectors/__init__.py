"""Source clients and the raw landing. Plain Python: no Dagster, no dbt (docs/architecture.md)."""
