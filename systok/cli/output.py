"""Machine output of the listing commands: ``--json``.

Tables are for people; scripts and tests read ``--json``, one JSON document on stdout
with the shapes documented in docs/cli-json.md. Amounts are integers of base units
(``*_units``) next to the asset's ``scale``, never floats; moments are ISO 8601 UTC.
"""

from __future__ import annotations

import json
from typing import Any

import typer

JSON_OPTION = typer.Option(False, "--json", help="Print JSON (docs/cli-json.md), not a table.")


def print_json(document: Any) -> None:
    """One JSON document on stdout, keys in a stable order."""
    typer.echo(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False))
