"""Planning definitions: the scenario marts."""
