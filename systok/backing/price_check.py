"""A set directive price replayed (``verify quarter``, issue 13).

The stored price is checked against its own inputs and against the ledger: the STK
issued by the close (the ledger is append-only, so this never moves), each inflow the
price counted (its counted-to-date part as the book gives it now), the buyback outflows
to date, their sum (the backing) and the floored quotient (the price). An inflow
recorded for an earlier quarter *after* the price was set is not in the stored inputs
and is not named: it counts from the next price on, and a set price never changes.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from systok.backing import repository as repo
from systok.backing.service import backing_book
from systok.core.amount import STK
from systok.core.policy import Policy
from systok.core.price import directive_price_units
from systok.core.quarters import Quarter
from systok.core.times import datetime_to_us
from systok.ledger.service import Ledger


def verify_price(session: Session, policy: Policy, quarter: Quarter, *, priced: bool) -> list[str]:
    """Each difference between ``quarter``'s stored price and its replay (empty: equal).

    ``priced``: the quarterly run has passed its price stage, so a missing price is a
    difference unless no STK was issued by the close (then no price exists, ADR 0028).
    """
    stored = repo.price_of(session, quarter)
    issued = Ledger(session).issued_before(STK, datetime_to_us(quarter.end))
    book = backing_book(session, policy, quarter)
    if stored is None:
        want = directive_price_units(book.cumulative_units, issued, policy.stk_scale)
        if not priced or want is None:
            return []
        return [f"price of {quarter}: none stored, the book and the ledger give {want} units"]
    name = f"price of {quarter}"
    differences = []
    if stored.policy_hash != policy.content_hash:
        differences.append(f"{name}: set under hash {stored.policy_hash[:12]}, not the run's")
    if stored.issued_units != issued:
        differences.append(f"{name}: issued {stored.issued_units}, the ledger gives {issued}")
    counted = stored.inputs.get("inflows", {})
    now = {line.inflow.reference: line.counted_to_date_units for line in book.lines}
    for reference, units in sorted(counted.items()):
        if now.get(reference) != units:
            differences.append(
                f"{name}: inflow {reference!r} counted {units}, the book now gives "
                f"{now.get(reference)}"
            )
    outflows = stored.inputs.get("outflows_to_date_units")
    if outflows != book.outflows_to_date_units:
        differences.append(
            f"{name}: outflows to date {outflows}, the book gives {book.outflows_to_date_units}"
        )
    backing = sum(int(units) for units in counted.values()) - int(outflows or 0)
    if stored.backing_units != backing:
        differences.append(f"{name}: backing {stored.backing_units}, its inputs sum to {backing}")
    want = directive_price_units(backing, issued, policy.stk_scale)
    if stored.price_units != want:
        differences.append(f"{name}: price {stored.price_units}, the replay gives {want}")
    return differences
