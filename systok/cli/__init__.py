"""The ``systok`` command line (Typer + Rich)."""
