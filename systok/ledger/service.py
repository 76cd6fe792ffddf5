"""The ledger service: the only code that changes balances.

Each operation validates in the pure core first, then claims its idempotency key, locks
what it touches in the one lock order, checks balances, and only then writes (the
"mutation ahead" line). Either everything of an operation is written or nothing:

- on PostgreSQL a plain transaction is one call of ``systok_post_transaction`` (one
  round trip; a refusal is returned by the function, which then wrote nothing);
- everywhere else, and for hold steps (:mod:`systok.ledger.holds`), the same steps run
  from Python (:mod:`systok.ledger.steps`) inside a savepoint rolled back on refusal.

The same key with the same content returns the original entry (``replayed=True``);
the same key with other content raises ``IdempotencyConflict`` naming the field.
Nothing here commits: the caller's unit of work does.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import DBAPIError

from systok.core.ledger import (
    AccountRef,
    BalanceView,
    EntryKind,
    Posting,
    PostOutcome,
    TransactionCode,
    TransactionDraft,
)
from systok.errors import InvalidPosting
from systok.ledger import repository as repo
from systok.ledger.bulk import post_batch
from systok.ledger.holds import HoldSteps
from systok.ledger.refusals import describe_draft, raise_refusal, unknown_asset_or_same
from systok.ledger.schemas import PostedEntry, PostingPath

__all__ = ["Ledger", "PostedEntry", "PostingPath"]


class Ledger(HoldSteps):
    """Ledger operations bound to one unit of work (a SQLAlchemy session).

    Plain transactions are here; hold steps come from :class:`HoldSteps`, the shared
    checks and the asset registry from :class:`systok.ledger.steps.LedgerSteps`.
    """

    def post(self, draft: TransactionDraft) -> PostedEntry:
        """Write a balanced transaction, or return the original on an idempotent replay.

        Raises:
            InvalidPosting, UnbalancedTransaction: the draft itself is wrong.
            InsufficientFunds: a debit would take a non-``world`` account below zero.
            IdempotencyConflict: the key was used for different content.
        """
        draft.validate()
        self._check_assets([p.account for p in draft.postings])
        digest = draft.digest()
        created_at_us = self.clock()
        if self.use_function:
            return self._post_with_function(draft, digest, created_at_us)
        lines = [(p.account, p.amount_units) for p in draft.postings]
        with self.session.begin_nested():
            # The same steps, in the same order, as systok_post_transaction.
            accounts = repo.lock_existing(self.session, [ref for ref, _ in lines])
            stored = repo.find_entry(self.session, idempotency_key=draft.idempotency_key)
            if stored is not None:
                return self._replayed(stored, digest, describe_draft(draft))
            self._check_debits(lines, accounts)
            if len(accounts) < len(lines):
                accounts = self._open_and_lock(lines, created_at_us)
            transaction_id = self._claim(draft, EntryKind.TRANSACTION, digest, created_at_us)
            if transaction_id is None:  # the key was committed meanwhile
                return self._replay(draft.idempotency_key, digest, describe_draft(draft))
            # Mutation ahead: nothing below may refuse.
            ids = [(accounts[ref].id, amount) for ref, amount in lines]
            repo.insert_postings(self.session, transaction_id, ids)
            repo.add_to_balances(self.session, [(aid, amount, 0) for aid, amount in ids])
            seq = repo.seal_entry(self.session, transaction_id, created_at_us, digest)
        return PostedEntry(transaction_id, seq, replayed=False)

    def post_many(self, drafts: Sequence[TransactionDraft]) -> list[PostedEntry]:
        """Post ``drafts`` in order as :meth:`post` would, one entry each.

        On PostgreSQL a batch without replays or refusals takes set-based statements
        (:mod:`systok.ledger.bulk`, ADR 0043); anything else, and every other backend,
        posts the drafts one by one (same entries, same errors).
        """
        for draft in drafts:
            draft.validate()
            self._check_assets([p.account for p in draft.postings])
        if self.use_function and drafts:
            digests = [draft.digest() for draft in drafts]
            posted = post_batch(self.session, drafts, digests, self.clock())
            if posted is not None:
                return posted
        return [self.post(draft) for draft in drafts]

    def _post_with_function(
        self, draft: TransactionDraft, digest: bytes, created_at_us: int
    ) -> PostedEntry:
        params = repo.post_function_params(draft, digest, created_at_us)
        try:
            answer = repo.call_post_function(self.session, params)
        except DBAPIError as error:
            raise unknown_asset_or_same(error, self._assets) from None
        if answer.outcome == PostOutcome.CONFLICT:
            return self._replay(draft.idempotency_key, digest, describe_draft(draft))
        raise_refusal(
            draft, answer.outcome, answer.refused_index, answer.refused_available, self._assets
        )
        assert answer.transaction_id is not None, "a posted or replayed entry has an id"
        return PostedEntry(
            answer.transaction_id, answer.chain_seq, replayed=answer.outcome == PostOutcome.REPLAYED
        )

    def transfer(
        self,
        source: AccountRef,
        target: AccountRef,
        amount_units: int,
        *,
        code: TransactionCode,
        idempotency_key: str,
        reference: str = "",
    ) -> PostedEntry:
        """Move ``amount_units`` from ``source`` to ``target`` (a two-posting transaction)."""
        if amount_units <= 0:
            raise InvalidPosting(f"transfer amount {amount_units} must be positive")
        return self.post(
            TransactionDraft(
                code=code,
                idempotency_key=idempotency_key,
                reference=reference,
                postings=(Posting(source, -amount_units), Posting(target, amount_units)),
            )
        )

    # --- reads -------------------------------------------------------------------------

    def balance(self, ref: AccountRef) -> BalanceView:
        """An account's balance; an account never opened has a zero balance."""
        posted_held = repo.read_balance(self.session, ref)
        posted, held = posted_held if posted_held is not None else (0, 0)
        return BalanceView(ref, posted, held)

    def balances(self, asset: str | None = None) -> list[BalanceView]:
        """Every account's balance."""
        return [
            BalanceView(ref, posted, held)
            for ref, posted, held in repo.list_balances(self.session, asset)
        ]

    def issued_before(self, asset: str, before_us: int) -> int:
        """What ``world`` had issued in ``asset`` by ``before_us``: −balance(world) over
        the entries made before that instant (burns are not subtracted)."""
        return -repo.world_posted_before(self.session, asset, before_us)
