"""Expectation suites (great-expectations) and the function that runs one. No Dagster imports."""
