"""A deterministic synthetic community for ``systok demo``, benchmarks and tests.

The simulator uses only ``systok.core`` and the standard library: it knows the record
formats that ingestion accepts (docs/ingestion-files.md) but not the database, so it can
feed any entry point — the file importers, the HTTP batch — and a test can check its
output without one. Randomness here is for *simulation* only: every amount of money is
computed later by the real scoring from the events it produces.
"""
