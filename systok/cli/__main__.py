"""``python -m systok.cli``: the same as the ``systok`` command."""

from systok.cli.main import entrypoint

entrypoint()
