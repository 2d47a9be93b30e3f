"""Transform definitions."""
