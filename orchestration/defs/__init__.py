"""Dagster definitions, one folder per concern; `orchestration/definitions.py` loads them all."""
