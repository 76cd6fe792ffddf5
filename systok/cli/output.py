"""Machine output of the listing commands: ``--json``.

Tables are for people; scripts and tests read ``--json``, one JSON document on stdout
with the shapes documented in docs/cli-json.md. Amounts are integers of base units
(``*_units``) next to the asset's ``scale``, never floats; moments are ISO 8601 UTC.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import typer
from rich.console import Console

JSON_OPTION = typer.Option(False, "--json", help="Print JSON (docs/cli-json.md), not a table.")


def print_json(document: Any) -> None:
    """One JSON document on stdout, keys in a stable order."""
    typer.echo(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False))


PIPED_WIDTH_COLUMNS = 1000
"""Width of tables when stdout is not a terminal (cron, a pipe, a file): wide enough that
no cell is cut or wrapped; a table takes only the width its content needs."""


def make_console(*, stderr: bool = False) -> Console:
    """The console of a command: the terminal's width on a terminal; when the stream is
    not a terminal and ``COLUMNS`` is not set, ``PIPED_WIDTH_COLUMNS`` with soft wrap,
    so cron mail and pipes get whole lines instead of tables cut at 80 columns."""
    stream = sys.stderr if stderr else sys.stdout
    if os.environ.get("COLUMNS") or (hasattr(stream, "isatty") and stream.isatty()):
        return Console(stderr=stderr)
    return Console(stderr=stderr, width=PIPED_WIDTH_COLUMNS, soft_wrap=True)
