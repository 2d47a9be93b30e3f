"""Quality definitions."""
