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
7. total supply per asset = −balance(world) − burned (reported, and ≥ 0); what ``world``
   issued is at most the policy's ``emission.total_supply`` where it has one.

The set-based checks run as SQL (:mod:`systok.ledger.repository.audit`); the digest and
chain replay reads entries in chain order, a batch at a time, so its memory does not
grow with the journal (holds are loaded whole: there are few).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from systok.core.ledger import (
    CHAIN_LANES,
    GENESIS_HASH,
    AccountType,
    EntryKind,
    HoldStatus,
    chain_hash,
    chain_lane,
    hold_digest,
    lanes_head,
    transaction_digest,
)
from systok.ledger import repository as repo
from systok.ledger.holds import ENDED_STATUS
from systok.ledger.repository import audit as audit_repo
from systok.ledger.schemas import ChainedEntry, StoredHold

VIOLATIONS_SHOWN_MAX = 50

RESOLVING_KIND = {status: kind for kind, status in ENDED_STATUS.items()}
"""The kind of journal entry that ends a hold in each final status."""
MOVING_KINDS = (EntryKind.TRANSACTION, EntryKind.HOLD_POST)
"""The only kinds of entry that carry postings."""
CHAIN_BATCH_SIZE = 2000
NO_ENTRY = -1
"""Stands for a missing entry id in lookups (ids start at 1)."""


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


def audit_ledger(
    session: Session,
    asset_scales: Mapping[str, int] | None = None,
    issue_caps: Mapping[str, int] | None = None,
) -> AuditReport:
    """Check every invariant; never raises for a violation, returns them all.

    Run it in one snapshot (``run_transaction(engine, audit_ledger, snapshot=True)``) so
    that writers working meanwhile cannot make its statements disagree. ``asset_scales``
    (the policy's) are compared with the ledger's: a changed scale would silently
    rescale every amount. ``issue_caps`` (the policy's ``emission.total_supply``, where it
    has one) bound what ``world`` may have issued of an asset, burns not subtracted: the
    schedule mints the cap exactly and nothing else may mint (ADR 0041).
    """
    report = AuditReport()
    _check_assets(session, report, asset_scales or {})
    _check_transactions_balance(session, report)
    _check_entry_kinds(session, report)
    holds = list(repo.iter_holds(session))  # read once: the hold checks and the chain use them
    _check_accounts(session, report)
    _check_holds(session, report, holds)
    _check_chain(session, report, holds)
    _compute_supply(session, report, issue_caps or {})
    return report


def _check_assets(session: Session, report: AuditReport, expected: Mapping[str, int]) -> None:
    for code, scale in sorted(repo.asset_scales(session).items()):
        if code in expected and expected[code] != scale:
            report.violations.append(
                f"asset {code}: scale {scale} in the ledger, {expected[code]} in the policy"
            )


def _check_entry_kinds(session: Session, report: AuditReport) -> None:
    """Only plain transactions and hold posts move tokens; other hold steps have none."""
    for transaction_id, kind in audit_repo.entries_with_postings_except(
        session, MOVING_KINDS, VIOLATIONS_SHOWN_MAX
    ):
        report.violations.append(f"entry {transaction_id}: a {kind} entry has postings")


def _check_transactions_balance(session: Session, report: AuditReport) -> None:
    for transaction_id, asset, total in audit_repo.unbalanced_transactions(
        session, VIOLATIONS_SHOWN_MAX
    ):
        report.violations.append(
            f"transaction {transaction_id}: {asset} postings sum to {total}, not 0"
        )


def _check_accounts(session: Session, report: AuditReport) -> None:
    for account in audit_repo.account_totals(session):
        report.accounts_checked += 1
        ref = account.ref
        posted, held = account.posted_units, account.held_units
        if account.allow_negative != (ref.type is AccountType.WORLD):
            report.violations.append(f"account {ref}: allow_negative is {account.allow_negative}")
        if posted != account.postings_sum_units:
            report.violations.append(
                f"account {ref}: balance {posted} ≠ sum of postings {account.postings_sum_units}"
            )
        if held != account.pending_holds_sum_units:
            report.violations.append(
                f"account {ref}: held {held} ≠ sum of pending holds "
                f"{account.pending_holds_sum_units}"
            )
        if held < 0:
            report.violations.append(f"account {ref}: held amount {held} is negative")
        if ref.type is not AccountType.WORLD and posted - held < 0:
            report.violations.append(
                f"account {ref}: available balance {posted - held} is negative"
            )


def _check_holds(session: Session, report: AuditReport, holds: list[StoredHold]) -> None:
    posted_by_tx = audit_repo.postings_of_kind(session, EntryKind.HOLD_POST)
    resolving = audit_repo.entries_of_kinds(session, RESOLVING_KIND.values())
    creating = audit_repo.hold_creating_entry_kinds(session)
    resolved_by: dict[int, int] = {}
    for hold in holds:
        if creating.get(hold.created_transaction_id) != EntryKind.HOLD_CREATE.value:
            report.violations.append(f"hold {hold.id}: its creating entry is not a hold_create")
        if hold.status is HoldStatus.PENDING:
            if hold.resolved_transaction_id is not None or hold.posted_units:
                report.violations.append(f"hold {hold.id}: pending but marked resolved")
            continue
        resolved_id = hold.resolved_transaction_id or NO_ENTRY
        entry = resolving.get(resolved_id)
        if entry != (RESOLVING_KIND[hold.status].value, hold.id):
            report.violations.append(
                f"hold {hold.id}: {hold.status.value}, but entry "
                f"{hold.resolved_transaction_id} is not its {RESOLVING_KIND[hold.status].value}"
            )
            continue
        resolved_by[resolved_id] = hold.id
        lines = posted_by_tx.get(resolved_id, {})
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
    unchained = audit_repo.unchained_entry_count(session)
    if unchained:
        report.violations.append(f"{unchained} journal entries are not on the hash chain")
    previous = dict.fromkeys(range(CHAIN_LANES), GENESIS_HASH)
    expected_seq = dict.fromkeys(range(CHAIN_LANES), 0)
    after_lane, after_seq = -1, 0
    while batch := audit_repo.chained_entries_after(
        session, after_lane, after_seq, CHAIN_BATCH_SIZE
    ):
        after_lane, after_seq = batch[-1].lane, batch[-1].seq
        postings = audit_repo.named_postings_of(session, [entry.id for entry in batch])
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
            hold = holds_by_creation.get(entry.id) or holds_by_id.get(entry.hold_id or NO_ENTRY)
            digest = _recompute_digest(entry, postings.get(entry.id, []), hold)
            if digest is None:
                report.violations.append(f"entry {entry.id}: kind {entry.kind!r} is unknown")
            elif digest != entry.digest:
                report.violations.append(f"{where}: content does not match its digest")
            link = chain_hash(previous[lane], entry.seq, entry.created_at_us, entry.digest)
            if link != entry.link_hash:
                report.violations.append(f"chain: {where} hash broken")
            previous[lane] = entry.link_hash
    heads = repo.lane_heads(session)
    for lane, seq, head_hash in heads:
        if seq != expected_seq.get(lane) or head_hash != previous.get(lane):
            report.violations.append(
                f"chain: lane {lane} head is at seq {seq}, the journal ends at seq "
                f"{expected_seq.get(lane)}"
            )
    report.chain_head = lanes_head([head_hash for _, _, head_hash in heads]).hex()


def _recompute_digest(
    entry: ChainedEntry, entry_postings: list[tuple[str, int]], hold: StoredHold | None
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
    amount = hold.posted_units if kind is EntryKind.HOLD_POST else hold.amount_units
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


def _compute_supply(session: Session, report: AuditReport, caps: Mapping[str, int]) -> None:
    for supply in audit_repo.asset_supplies(session):
        asset = supply.asset
        if asset in caps and -supply.world_units > caps[asset]:
            report.violations.append(
                f"asset {asset}: {-supply.world_units} issued, more than the policy's "
                f"emission.total_supply {caps[asset]}"
            )
        if supply.balances_sum_units != 0:
            report.violations.append(
                f"asset {asset}: balances sum to {supply.balances_sum_units}, not 0"
            )
        report.supply_units[asset] = -supply.world_units - supply.burned_units
        report.burned_units[asset] = supply.burned_units
        if report.supply_units[asset] < 0:
            report.violations.append(f"asset {asset}: supply {report.supply_units[asset]} < 0")
