"""The quarterly run: snapshot at the close, redistribution (SPEC §6), fund vesting
(SPEC §4), price, health and stabilisation."""
