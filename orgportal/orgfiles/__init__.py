"""Organisation files: the YAML format, its import and its export."""
