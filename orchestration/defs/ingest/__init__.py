"""Ingest definitions."""
