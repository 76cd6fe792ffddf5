"""The ledger service: the only code that changes balances.

Each operation validates in the pure core first, then claims its idempotency key, locks
what it touches in the one lock order, checks balances, and only then writes (the
"mutation ahead" line). Either everything of an operation is written or nothing:

- on PostgreSQL a plain transaction is one call of ``systok_post_transaction`` (one
  round trip; a refusal raises inside the function and aborts the statement);
- everywhere else, and for hold steps, the same steps run from Python inside a
  savepoint that is rolled back on refusal.

The same key with the same content returns the original entry (``replayed=True``);
the same key with other content raises ``IdempotencyConflict`` naming the field.
Nothing here commits: the caller's unit of work does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT, TEXT
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from systok.clock import now_us
from systok.core.amount import UNITS_MAX, format_amount
from systok.core.ledger import (
    SCALE_MAX,
    AccountRef,
    BalanceView,
    EntryKind,
    HoldDraft,
    HoldStatus,
    Posting,
    TransactionCode,
    TransactionDraft,
    hold_digest,
)
from systok.db.engine import RETRY_ATTEMPTS_MAX, is_retryable, run_transaction
from systok.errors import (
    HoldNotFound,
    HoldNotPending,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidPosting,
    LedgerError,
)
from systok.ledger import repository as repo


class PostingPath(StrEnum):
    """How plain transactions reach the database."""

    AUTO = "auto"
    """The server function on PostgreSQL, Python statements elsewhere."""
    PORTABLE = "portable"
    """Python statements on every backend (the reference implementation)."""
    FUNCTION = "function"
    """PostgreSQL's ``systok_post_transaction`` (PostgreSQL only)."""


@dataclass(frozen=True)
class PostedEntry:
    """The outcome of a ledger write."""

    transaction_id: int
    chain_seq: int | None
    replayed: bool
    hold_id: int | None = None


# Asset scales per engine. Safe to cache: a scale can never change once registered, and
# an asset missing here is looked up again (and refused by a foreign key if truly unknown).
_ASSET_SCALES: WeakKeyDictionary[Engine | Connection, dict[str, int]] = WeakKeyDictionary()

_POST_FUNCTION = text(
    "SELECT transaction_id, chain_seq, outcome, refused_index, refused_available "
    "FROM systok_post_transaction(:key, :code, :reference, :digest, :created_at_us, "
    ":types, :owners, :assets, :amounts)"
).bindparams(
    bindparam("types", type_=ARRAY(TEXT)),
    bindparam("owners", type_=ARRAY(TEXT)),
    bindparam("assets", type_=ARRAY(TEXT)),
    bindparam("amounts", type_=ARRAY(BIGINT)),
)


class Ledger:
    """Ledger operations bound to one unit of work (a SQLAlchemy session)."""

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
        self._assets = _ASSET_SCALES.setdefault(session.get_bind(), {})

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

    # --- plain transactions ------------------------------------------------------------

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
                return self._replayed(stored, digest, _describe_draft(draft))
            self._check_debits(lines, accounts)
            if len(accounts) < len(lines):
                accounts = self._open_and_lock(lines, created_at_us)
            transaction_id = self._claim(draft, EntryKind.TRANSACTION, digest, created_at_us)
            if transaction_id is None:  # the key was committed meanwhile
                return self._replay(draft.idempotency_key, digest, _describe_draft(draft))
            # Mutation ahead: nothing below may refuse.
            ids = [(accounts[ref].id, amount) for ref, amount in lines]
            repo.insert_postings(self.session, transaction_id, ids)
            repo.add_to_balances(self.session, [(aid, amount, 0) for aid, amount in ids])
            seq = repo.seal_entry(self.session, transaction_id, created_at_us, digest)
        return PostedEntry(transaction_id, seq, replayed=False)

    def _check_debits(
        self, lines: list[tuple[AccountRef, int]], accounts: dict[AccountRef, repo.LockedAccount]
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
            if not -(2**63) <= account.posted_units + amount <= UNITS_MAX:
                raise InvalidPosting(f"the balance of {ref} would leave the 64-bit range")

    def _open_and_lock(
        self, lines: list[tuple[AccountRef, int]], created_at_us: int
    ) -> dict[AccountRef, repo.LockedAccount]:
        try:
            return repo.lock_accounts(self.session, [ref for ref, _ in lines], created_at_us)
        except IntegrityError:  # an asset registered by a unit of work that rolled back
            self._assets.clear()
            raise InvalidPosting(
                "a posting names an asset the ledger does not know: "
                + ", ".join(sorted({ref.asset for ref, _ in lines}))
            ) from None

    def _post_with_function(
        self, draft: TransactionDraft, digest: bytes, created_at_us: int
    ) -> PostedEntry:
        try:
            row = self.session.execute(
                _POST_FUNCTION, _function_params(draft, digest, created_at_us)
            ).one()
        except DBAPIError as error:
            raise _map_function_error(error, self._assets) from None
        if row.outcome == "conflict":
            return self._replay(draft.idempotency_key, digest, _describe_draft(draft))
        _raise_refusal(draft, row.outcome, row.refused_index, row.refused_available, self._assets)
        return PostedEntry(row.transaction_id, row.chain_seq, replayed=row.outcome == "replayed")

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
        self, stored: repo.StoredTransaction, digest: bytes, requested: dict[str, object]
    ) -> PostedEntry:
        """The original entry for a replay, or the conflict naming what differs."""
        key = stored.idempotency_key
        if stored.digest == digest:
            return PostedEntry(stored.id, stored.chain_seq, replayed=True, hold_id=stored.hold_id)
        raise _conflict(key, _describe_stored(self.session, stored), requested)

    # --- holds -------------------------------------------------------------------------

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
                return self._replayed(stored, digest, _describe_hold_draft(draft))
            self._check_debits(lines, accounts)
            held = accounts[draft.debit].held_units if draft.debit in accounts else 0
            if held + draft.amount_units > UNITS_MAX:
                raise InvalidPosting(f"the held amount of {draft.debit} would leave the range")
            if len(accounts) < len(lines):
                accounts = self._open_and_lock(lines, created_at_us)
            transaction_id = self._claim(draft, EntryKind.HOLD_CREATE, digest, created_at_us)
            if transaction_id is None:  # the key was committed meanwhile
                return self._replay(draft.idempotency_key, digest, _describe_hold_draft(draft))
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

    def expire_holds(self, *, limit: int = 1000) -> list[PostedEntry]:
        """Expire pending holds whose time has passed (a deterministic key per hold)."""
        now = self.clock()
        expired = []
        for hold_id in repo.due_hold_ids(self.session, now, limit):
            try:
                expired.append(
                    self._resolve_hold(
                        EntryKind.HOLD_EXPIRE, hold_id, f"hold-expire:{hold_id}", None, ""
                    )
                )
            except HoldNotPending:  # posted or voided since it was found due: nothing to do
                continue
        return expired

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
            if kind is EntryKind.HOLD_POST:
                amount = hold.amount_units if amount_units is None else amount_units
            else:
                amount = hold.amount_units
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
            requested: dict[str, object] = {
                "kind": kind.value,
                "hold": hold_id,
                "amount": amount,
                "reference": reference,
            }
            accounts = repo.lock_accounts(self.session, [hold.debit, hold.credit], created_at_us)
            stored = repo.find_entry(self.session, idempotency_key=idempotency_key)
            if stored is not None:
                return self._replayed(stored, digest, requested)
            if hold.status is not HoldStatus.PENDING:
                raise HoldNotPending(f"hold {hold_id} is already {hold.status.value}")
            expired = hold.expires_at_us is not None and hold.expires_at_us <= created_at_us
            if expired and kind is EntryKind.HOLD_POST:
                raise HoldNotPending(f"hold {hold_id} expired; it can only be voided or expired")
            if kind is EntryKind.HOLD_EXPIRE and not expired:
                raise HoldNotPending(f"hold {hold_id} has not reached its expiry")
            if type(amount) is not int or not 0 < amount <= hold.amount_units:
                raise InvalidPosting(
                    f"hold {hold_id}: can post 1 to {hold.amount_units} units, not {amount!r}"
                )
            if accounts[hold.credit].posted_units + amount > UNITS_MAX:
                raise InvalidPosting(f"the balance of {hold.credit} would leave the 64-bit range")
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
                repo.resolve_hold(self.session, hold_id, HoldStatus.POSTED, amount, transaction_id)
            else:
                status = HoldStatus.VOIDED if kind is EntryKind.HOLD_VOID else HoldStatus.EXPIRED
                repo.add_to_balances(self.session, [(debit_id, 0, -hold.amount_units)])
                repo.resolve_hold(self.session, hold_id, status, 0, transaction_id)
            seq = repo.seal_entry(self.session, transaction_id, created_at_us, digest)
        return PostedEntry(transaction_id, seq, replayed=False, hold_id=hold_id)

    # --- errors ------------------------------------------------------------------------

    def _insufficient(self, account: AccountRef, available: int, needed: int) -> InsufficientFunds:
        return _insufficient(account, available, needed, self._assets)

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

    def hold(self, hold_id: int) -> repo.StoredHold:
        """One hold as stored."""
        stored = repo.get_hold(self.session, hold_id)
        if stored is None:
            raise HoldNotFound(f"hold {hold_id} does not exist")
        return stored


# --- error helpers -----------------------------------------------------------------------


def post_in_own_transaction(
    engine: Engine, draft: TransactionDraft, *, clock: Callable[[], int] = now_us
) -> PostedEntry:
    """Post one transaction as a whole unit of work of its own.

    For a write that is the entire unit of work (a member's transfer request, say). On
    PostgreSQL it is one call of the posting function in autocommit mode: a single
    statement is atomic, so nothing else is needed, and it saves the BEGIN and COMMIT
    round trips and keeps the lane head locked only while the server works. Elsewhere
    it is an ordinary unit of work around ``Ledger.post``. Same checks, same results,
    same errors either way.
    """
    if engine.dialect.name != "postgresql":
        return run_transaction(engine, lambda session: Ledger(session, clock=clock).post(draft))
    draft.validate()
    scales = _ASSET_SCALES.setdefault(engine, {})
    if any(p.account.asset not in scales for p in draft.postings):
        run_transaction(
            engine,
            lambda session: [Ledger(session).asset_scale(p.account.asset) for p in draft.postings],
        )
    digest = draft.digest()
    params = _function_params(draft, digest, clock())
    arguments = tuple(params[name] for name in _FUNCTION_ARGUMENTS)
    for attempt in range(1, RETRY_ATTEMPTS_MAX + 1):
        try:
            row = _call_post_function(engine, arguments)
            break
        except DBAPIError as error:
            if attempt < RETRY_ATTEMPTS_MAX and is_retryable(error):
                continue
            raise _map_function_error(error, scales) from None
    transaction_id, chain_seq, outcome, refused_index, refused_available = row
    if outcome == "conflict":  # name the differing field from the stored entry
        return run_transaction(
            engine,
            lambda session: Ledger(session)._replay(
                draft.idempotency_key, digest, _describe_draft(draft)
            ),
        )
    _raise_refusal(draft, outcome, refused_index, refused_available, scales)
    return PostedEntry(transaction_id, chain_seq, replayed=outcome == "replayed")


_FUNCTION_ARGUMENTS = (
    "key",
    "code",
    "reference",
    "digest",
    "created_at_us",
    "types",
    "owners",
    "assets",
    "amounts",
)
_POST_FUNCTION_DRIVER_SQL = (
    "SELECT transaction_id, chain_seq, outcome, refused_index, refused_available "
    "FROM systok_post_transaction("
    "%s, %s, %s, %s, %s, %s::text[], %s::text[], %s::text[], %s::bigint[])"
)


def _call_post_function(engine: Engine, arguments: tuple[object, ...]) -> tuple[Any, ...]:
    """One autocommit call of the posting function on a pooled connection.

    Goes to the driver directly (the pool's ``raw_connection``): SQLAlchemy's execution
    layer cost about 0.13 ms of client CPU per call, 40 % of the whole client side, on
    the path every member transfer takes. What that layer did for us is done here:
    a dead connection is detected with the dialect's own test and invalidated, and
    the driver's error is wrapped as SQLAlchemy's ``DBAPIError`` for ``is_retryable``.
    """
    pooled = engine.raw_connection()
    driver: Any = pooled.driver_connection
    try:
        driver.autocommit = True
        row: tuple[Any, ...] = driver.execute(_POST_FUNCTION_DRIVER_SQL, arguments).fetchone()
    except Exception as error:
        dialect = engine.dialect
        if not isinstance(error, dialect.loaded_dbapi.Error):
            raise
        disconnected = dialect.is_disconnect(error, driver, None)
        if disconnected:
            pooled.invalidate(error)
        raise DBAPIError.instance(
            _POST_FUNCTION_DRIVER_SQL,
            arguments,
            error,
            dialect.loaded_dbapi.Error,
            connection_invalidated=disconnected,
            dialect=dialect,
        ) from error
    finally:
        # Never hand a connection back to the pool in autocommit: the next unit of
        # work would silently run without a transaction.
        if not driver.closed:
            driver.autocommit = False
        pooled.close()
    return row


def _function_params(
    draft: TransactionDraft, digest: bytes, created_at_us: int
) -> dict[str, object]:
    postings = draft.postings
    return {
        "key": draft.idempotency_key,
        "code": draft.code.value,
        "reference": draft.reference,
        "digest": digest,
        "created_at_us": created_at_us,
        "types": [p.account.type.value for p in postings],
        "owners": [p.account.owner for p in postings],
        "assets": [p.account.asset for p in postings],
        "amounts": [p.amount_units for p in postings],
    }


def _insufficient(
    account: AccountRef, available: int, needed: int, scales: dict[str, int]
) -> InsufficientFunds:
    scale = scales.get(account.asset, 0)
    return InsufficientFunds(
        f"insufficient funds on {account}: available "
        f"{format_amount(available, scale)} {account.asset}, "
        f"needed {format_amount(needed, scale)} {account.asset}"
    )


def _raise_refusal(
    draft: TransactionDraft,
    outcome: str,
    refused_index: int | None,
    refused_available: int | None,
    scales: dict[str, int],
) -> None:
    """Raise the SysTok error for a refusal the posting function returned (it wrote nothing)."""
    if outcome in ("posted", "replayed"):
        return
    assert refused_index is not None, f"outcome {outcome} names the refused posting"
    posting = draft.postings[refused_index - 1]  # the function counts from 1
    if outcome == "insufficient":
        assert refused_available is not None
        raise _insufficient(posting.account, refused_available, -posting.amount_units, scales)
    if outcome == "overflow":
        raise InvalidPosting(f"the balance of {posting.account} would leave the 64-bit range")
    raise AssertionError(f"unknown outcome {outcome!r} from systok_post_transaction")


def _map_function_error(error: DBAPIError, scales: dict[str, int]) -> Exception:
    """Turn a foreign-key failure into a clear refusal; anything else stays as it is."""
    if getattr(error.orig, "sqlstate", None) == "23503":
        scales.clear()  # an asset cached from a unit of work that rolled back
        return InvalidPosting("a posting names an asset the ledger does not know")
    return error


def _describe_draft(draft: TransactionDraft) -> dict[str, object]:
    return {
        "kind": EntryKind.TRANSACTION.value,
        "code": draft.code.value,
        "reference": draft.reference,
        "postings": {p.account.name: p.amount_units for p in draft.postings},
    }


def _describe_hold_draft(draft: HoldDraft) -> dict[str, object]:
    return {
        "kind": EntryKind.HOLD_CREATE.value,
        "code": draft.code.value,
        "reference": draft.reference,
        "debit": draft.debit.name,
        "credit": draft.credit.name,
        "amount": draft.amount_units,
        "expires_at_us": draft.expires_at_us,
    }


def _describe_stored(session: Session, stored: repo.StoredTransaction) -> dict[str, object]:
    description: dict[str, object] = {
        "kind": stored.kind,
        "code": stored.code,
        "reference": stored.reference,
    }
    if stored.kind == EntryKind.TRANSACTION.value:
        description["postings"] = {ref.name: amount for ref, amount in stored.postings}
        return description
    hold = repo.get_hold(session, stored.hold_id) if stored.hold_id is not None else None
    if hold is not None:
        description["hold"] = hold.id
        if stored.kind == EntryKind.HOLD_CREATE.value:
            description.update(
                debit=hold.debit.name,
                credit=hold.credit.name,
                amount=hold.amount_units,
                expires_at_us=hold.expires_at_us,
            )
            del description["hold"]
        elif stored.kind == EntryKind.HOLD_POST.value:
            description["amount"] = hold.posted_units
        else:
            description["amount"] = hold.amount_units
    return description


def _conflict(
    key: str, stored: dict[str, object], requested: dict[str, object]
) -> IdempotencyConflict:
    differing = [
        name
        for name in sorted(set(stored) | set(requested))
        if stored.get(name) != requested.get(name) and name in requested
    ]
    if not differing:
        differing = sorted(set(stored) ^ set(requested)) or ["content"]
    name = differing[0]
    detail = f"{name} differs (stored {stored.get(name)!r}, given {requested.get(name)!r})"
    if (
        name == "postings"
        and isinstance(stored.get(name), dict)
        and isinstance(requested.get(name), dict)
    ):
        old, new = stored[name], requested[name]
        assert isinstance(old, dict) and isinstance(new, dict)
        changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        detail = "postings differ on " + ", ".join(
            f"{k} (stored {old.get(k)}, given {new.get(k)})" for k in changed
        )
    return IdempotencyConflict(f"idempotency key {key!r} was used for different content: {detail}")
