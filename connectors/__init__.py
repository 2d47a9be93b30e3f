"""Source clients and the raw landing. Plain Python: no Dagster, no dbt (docs/architecture.md).

jira/, servicenow/, finance/  one package per source: its client (finance: the drop-folder
                              reader) and its sync into the raw landing
engine.py     the sync engine the sources share: cursor, skip what landed, tombstones, sync log
landing.py    the raw Parquet change log; sync_log.py: how each entity's sync ended
http.py       the one HTTP policy both APIs are read with; preflight.py: can a source be read
"""
