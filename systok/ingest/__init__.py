"""Ingestion: every activity source into one stream of canonical events, nothing lost."""
