"""The report stage: the week's rewards as CSV, and their Merkle root.

The CSV's columns are the policy's ``reports.weekly_csv_columns`` in the policy's order
(ADR 0020); ``CSV_COLUMNS`` says what each known name holds. A policy naming a column
this code does not know is refused when the report is written, not silently dropped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import date
from operator import attrgetter
from pathlib import Path
from typing import Any

from systok.core.amount import format_amount
from systok.core.merkle import MerkleTree, build_tree
from systok.core.policy import Policy
from systok.errors import RunError

_member_id, _points, _paid_units = (
    attrgetter("member_id"),
    attrgetter("points"),
    attrgetter("paid_units"),
)


CSV_COLUMNS: dict[str, Callable[[Sequence[Any], date, int], list[str]]] = {
    "date": lambda rewards, day, scale: [day.isoformat()] * len(rewards),
    "user_id": lambda rewards, day, scale: list(map(str, map(_member_id, rewards))),
    "points": lambda rewards, day, scale: list(map(str, map(_points, rewards))),
    "amount": lambda rewards, day, scale: [
        format_amount(units, scale) for units in map(_paid_units, rewards)
    ],
}
"""Column name → its texts for the rewards, one per reward: ``date`` is the week's
Sunday, ``points`` the final points after coefficients, ``amount`` the STK paid (after
pro rata). Built a column at a time (100 000 rewards: one comprehension per column
instead of one call per cell)."""


def report_path(folder: Path, week: str, policy_version: str) -> Path:
    """Where the report stage writes a week's CSV."""
    return folder / f"rewards-{week}-{policy_version}.csv"


def rewards_csv(rewards: Sequence[Any], day: date, policy: Policy) -> str:
    """The week's rewards as CSV with the policy's columns, one row per member by id.

    Raises:
        RunError: the policy names a column that is not in ``CSV_COLUMNS``.
    """
    columns = policy.reports.weekly_csv_columns
    unknown = [name for name in columns if name not in CSV_COLUMNS]
    if unknown:
        raise RunError(
            f"policy {policy.version}: reports.weekly_csv_columns names {unknown}; "
            f"known columns are {sorted(CSV_COLUMNS)}"
        )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    texts = [CSV_COLUMNS[name](rewards, day, policy.stk_scale) for name in columns]
    writer.writerows(zip(*texts, strict=True))
    return out.getvalue()


def rewards_tree(rewards: Sequence[Any]) -> MerkleTree:
    """The week's Merkle tree over (member, paid units) of its rewards: the one
    definition of what the root commits to, shared by the run and the statements'
    proofs."""
    entries = map(attrgetter("member_id", "paid_units"), rewards)
    return build_tree([(member_id, int(units)) for member_id, units in entries])


def rewards_root(rewards: Sequence[Any]) -> str:
    """The week's Merkle root over (member, paid units) of its rewards, by member id."""
    return rewards_tree(rewards).root_hex
