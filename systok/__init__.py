"""SysTok: the STK token economy of a learning community.

The package is layered: ``core`` is pure (rules as functions over plain data),
``ledger`` is the only writer of balances, ``db`` holds tables and migrations, and
``cli`` is the Typer front door. See ``docs/architecture.md``.
"""

__version__ = "0.1.0"
