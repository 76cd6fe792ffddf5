"""Names vulture cannot see used: read by frameworks through reflection."""
