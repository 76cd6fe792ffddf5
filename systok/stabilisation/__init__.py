"""Stabilisation proposals: the quarterly run records the rules that fired; an admin
approves or rejects them (ADR 0030)."""
