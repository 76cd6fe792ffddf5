"""The steps every ledger write shares: asset scales, balance checks, keys and replays.

Each operation (:mod:`systok.ledger.service` for transactions, :mod:`systok.ledger.holds`
for hold steps) runs them in one order: validate in the pure core, lock what it
touches, look up its idempotency key, check balances, and only then claim the key and
write (the "mutation ahead" line).
"""

from __future__ import annotations

from collections.abc import Callable
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from systok.clock import now_us
from systok.core.amount import UNITS_MAX
from systok.core.ledger import (
    BALANCE_UNITS_MIN,
    SCALE_MAX,
    AccountRef,
    EntryKind,
    HoldDraft,
    TransactionDraft,
)
from systok.errors import InsufficientFunds, InvalidPosting, LedgerError
from systok.ledger import repository as repo
from systok.ledger.refusals import conflict, describe_stored, insufficient, out_of_range
from systok.ledger.schemas import LockedAccount, PostedEntry, PostingPath, StoredTransaction

# Asset scales per engine. Safe to cache: a scale can never change once registered, and
# an asset missing here is looked up again (and refused by a foreign key if truly unknown).
_ASSET_SCALES: WeakKeyDictionary[Engine | Connection, dict[str, int]] = WeakKeyDictionary()


def cached_asset_scales(bind: Engine | Connection) -> dict[str, int]:
    """The asset scales known for ``bind``'s database (filled as assets are looked up)."""
    return _ASSET_SCALES.setdefault(bind, {})


class LedgerSteps:
    """A ledger bound to one unit of work (a SQLAlchemy session); nothing here commits."""

    def __init__(
        self,
        session: Session,
        *,
        path: PostingPath = PostingPath.AUTO,
        clock: Callable[[], int] = now_us,
    ) -> None:
        self.session = session
        self.clock = clock
        is_pg = session.get_bind().dialect.name == "postgresql"
        if path is PostingPath.FUNCTION and not is_pg:
            raise LedgerError("the function posting path needs PostgreSQL")
        self.use_function = path is PostingPath.FUNCTION or (path is PostingPath.AUTO and is_pg)
        self._assets = cached_asset_scales(session.get_bind())

    # --- assets ------------------------------------------------------------------------

    def ensure_assets(self, scales: dict[str, int]) -> None:
        """Register assets with their scales; a changed scale is refused, never applied.

        Asset scales cannot be changed once amounts exist (TigerBeetle's rule), so a
        policy that gives a known asset another scale is an error.
        """
        known = repo.asset_scales(self.session)
        for code, scale in sorted(scales.items()):
            if not 0 <= scale <= SCALE_MAX or type(scale) is not int:
                raise InvalidPosting(f"asset {code}: scale {scale!r} must be 0 to {SCALE_MAX}")
            if code in known and known[code] != scale:
                raise InvalidPosting(
                    f"asset {code} has scale {known[code]} in the ledger; "
                    f"the policy says {scale}: scales cannot change"
                )
        # Mutation ahead: every scale was checked.
        for code, scale in sorted(scales.items()):
            if code not in known:
                repo.insert_asset(self.session, code, scale)

    def asset_scale(self, asset: str) -> int:
        """The scale of a registered asset (cached per engine: scales never change)."""
        if asset not in self._assets:
            self._assets.update(repo.asset_scales(self.session))
        if asset not in self._assets:
            raise InvalidPosting(f"unknown asset {asset!r}: register it with ensure_assets")
        return self._assets[asset]

    def _check_assets(self, refs: list[AccountRef]) -> None:
        for ref in refs:
            self.asset_scale(ref.asset)

    # --- balances ----------------------------------------------------------------------

    def _check_debits(
        self, lines: list[tuple[AccountRef, int]], accounts: dict[AccountRef, LockedAccount]
    ) -> None:
        """Refuse a debit beyond an available balance, or a balance out of range.

        Order of the checks, shared with the PostgreSQL function: first a debit from an
        account never opened (it has nothing), then the opened accounts by id.
        """
        for ref, amount in lines:
            if ref not in accounts and amount < 0 and not ref.allow_negative:
                raise self._insufficient(ref, 0, -amount)
        for ref, amount in sorted(
            ((r, a) for r, a in lines if r in accounts), key=lambda line: accounts[line[0]].id
        ):
            account = accounts[ref]
            if not account.allow_negative and account.available_units + amount < 0:
                raise self._insufficient(ref, account.available_units, -amount)
            if not BALANCE_UNITS_MIN <= account.posted_units + amount <= UNITS_MAX:
                raise out_of_range(ref)

    def _insufficient(self, account: AccountRef, available: int, needed: int) -> InsufficientFunds:
        return insufficient(account, available, needed, self._assets)

    def _open_and_lock(
        self, lines: list[tuple[AccountRef, int]], created_at_us: int
    ) -> dict[AccountRef, LockedAccount]:
        try:
            return repo.lock_accounts(self.session, [ref for ref, _ in lines], created_at_us)
        except IntegrityError:  # an asset registered by a unit of work that rolled back
            self._assets.clear()
            raise InvalidPosting(
                "a posting names an asset the ledger does not know: "
                + ", ".join(sorted({ref.asset for ref, _ in lines}))
            ) from None

    # --- keys and replays --------------------------------------------------------------

    def _claim(
        self,
        draft: TransactionDraft | HoldDraft,
        kind: EntryKind,
        digest: bytes,
        created_at_us: int,
    ) -> int | None:
        return repo.claim_entry(
            self.session,
            idempotency_key=draft.idempotency_key,
            kind=kind,
            code=draft.code.value,
            reference=draft.reference,
            digest=digest,
            created_at_us=created_at_us,
        )

    def _replay(self, key: str, digest: bytes, requested: dict[str, object]) -> PostedEntry:
        stored = repo.find_entry(self.session, idempotency_key=key)
        assert stored is not None, "a claimed key has a row"
        return self._replayed(stored, digest, requested)

    def _replayed(
        self, stored: StoredTransaction, digest: bytes, requested: dict[str, object]
    ) -> PostedEntry:
        """The original entry for a replay, or the conflict naming what differs."""
        if stored.digest == digest:
            return PostedEntry(stored.id, stored.chain_seq, replayed=True, hold_id=stored.hold_id)
        hold = None
        if stored.kind != EntryKind.TRANSACTION.value and stored.hold_id is not None:
            hold = repo.get_hold(self.session, stored.hold_id)
        raise conflict(stored.idempotency_key, describe_stored(stored, hold), requested)
