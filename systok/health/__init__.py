"""The economy's health readings for closed periods (SPEC §9, ADR 0028)."""
