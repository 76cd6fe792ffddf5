"""``systok audit``: check every ledger invariant and name each violation.

Invariants (ARCHITECTURE.md):
1. every transaction's postings sum to zero per asset;
2. no account but ``world`` has a negative available balance, and no held amount is
   negative; only plain transactions and hold posts carry postings;
3. every account's posted balance equals the sum of its postings;
4. every account's held amount equals the sum of its pending holds;
5. every hold is created by a hold_create entry, and every resolved hold by exactly one
   entry of the kind its status names (posted holds with matching postings, voided and
   expired ones with none), and no resolving entry is unrecorded by its hold;
   asset scales equal the policy's;
6. every entry's stored digest equals the digest recomputed from its stored content,
   and the hash chain is unbroken, gapless and ends at the chain head;
7. total supply per asset = −balance(world) − burned (reported, and ≥ 0).

The set-based checks run as SQL; the digest and chain replay reads entries in chain
order, a batch at a time, so its memory does not grow with the journal (holds are
loaded whole: there are few).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, func, literal, select, tuple_
from sqlalchemy.orm import Session

from systok.core.ledger import (
    CHAIN_LANES,
    GENESIS_HASH,
    AccountRef,
    AccountType,
    EntryKind,
    HoldStatus,
    chain_hash,
    chain_lane,
    hold_digest,
    lanes_head,
    transaction_digest,
)
from systok.db.kit import accounts_t, chain_links_t, holds_t, postings_t, transactions_t
from systok.ledger.repository import (
    StoredHold,
    _ref,
    asset_scales,
    iter_holds,
    lane_heads,
    named_postings,
)

VIOLATIONS_SHOWN_MAX = 50

RESOLVING_KIND = {
    HoldStatus.POSTED: EntryKind.HOLD_POST,
    HoldStatus.VOIDED: EntryKind.HOLD_VOID,
    HoldStatus.EXPIRED: EntryKind.HOLD_EXPIRE,
}
"""The kind of journal entry that ends a hold in each final status."""
CHAIN_BATCH_SIZE = 2000


@dataclass
class AuditReport:
    """What the audit found: violations (empty when all holds) and supply per asset."""

    violations: list[str] = field(default_factory=list)
    supply_units: dict[str, int] = field(default_factory=dict)
    burned_units: dict[str, int] = field(default_factory=dict)
    entries_checked: int = 0
    accounts_checked: int = 0
    chain_head: str = ""
    """sha256 over the heads of every lane (hex): names the whole journal in one value."""

    @property
    def ok(self) -> bool:
        return not self.violations


def audit_ledger(session: Session, asset_scales: Mapping[str, int] | None = None) -> AuditReport:
    """Check every invariant; never raises for a violation, returns them all.

    Run it in one snapshot (``run_transaction(engine, audit_ledger, snapshot=True)``) so
    that writers working meanwhile cannot make its statements disagree. ``asset_scales``
    (the policy's) are compared with the ledger's: a changed scale would silently
    rescale every amount.
    """
    report = AuditReport()
    _check_assets(session, report, asset_scales or {})
    _check_transactions_balance(session, report)
    _check_entry_kinds(session, report)
    holds = list(iter_holds(session))  # read once: both hold checks and the chain need them
    _check_accounts(session, report)
    _check_holds(session, report, holds)
    _check_chain(session, report, holds)
    _compute_supply(session, report)
    return report


def _check_assets(session: Session, report: AuditReport, expected: Mapping[str, int]) -> None:
    for code, scale in sorted(asset_scales(session).items()):
        if code in expected and expected[code] != scale:
            report.violations.append(
                f"asset {code}: scale {scale} in the ledger, {expected[code]} in the policy"
            )


def _check_entry_kinds(session: Session, report: AuditReport) -> None:
    """Only plain transactions and hold posts move tokens; other hold steps have none."""
    rows = session.execute(
        select(transactions_t.c.id, transactions_t.c.kind)
        .join(postings_t, postings_t.c.transaction_id == transactions_t.c.id)
        .where(
            transactions_t.c.kind.not_in([EntryKind.TRANSACTION.value, EntryKind.HOLD_POST.value])
        )
        .distinct()
        .limit(VIOLATIONS_SHOWN_MAX)
    )
    for transaction_id, kind in rows:
        report.violations.append(f"entry {transaction_id}: a {kind} entry has postings")


def _check_transactions_balance(session: Session, report: AuditReport) -> None:
    rows = session.execute(
        select(postings_t.c.transaction_id, accounts_t.c.asset, func.sum(postings_t.c.amount_units))
        .join(accounts_t, accounts_t.c.id == postings_t.c.account_id)
        .group_by(postings_t.c.transaction_id, accounts_t.c.asset)
        .having(func.sum(postings_t.c.amount_units) != 0)
        .limit(VIOLATIONS_SHOWN_MAX)
    ).all()
    for transaction_id, asset, total in rows:
        report.violations.append(
            f"transaction {transaction_id}: {asset} postings sum to {total}, not 0"
        )


def _check_accounts(session: Session, report: AuditReport) -> None:
    posted_sums = (
        select(postings_t.c.account_id, func.sum(postings_t.c.amount_units).label("total"))
        .group_by(postings_t.c.account_id)
        .subquery()
    )
    pending_sums = (
        select(holds_t.c.debit_account_id, func.sum(holds_t.c.amount_units).label("total"))
        .where(holds_t.c.status == HoldStatus.PENDING.value)
        .group_by(holds_t.c.debit_account_id)
        .subquery()
    )
    rows = session.execute(
        select(
            accounts_t.c.type,
            accounts_t.c.owner,
            accounts_t.c.asset,
            accounts_t.c.allow_negative,
            accounts_t.c.posted_units,
            accounts_t.c.held_units,
            func.coalesce(posted_sums.c.total, 0).label("posted_sum"),
            func.coalesce(pending_sums.c.total, 0).label("held_sum"),
        )
        .outerjoin(posted_sums, posted_sums.c.account_id == accounts_t.c.id)
        .outerjoin(pending_sums, pending_sums.c.debit_account_id == accounts_t.c.id)
        .order_by(accounts_t.c.id)
    )
    for row in rows:
        report.accounts_checked += 1
        ref = _ref((row.type, row.owner, row.asset))
        if row.allow_negative != (ref.type is AccountType.WORLD):
            report.violations.append(f"account {ref}: allow_negative is {row.allow_negative}")
        if row.posted_units != row.posted_sum:
            report.violations.append(
                f"account {ref}: balance {row.posted_units} ≠ sum of postings {row.posted_sum}"
            )
        if row.held_units != row.held_sum:
            report.violations.append(
                f"account {ref}: held {row.held_units} ≠ sum of pending holds {row.held_sum}"
            )
        if row.held_units < 0:
            report.violations.append(f"account {ref}: held amount {row.held_units} is negative")
        if ref.type is not AccountType.WORLD and row.posted_units - row.held_units < 0:
            report.violations.append(
                f"account {ref}: available balance {row.posted_units - row.held_units} is negative"
            )


def _check_holds(session: Session, report: AuditReport, holds: list[StoredHold]) -> None:
    posted_by_tx: dict[int, dict[AccountRef, int]] = defaultdict(dict)
    resolution_rows = session.execute(
        named_postings()
        .join(transactions_t, transactions_t.c.id == postings_t.c.transaction_id)
        .where(transactions_t.c.kind == EntryKind.HOLD_POST.value)
    )
    for row in resolution_rows:
        posted_by_tx[row.transaction_id][_ref((row.type, row.owner, row.asset))] = row.amount_units
    resolving = {
        row.id: (row.kind, row.hold_id)
        for row in session.execute(
            select(transactions_t.c.id, transactions_t.c.kind, transactions_t.c.hold_id).where(
                transactions_t.c.kind.in_([kind.value for kind in RESOLVING_KIND.values()])
            )
        )
    }
    creating = dict(
        session.execute(
            select(transactions_t.c.id, transactions_t.c.kind).join(
                holds_t, holds_t.c.created_transaction_id == transactions_t.c.id
            )
        ).all()
    )
    resolved_by: dict[int, int] = {}
    for hold in holds:
        if creating.get(hold.created_transaction_id) != EntryKind.HOLD_CREATE.value:
            report.violations.append(f"hold {hold.id}: its creating entry is not a hold_create")
        if hold.status is HoldStatus.PENDING:
            if hold.resolved_transaction_id is not None or hold.posted_units:
                report.violations.append(f"hold {hold.id}: pending but marked resolved")
            continue
        entry = resolving.get(hold.resolved_transaction_id or -1)
        if entry != (RESOLVING_KIND[hold.status].value, hold.id):
            report.violations.append(
                f"hold {hold.id}: {hold.status.value}, but entry "
                f"{hold.resolved_transaction_id} is not its {RESOLVING_KIND[hold.status].value}"
            )
            continue
        resolved_by[hold.resolved_transaction_id or -1] = hold.id
        lines = posted_by_tx.get(hold.resolved_transaction_id or -1, {})
        if hold.status is HoldStatus.POSTED:
            expected = {hold.debit: -hold.posted_units, hold.credit: hold.posted_units}
            if lines != expected:
                report.violations.append(
                    f"hold {hold.id}: posted {hold.posted_units} but its entry moved {lines}"
                )
        elif lines or hold.posted_units:
            report.violations.append(f"hold {hold.id}: {hold.status.value} but moved tokens")
    for entry_id, (kind, hold_id) in sorted(resolving.items()):
        if resolved_by.get(entry_id) != hold_id:
            report.violations.append(
                f"entry {entry_id}: a {kind} of hold {hold_id} that the hold does not record"
            )


def _check_chain(session: Session, report: AuditReport, holds: list[StoredHold]) -> None:
    holds_by_id = {hold.id: hold for hold in holds}
    holds_by_creation = {hold.created_transaction_id: hold for hold in holds}
    unsealed = session.execute(
        select(func.count())
        .select_from(transactions_t)
        .outerjoin(chain_links_t, chain_links_t.c.transaction_id == transactions_t.c.id)
        .where(chain_links_t.c.seq.is_(None))
    ).scalar_one()
    if unsealed:
        report.violations.append(f"{unsealed} journal entries are not on the hash chain")
    previous = dict.fromkeys(range(CHAIN_LANES), GENESIS_HASH)
    expected_seq = dict.fromkeys(range(CHAIN_LANES), 0)
    after = (-1, 0)
    while True:
        batch = session.execute(
            select(
                transactions_t,
                chain_links_t.c.lane,
                chain_links_t.c.seq,
                chain_links_t.c.hash.label("link_hash"),
            )
            .join(chain_links_t, chain_links_t.c.transaction_id == transactions_t.c.id)
            .where(
                tuple_(chain_links_t.c.lane, chain_links_t.c.seq)
                > tuple_(literal(after[0]), literal(after[1]))
            )
            .order_by(chain_links_t.c.lane, chain_links_t.c.seq)
            .limit(CHAIN_BATCH_SIZE)
        ).all()
        if not batch:
            break
        after = (batch[-1].lane, batch[-1].seq)
        postings = _postings_of(session, [entry.id for entry in batch])
        for entry in batch:
            report.entries_checked += 1
            lane = entry.lane
            if lane != chain_lane(entry.id) or lane not in expected_seq:
                report.violations.append(f"chain: entry {entry.id} is linked in lane {lane}")
                continue
            expected_seq[lane] += 1
            where = f"entry {entry.id} (lane {lane} seq {entry.seq})"
            if entry.seq != expected_seq[lane]:
                report.violations.append(
                    f"chain: lane {lane} expected seq {expected_seq[lane]}, found {entry.seq} "
                    f"(entry {entry.id})"
                )
                expected_seq[lane] = entry.seq
            hold = holds_by_creation.get(entry.id) or holds_by_id.get(entry.hold_id)
            digest = _recompute_digest(entry, postings.get(entry.id, []), hold)
            if digest is None:
                report.violations.append(f"entry {entry.id}: kind {entry.kind!r} is unknown")
            elif digest != entry.digest:
                report.violations.append(f"{where}: content does not match its digest")
            link = chain_hash(previous[lane], entry.seq, entry.created_at_us, entry.digest)
            if link != entry.link_hash:
                report.violations.append(f"chain: {where} hash broken")
            previous[lane] = entry.link_hash
    heads = lane_heads(session)
    for lane, seq, head_hash in heads:
        if seq != expected_seq.get(lane) or head_hash != previous.get(lane):
            report.violations.append(
                f"chain: lane {lane} head is at seq {seq}, the journal ends at seq "
                f"{expected_seq.get(lane)}"
            )
    report.chain_head = lanes_head([head_hash for _, _, head_hash in heads]).hex()


def _postings_of(session: Session, transaction_ids: list[int]) -> dict[int, list[tuple[str, int]]]:
    postings: dict[int, list[tuple[str, int]]] = defaultdict(list)
    rows = session.execute(named_postings().where(postings_t.c.transaction_id.in_(transaction_ids)))
    for row in rows:
        postings[row.transaction_id].append(
            (_ref((row.type, row.owner, row.asset)).name, row.amount_units)
        )
    return postings


def _recompute_digest(
    entry: Any, entry_postings: list[tuple[str, int]], hold: StoredHold | None
) -> bytes | None:
    if entry.kind == EntryKind.TRANSACTION.value:
        return transaction_digest(
            entry.code, entry.reference, entry.idempotency_key, entry_postings
        )
    try:
        kind = EntryKind(entry.kind)
    except ValueError:
        return None
    if hold is None:
        return b""  # a hold step without its hold cannot match any digest
    amount = {
        EntryKind.HOLD_CREATE: hold.amount_units,
        EntryKind.HOLD_POST: hold.posted_units,
    }.get(kind, hold.amount_units)
    return hold_digest(
        kind,
        entry.code,
        entry.reference,
        entry.idempotency_key,
        debit=hold.debit.name,
        credit=hold.credit.name,
        amount_units=amount,
        expires_at_us=hold.expires_at_us if kind is EntryKind.HOLD_CREATE else None,
        hold_id=None if kind is EntryKind.HOLD_CREATE else hold.id,
    )


def _compute_supply(session: Session, report: AuditReport) -> None:
    rows = session.execute(
        select(
            accounts_t.c.asset,
            func.sum(accounts_t.c.posted_units),
            func.sum(
                case(
                    (accounts_t.c.type == AccountType.WORLD.value, accounts_t.c.posted_units),
                    else_=0,
                )
            ),
            func.sum(
                case(
                    (accounts_t.c.type == AccountType.BURN.value, accounts_t.c.posted_units),
                    else_=0,
                )
            ),
        ).group_by(accounts_t.c.asset)
    )
    for asset, total, world, burned in rows:
        if total != 0:
            report.violations.append(f"asset {asset}: balances sum to {total}, not 0")
        report.supply_units[asset] = -int(world) - int(burned)
        report.burned_units[asset] = int(burned)
        if report.supply_units[asset] < 0:
            report.violations.append(f"asset {asset}: supply {report.supply_units[asset]} < 0")
