"""Expectation suites (great-expectations) and the function that runs one. No Dagster imports.

    from quality import DuckDBTable, run_suite, suites
    result = run_suite("raw_servicenow_time_card", batch_files)
    result = run_suite("marts_kpi_project_scorecard", DuckDBTable(db, "marts", "kpi_project_scorecard"))

Importing this package does not import great-expectations; the first ``run_suite`` does.
"""

from quality.inputs import DuckDBTable
from quality.runner import ExpectationOutcome, SuiteResult, run_suite
from quality.suites import get_suite, raw_suite_names, suites
from quality.suites.spec import SuiteInfo

__all__ = [
    "DuckDBTable",
    "ExpectationOutcome",
    "SuiteInfo",
    "SuiteResult",
    "get_suite",
    "raw_suite_names",
    "run_suite",
    "suites",
]
