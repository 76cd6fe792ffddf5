"""The quarterly run: snapshot at the quarter's close, then redistribution (SPEC §6)."""
