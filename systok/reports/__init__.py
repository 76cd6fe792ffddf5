"""The quarterly report: what a closed quarter did, read from what is stored (ADR 0031)."""
