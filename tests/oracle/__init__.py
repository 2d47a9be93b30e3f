"""An independent oracle for the KPI marts: docs/kpis.md recomputed in plain Python/pandas from the
simulator's own records (the world file), never from our landing, staging or dbt models."""
