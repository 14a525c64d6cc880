"""Search over departments, roles and duties."""
