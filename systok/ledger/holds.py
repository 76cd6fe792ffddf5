"""Hold steps: reserve an amount, then post, void or expire it, each step once.

A hold lowers the debit account's *available* balance while its *posted* balance stays;
exactly one of post, void or expire ends it. Every step is a journal entry of its own
(with a digest and a link in the hash chain) and runs from Python inside a savepoint
on every backend, in the ledger's lock order: the hold row, the accounts by id, the
chain head.
"""

from __future__ import annotations

from systok.core.amount import UNITS_MAX
from systok.core.ledger import EntryKind, HoldDraft, HoldStatus, hold_digest
from systok.errors import HoldNotFound, HoldNotPending, InvalidPosting
from systok.ledger import repository as repo
from systok.ledger.refusals import describe_hold_draft, describe_hold_step, out_of_range
from systok.ledger.schemas import PostedEntry, StoredHold
from systok.ledger.steps import LedgerSteps

EXPIRE_BATCH_MAX = 1000
"""Holds expired by one :meth:`HoldSteps.expire_holds` call, at most."""

EXPIRE_KEY = "hold-expire:{hold_id}"
"""The idempotency key of a hold's expiry: one per hold, so expiring twice is a replay."""

ENDED_STATUS = {
    EntryKind.HOLD_POST: HoldStatus.POSTED,
    EntryKind.HOLD_VOID: HoldStatus.VOIDED,
    EntryKind.HOLD_EXPIRE: HoldStatus.EXPIRED,
}
"""The status each resolving step leaves a hold in."""


class HoldSteps(LedgerSteps):
    """The hold operations of :class:`systok.ledger.service.Ledger`."""

    def create_hold(self, draft: HoldDraft) -> PostedEntry:
        """Reserve an amount on ``draft.debit`` (available drops, posted stays)."""
        draft.validate()
        self._check_assets([draft.debit, draft.credit])
        digest = draft.digest()
        created_at_us = self.clock()
        lines = [(draft.debit, -draft.amount_units), (draft.credit, 0)]
        with self.session.begin_nested():
            accounts = repo.lock_existing(self.session, [draft.debit, draft.credit])
            stored = repo.find_entry(self.session, idempotency_key=draft.idempotency_key)
            if stored is not None:
                return self._replayed(stored, digest, describe_hold_draft(draft))
            self._check_debits(lines, accounts)
            held = accounts[draft.debit].held_units if draft.debit in accounts else 0
            if held + draft.amount_units > UNITS_MAX:
                raise out_of_range(draft.debit, "held amount")
            if len(accounts) < len(lines):
                accounts = self._open_and_lock(lines, created_at_us)
            transaction_id = self._claim(draft, EntryKind.HOLD_CREATE, digest, created_at_us)
            if transaction_id is None:  # the key was committed meanwhile
                return self._replay(draft.idempotency_key, digest, describe_hold_draft(draft))
            debit = accounts[draft.debit]
            # Mutation ahead: nothing below may refuse.
            hold_id = repo.insert_hold(
                self.session,
                debit_account_id=debit.id,
                credit_account_id=accounts[draft.credit].id,
                amount_units=draft.amount_units,
                expires_at_us=draft.expires_at_us,
                created_transaction_id=transaction_id,
            )
            repo.add_to_balances(self.session, [(debit.id, 0, draft.amount_units)])
            seq = repo.seal_entry(self.session, transaction_id, created_at_us, digest)
        return PostedEntry(transaction_id, seq, replayed=False, hold_id=hold_id)

    def post_hold(
        self,
        hold_id: int,
        *,
        idempotency_key: str,
        amount_units: int | None = None,
        reference: str = "",
    ) -> PostedEntry:
        """Move all or part of a pending hold to its credit account; the rest is released."""
        return self._resolve_hold(
            EntryKind.HOLD_POST, hold_id, idempotency_key, amount_units, reference
        )

    def void_hold(self, hold_id: int, *, idempotency_key: str, reference: str = "") -> PostedEntry:
        """Release a pending hold without moving anything."""
        return self._resolve_hold(EntryKind.HOLD_VOID, hold_id, idempotency_key, None, reference)

    def expire_holds(self, *, limit: int = EXPIRE_BATCH_MAX) -> list[PostedEntry]:
        """Expire pending holds whose time has passed (a deterministic key per hold)."""
        now = self.clock()
        expired = []
        for hold_id in repo.due_hold_ids(self.session, now, limit):
            key = EXPIRE_KEY.format(hold_id=hold_id)
            try:
                expired.append(self._resolve_hold(EntryKind.HOLD_EXPIRE, hold_id, key, None, ""))
            except HoldNotPending:  # posted or voided since it was found due: nothing to do
                continue
        return expired

    def hold(self, hold_id: int) -> StoredHold:
        """One hold as stored."""
        stored = repo.get_hold(self.session, hold_id)
        if stored is None:
            raise HoldNotFound(f"hold {hold_id} does not exist")
        return stored

    def _resolve_hold(
        self,
        kind: EntryKind,
        hold_id: int,
        idempotency_key: str,
        amount_units: int | None,
        reference: str,
    ) -> PostedEntry:
        created_at_us = self.clock()
        with self.session.begin_nested():
            hold = repo.lock_hold(self.session, hold_id)
            if hold is None:
                raise HoldNotFound(f"hold {hold_id} does not exist")
            amount = hold.amount_units
            if kind is EntryKind.HOLD_POST and amount_units is not None:
                amount = amount_units
            digest = hold_digest(
                kind,
                hold.code,
                reference,
                idempotency_key,
                debit=hold.debit.name,
                credit=hold.credit.name,
                amount_units=amount,
                expires_at_us=None,
                hold_id=hold_id,
            )
            requested = describe_hold_step(kind, hold_id, amount, reference)
            accounts = repo.lock_accounts(self.session, [hold.debit, hold.credit], created_at_us)
            stored = repo.find_entry(self.session, idempotency_key=idempotency_key)
            if stored is not None:
                return self._replayed(stored, digest, requested)
            self._check_resolution(kind, hold, amount, created_at_us)
            if accounts[hold.credit].posted_units + amount > UNITS_MAX:
                raise out_of_range(hold.credit)
            transaction_id = repo.claim_entry(
                self.session,
                idempotency_key=idempotency_key,
                kind=kind,
                code=hold.code,
                reference=reference,
                digest=digest,
                created_at_us=created_at_us,
                hold_id=hold_id,
            )
            if transaction_id is None:  # the key was committed meanwhile
                return self._replay(idempotency_key, digest, requested)
            debit_id, credit_id = accounts[hold.debit].id, accounts[hold.credit].id
            # Mutation ahead: nothing below may refuse.
            if kind is EntryKind.HOLD_POST:
                repo.insert_postings(
                    self.session, transaction_id, [(debit_id, -amount), (credit_id, amount)]
                )
                repo.add_to_balances(
                    self.session, [(debit_id, -amount, -hold.amount_units), (credit_id, amount, 0)]
                )
                repo.resolve_hold(self.session, hold_id, ENDED_STATUS[kind], amount, transaction_id)
            else:
                repo.add_to_balances(self.session, [(debit_id, 0, -hold.amount_units)])
                repo.resolve_hold(self.session, hold_id, ENDED_STATUS[kind], 0, transaction_id)
            seq = repo.seal_entry(self.session, transaction_id, created_at_us, digest)
        return PostedEntry(transaction_id, seq, replayed=False, hold_id=hold_id)

    @staticmethod
    def _check_resolution(kind: EntryKind, hold: StoredHold, amount: int, now_us: int) -> None:
        """Refuse a step the hold's state or expiry does not allow, or a wrong amount."""
        if hold.status is not HoldStatus.PENDING:
            raise HoldNotPending(f"hold {hold.id} is already {hold.status.value}")
        expired = hold.expires_at_us is not None and hold.expires_at_us <= now_us
        if expired and kind is EntryKind.HOLD_POST:
            raise HoldNotPending(f"hold {hold.id} expired; it can only be voided or expired")
        if kind is EntryKind.HOLD_EXPIRE and not expired:
            raise HoldNotPending(f"hold {hold.id} has not reached its expiry")
        if type(amount) is not int or not 0 < amount <= hold.amount_units:
            raise InvalidPosting(
                f"hold {hold.id}: can post 1 to {hold.amount_units} units, not {amount!r}"
            )
