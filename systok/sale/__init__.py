"""The initial sale to members at a special price, each purchase vesting (ADR 0029)."""
