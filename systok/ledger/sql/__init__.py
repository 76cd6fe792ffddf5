"""The PL/pgSQL the migrations install, one whole file per version of each function.

A migration executes a file as rendered here and never edits its text: a new version of
a function is a new file (``post_transaction_v2.sql`` next to ``_v1``), so what each
revision deployed can be read in one place. The files share constants with the Python
code (lanes of the hash chain, the ``world`` account type, the 64-bit balance range,
the posting function's outcomes); ``{{NAME}}`` placeholders are filled from
:data:`CONSTANTS`, so each value has one source. ``$`` cannot be the placeholder mark:
PL/pgSQL bodies are dollar-quoted (``$fn$``).
"""

from __future__ import annotations

import re
import string
from pathlib import Path

from systok.core.amount import UNITS_MAX
from systok.core.ledger import (
    BALANCE_UNITS_MIN,
    CHAIN_LANES,
    AccountType,
    EntryKind,
    PostOutcome,
)

SQL_DIR = Path(__file__).parent

HAND_OVER_SQLSTATE = "SK001"
"""The SQLSTATE ``systok_member_transfer`` raises to roll its statement back and hand a
request to the Python path (a class of codes PostgreSQL leaves to applications)."""


def _literal(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


CONSTANTS: dict[str, str] = {
    "CHAIN_LANES": str(CHAIN_LANES),
    "BALANCE_UNITS_MIN": str(BALANCE_UNITS_MIN),
    "BALANCE_UNITS_MAX": str(UNITS_MAX),
    "WORLD": _literal(AccountType.WORLD.value),
    "KIND_TRANSACTION": _literal(EntryKind.TRANSACTION.value),
    "HAND_OVER_SQLSTATE": _literal(HAND_OVER_SQLSTATE),
    **{f"OUTCOME_{outcome.name}": _literal(outcome.value) for outcome in PostOutcome},
}
"""What each placeholder stands for, rendered as SQL (numbers and quoted literals)."""


_PLACEHOLDER = r"""
\{\{(?:
  (?P<named>[A-Z][A-Z0-9_]*)\}\} |
  (?P<escaped>(?!)) |
  (?P<braced>(?!)) |
  (?P<invalid>)
)
"""
"""``{{NAME}}``; ``escaped`` and ``braced`` never match, any other ``{{`` is ``invalid``."""


class _SqlTemplate(string.Template):
    """``{{NAME}}`` placeholders (upper case); any other ``{{`` is an error."""

    flags = re.RegexFlag(0)  # placeholders are upper case only
    # A string on purpose: Template compiles it (with re.VERBOSE) when the class is made.
    pattern = _PLACEHOLDER  # type: ignore[assignment]


def render(name: str) -> str:
    """The SQL of ``name`` (a file in this folder) with every placeholder filled.

    Raises KeyError for a placeholder without a constant and ValueError for a
    malformed one, so a typo cannot reach the database.
    """
    return _SqlTemplate((SQL_DIR / name).read_text(encoding="utf-8")).substitute(CONSTANTS)
