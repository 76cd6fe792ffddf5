"""``systok verify quarter``: a settled quarter replayed against its rows and the ledger."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from systok.backing.price_check import verify_price
from systok.core.amount import STK
from systok.core.ledger import AccountType, TransactionCode
from systok.core.policy import Policy
from systok.core.quarters import Quarter
from systok.db.engine import run_transaction
from systok.health.schemas import QUARTER, Period
from systok.health.service import verify_readings
from systok.quarter import repository as repo
from systok.quarter.schemas import RedistributionRow, Stage
from systok.quarter.stage_vest import stored_tranches, verify_tranches
from systok.quarter.stages import plan_redistributions, stored_snapshot
from systok.quarter.verify_ledger import snapshot_differences, unclaimed_entries
from systok.stabilisation.service import verify_proposals


def verify_quarter(engine: Engine, policy: Policy, quarter: Quarter) -> list[str]:
    """Replay a quarter's redistribution from its stored snapshot; each difference named.

    Recomputes every member's tier and due units from the snapshot under ``policy``
    (whose hash must be the run's), and compares them with the stored rows; then checks
    that each stored row's ledger entry is a ``slash`` moving exactly ``moved_units``
    from the member to the policy's ``slashing.to`` account, and that nothing was moved
    beyond what was due; that the stored snapshot is what the ledger and the events
    give at the close, and every slash and tranche entry of the quarter is one a row of
    the run refers to (``verify_ledger``); that the vest stage's tranches are what the
    ledger's grants give and each was posted as stored (``stage_vest.verify_tranches``);
    that the stored price is its inputs' and the ledger's (``backing.price_check``);
    and that the
    quarter's stored health readings are what the ledger gives
    (``health.service.verify_readings``), and its stabilisation proposals are the rules
    those readings fire (``stabilisation.service.verify_proposals``). An empty list: the
    quarter replays exactly.
    """

    def check(session: Session) -> list[str]:
        run = repo.find_run(session, str(quarter))
        if run is None:
            return [f"{quarter}: no run"]
        differences: list[str] = []
        if run.policy_hash != policy.content_hash:
            differences.append(
                f"{quarter}: policy {policy.version} hash {policy.content_hash[:12]} is not "
                f"the run's {run.policy_hash[:12]}"
            )
            return differences
        if Stage(run.stage) is not Stage.DONE:
            differences.append(f"{quarter}: the run is at stage {run.stage}, not done")
        expected = {
            r.member_id: r for r in plan_redistributions(policy, stored_snapshot(session, run.id))
        }
        stored = {r.member_id: r for r in repo.run_redistributions(session, run.id)}
        if Stage(run.stage) is not Stage.DONE and not stored:
            return differences
        for member_id in sorted(set(expected) | set(stored)):
            differences.extend(_compare(member_id, expected.get(member_id), stored.get(member_id)))
        entries = repo.entry_postings(
            session, [r.transaction_id for r in stored.values() if r.transaction_id is not None]
        )
        target = AccountType(policy.slashing.to).value
        for member_id, row in sorted(stored.items()):
            differences.extend(_check_entry(member_id, row, entries, target))
        differences.extend(snapshot_differences(session, policy, quarter, run))
        claimed = {int(r.transaction_id) for r in stored.values() if r.transaction_id is not None}
        if _past(Stage(run.stage), Stage.VEST):
            differences.extend(verify_tranches(session, policy, quarter, int(run.id)))
            claimed |= {
                int(t.transaction_id)
                for t in stored_tranches(session, int(run.id))
                if t.transaction_id is not None
            }
        differences.extend(unclaimed_entries(session, quarter, claimed))
        priced = _past(Stage(run.stage), Stage.PRICE)
        differences.extend(verify_price(session, policy, quarter, priced=priced))
        differences.extend(verify_readings(session, policy, Period(QUARTER, quarter)))
        differences.extend(verify_proposals(session, policy, quarter))
        return differences

    return run_transaction(engine, check)


def _past(stage: Stage, done: Stage) -> bool:
    """Whether a run at ``stage`` has committed ``done``."""
    order = list(Stage)
    return order.index(stage) > order.index(done)


def _compare(member_id: str, want: RedistributionRow | None, got: Any) -> list[str]:
    if want is None:
        return [f"member {member_id}: redistributed but the snapshot makes nothing due"]
    if got is None:
        return [f"member {member_id}: {want.due_units} units due, nothing recorded"]
    found = []
    for field in ("from_days", "to_days", "rate_bps", "warn", "due_units"):
        stored_value = getattr(got, field)
        if field == "warn":
            stored_value = bool(stored_value)
        if stored_value != getattr(want, field):
            found.append(
                f"member {member_id}: {field} is {stored_value}, "
                f"the snapshot gives {getattr(want, field)}"
            )
    return found


def _check_entry(
    member_id: str, row: Any, entries: dict[int, dict[str, Any]], target: str
) -> list[str]:
    moved = int(row.moved_units)
    transaction_id = row.transaction_id
    if moved > int(row.due_units):
        return [f"member {member_id}: moved {moved} units, more than the {row.due_units} due"]
    if transaction_id is None:
        return [] if moved == 0 else [f"member {member_id}: moved {moved} units with no entry"]
    entry = entries.get(int(transaction_id))
    want = {f"{AccountType.MEMBER.value}:{member_id}": -moved, target: moved}
    if entry is None:
        return [f"member {member_id}: entry {transaction_id} is missing from the ledger"]
    if entry["code"] != TransactionCode.SLASH.value or entry["postings"] != want:
        return [
            f"member {member_id}: entry {transaction_id} posts {entry['code']} "
            f"{entry['postings']}, the run recorded {want} ({STK} base units)"
        ]
    return []
