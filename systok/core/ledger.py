"""The ledger's vocabulary and its pure rules: what a valid transaction is, and its hash.

A *transaction* is a set of postings (account, signed amount) that sums to zero per
asset. A *hold* reserves an amount on an account until it is posted, voided or expires.
Every journal entry (a transaction or a hold step) has a *digest*: the SHA-256 of a
canonical JSON form of its content, built from account names (never database ids), so
the same entry has the same digest on SQLite, on PostgreSQL and in an audit replay.
The journal is chained in lanes: in each lane, ``hash_n = sha256(hash_{n-1} ‖ seq_n ‖
created_at_us_n ‖ digest_n)`` with 8-byte big-endian signed integers, the same formula
the PostgreSQL function computes with ``int8send``.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum

from systok.core.amount import STK, UNITS_MAX
from systok.errors import InvalidPosting, UnbalancedTransaction

GENESIS_HASH = bytes(32)
"""The ``previous hash`` of the first journal entry of every lane."""

CHAIN_LANES = 16
"""The journal is chained in this many lanes; entry ``id`` goes to lane ``id % CHAIN_LANES``.

One global chain would make its head row a lock every write waits for until commit;
lanes keep tamper evidence per entry while writes to different lanes run in parallel.
The PostgreSQL function has it rendered in (systok/ledger/sql): changing the number
needs a new version of that function and a migration."""

SCALE_MAX = 18
"""The largest asset scale (decimal digits) the ledger accepts."""

BALANCE_UNITS_MIN = -(2**63)
"""The lowest balance a ledger column holds (signed 64-bit; the highest is ``UNITS_MAX``)."""

KEY_LENGTH_MAX = 200
REFERENCE_LENGTH_MAX = 200
OWNER_LENGTH_MAX = 128


class AccountType(StrEnum):
    """Who an account belongs to and what it is for (ARCHITECTURE.md, ledger vocabulary)."""

    MEMBER = "member"
    """A member's own spendable tokens."""
    WALLET = "wallet"
    """A member's tokens paid out to their own Solana wallet: the chain holds them, the
    ledger mirrors them (ADR 0007)."""
    POOL_REWARDS = "pool:rewards"
    """Emission reserved for weekly rewards; unpaid remainders return here."""
    FUND_TREASURY = "fund:treasury"
    """The ecosystem treasury; receives marketplace shares and fees by policy."""
    FUND_STARTUP = "fund:startup"
    """The startup (projects) fund."""
    FUND_TEAM = "fund:team"
    """The team's share of emission."""
    FUND_LIQUIDITY = "fund:liquidity"
    """The liquidity share of emission."""
    FUND_VESTING = "fund:vesting"
    """A vesting fund's share of emission, locked until the quarterly run releases it
    (owner: the fund's name, ``fund:vesting:startup@STK``; ADR 0033)."""
    HOLD_VESTING = "hold:vesting"
    """Rewards frozen until their vesting period ends and they are validated."""
    HOLD_STAKE = "hold:stake"
    """Staked tokens."""
    ESCROW = "escrow"
    """Amounts held for a counterparty (marketplace, disputes)."""
    FEE = "fee"
    """Collected circulation fees."""
    BURN = "burn"
    """Tokens taken out of supply for good."""
    WORLD = "world"
    """The outside: issuance is a debit here, so its balance is minus the supply issued."""


class TransactionCode(StrEnum):
    """Why money moved; stored with every transaction."""

    EMISSION = "emission"
    REWARD = "reward"
    ADJUSTMENT = "adjustment"
    VESTING_LOCK = "vesting_lock"
    VESTING_RELEASE = "vesting_release"
    VESTING_CANCEL = "vesting_cancel"
    VESTING_TRANCHE = "vesting_tranche"
    """A quarter's tranche of a linear schedule: a fund's share or a sale purchase (ADR 0033)."""
    SLASH = "slash"
    TRANSFER = "transfer"
    FEE = "fee"
    PURCHASE = "purchase"
    STAKE = "stake"
    UNSTAKE = "unstake"
    BURN = "burn"
    BUYBACK = "buyback"
    ESCROW = "escrow"
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    CORRECTION = "correction"


class EntryKind(StrEnum):
    """The shape of a journal entry."""

    TRANSACTION = "transaction"
    HOLD_CREATE = "hold_create"
    HOLD_POST = "hold_post"
    HOLD_VOID = "hold_void"
    HOLD_EXPIRE = "hold_expire"


class PostOutcome(StrEnum):
    """What PostgreSQL's posting function answers (a refusal is returned, not raised)."""

    POSTED = "posted"
    REPLAYED = "replayed"
    CONFLICT = "conflict"
    """The key holds other content; the caller reads the stored entry to name the field."""
    INSUFFICIENT = "insufficient"
    OVERFLOW = "overflow"


class HoldStatus(StrEnum):
    """A hold is pending until exactly one of the other states ends it."""

    PENDING = "pending"
    POSTED = "posted"
    VOIDED = "voided"
    EXPIRED = "expired"


@dataclass(frozen=True, order=True)
class AccountRef:
    """An account named by its natural key: type, owner and asset.

    System accounts have an empty owner (``pool:rewards@STK``); members' accounts are
    owned by the member's platform id (``member:m042@STK``).
    """

    type: AccountType
    asset: str
    owner: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.type, AccountType):
            object.__setattr__(self, "type", AccountType(self.type))
        if len(self.owner) > OWNER_LENGTH_MAX:
            raise InvalidPosting(f"account owner is longer than {OWNER_LENGTH_MAX} characters")
        if not self.asset or not self.asset.isprintable() or not self.owner.isprintable():
            raise InvalidPosting(
                f"account {self.type.value}:{self.owner!r}@{self.asset!r}: owner and asset must "
                "be printable text without control characters (and the asset non-empty)"
            )

    @property
    def name(self) -> str:
        """Canonical text form, used in digests, logs and error messages."""
        owner = f":{self.owner}" if self.owner else ""
        return f"{self.type.value}{owner}@{self.asset}"

    @property
    def allow_negative(self) -> bool:
        """Only ``world`` may go negative: it is where issued supply comes from."""
        return self.type is AccountType.WORLD

    @classmethod
    def parse(cls, text: str) -> AccountRef:
        """Parse ``member:m042@STK`` / ``pool:rewards@STK`` / ``world@STK``."""
        body, sep, asset = text.rpartition("@")
        if not sep or not body or not asset:
            raise InvalidPosting(f"account {text!r} must look like TYPE[:OWNER]@ASSET")
        for account_type in sorted(AccountType, key=lambda t: -len(t.value)):
            if body == account_type.value:
                return cls(account_type, asset)
            if body.startswith(account_type.value + ":"):
                return cls(account_type, asset, body[len(account_type.value) + 1 :])
        raise InvalidPosting(f"account {text!r} has an unknown type")

    def __str__(self) -> str:
        return self.name


def member_account(member_id: str, asset: str = STK) -> AccountRef:
    """The spendable account of a member."""
    return AccountRef(AccountType.MEMBER, asset, member_id)


def system_account(account_type: AccountType, asset: str = STK) -> AccountRef:
    """A system account (no owner)."""
    return AccountRef(account_type, asset)


@dataclass(frozen=True)
class Posting:
    """One line of a transaction: a signed amount of base units on one account."""

    account: AccountRef
    amount_units: int


def _check_key(idempotency_key: str, reference: str) -> None:
    if not idempotency_key or len(idempotency_key) > KEY_LENGTH_MAX:
        raise InvalidPosting(f"idempotency key must have 1 to {KEY_LENGTH_MAX} characters")
    if len(reference) > REFERENCE_LENGTH_MAX:
        raise InvalidPosting(f"reference is longer than {REFERENCE_LENGTH_MAX} characters")


def _digest(document: dict[str, object]) -> bytes:
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).digest()


@dataclass(frozen=True)
class TransactionDraft:
    """A transaction as a caller asks for it, before the ledger accepts it."""

    code: TransactionCode
    idempotency_key: str
    postings: tuple[Posting, ...]
    reference: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.code, TransactionCode):
            object.__setattr__(self, "code", TransactionCode(self.code))
        object.__setattr__(self, "postings", tuple(self.postings))

    def validate(self) -> None:
        """Refuse a transaction that could never be written; pure, touches nothing.

        Raises:
            InvalidPosting: no postings, a zero or out-of-range amount, an account twice.
            UnbalancedTransaction: the postings of some asset do not sum to zero.
        """
        _check_key(self.idempotency_key, self.reference)
        if len(self.postings) < 2:
            raise InvalidPosting("a transaction needs at least two postings")
        seen: set[AccountRef] = set()
        sums: dict[str, int] = defaultdict(int)
        for posting in self.postings:
            if type(posting.amount_units) is not int:
                raise InvalidPosting(
                    f"posting to {posting.account} has amount {posting.amount_units!r}: "
                    "amounts are integers of base units"
                )
            if posting.amount_units == 0:
                raise InvalidPosting(f"posting to {posting.account} has a zero amount")
            if abs(posting.amount_units) > UNITS_MAX:
                raise InvalidPosting(f"posting to {posting.account} is out of range")
            if posting.account in seen:
                raise InvalidPosting(f"account {posting.account} appears twice")
            seen.add(posting.account)
            sums[posting.account.asset] += posting.amount_units
        unbalanced = {asset: total for asset, total in sums.items() if total != 0}
        if unbalanced:
            detail = ", ".join(f"{asset} off by {total}" for asset, total in unbalanced.items())
            raise UnbalancedTransaction(f"postings do not sum to zero: {detail}")

    def digest(self) -> bytes:
        """Content digest (no time, no ids): equal drafts have equal digests."""
        return transaction_digest(
            self.code,
            self.reference,
            self.idempotency_key,
            [(p.account.name, p.amount_units) for p in self.postings],
        )


def transaction_digest(
    code: str, reference: str, idempotency_key: str, postings: list[tuple[str, int]]
) -> bytes:
    """Digest of a plain transaction from its stored fields (shared with the audit)."""
    return _digest(
        {
            "v": 1,
            "kind": EntryKind.TRANSACTION.value,
            "code": str(code),
            "reference": reference,
            "key": idempotency_key,
            "postings": sorted([name, amount] for name, amount in postings),
        }
    )


def hold_digest(
    kind: EntryKind,
    code: str,
    reference: str,
    idempotency_key: str,
    *,
    debit: str,
    credit: str,
    amount_units: int,
    expires_at_us: int | None,
    hold_id: int | None,
) -> bytes:
    """Digest of a hold step. ``hold_id`` is None for creation (the id is not known yet)."""
    return _digest(
        {
            "v": 1,
            "kind": kind.value,
            "code": str(code),
            "reference": reference,
            "key": idempotency_key,
            "debit": debit,
            "credit": credit,
            "amount": amount_units,
            "expires_at_us": expires_at_us,
            "hold": hold_id,
        }
    )


@dataclass(frozen=True)
class HoldDraft:
    """A request to reserve ``amount_units`` on ``debit`` for a later move to ``credit``."""

    code: TransactionCode
    idempotency_key: str
    debit: AccountRef
    credit: AccountRef
    amount_units: int
    expires_at_us: int | None = None
    reference: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.code, TransactionCode):
            object.__setattr__(self, "code", TransactionCode(self.code))

    def validate(self) -> None:
        """Refuse an impossible hold before touching anything."""
        _check_key(self.idempotency_key, self.reference)
        if type(self.amount_units) is not int:
            raise InvalidPosting(
                f"hold amount {self.amount_units!r} is not an integer of base units"
            )
        if self.expires_at_us is not None and type(self.expires_at_us) is not int:
            raise InvalidPosting(f"hold expiry {self.expires_at_us!r} is not integer microseconds")
        if self.amount_units <= 0 or self.amount_units > UNITS_MAX:
            raise InvalidPosting(f"hold amount {self.amount_units} must be positive and in range")
        if self.debit == self.credit:
            raise InvalidPosting(f"hold debits and credits the same account {self.debit}")
        if self.debit.asset != self.credit.asset:
            raise InvalidPosting(
                f"hold moves {self.debit.asset} into a {self.credit.asset} account"
            )

    def digest(self) -> bytes:
        """Content digest of the creation step."""
        return hold_digest(
            EntryKind.HOLD_CREATE,
            self.code,
            self.reference,
            self.idempotency_key,
            debit=self.debit.name,
            credit=self.credit.name,
            amount_units=self.amount_units,
            expires_at_us=self.expires_at_us,
            hold_id=None,
        )


def chain_lane(transaction_id: int) -> int:
    """The lane of the hash chain a journal entry is linked into."""
    return transaction_id % CHAIN_LANES


def lanes_head(lane_hashes: list[bytes]) -> bytes:
    """One digest over every lane's head: what a published checkpoint names."""
    return hashlib.sha256(b"".join(lane_hashes)).digest()


def chain_hash(previous: bytes, seq: int, created_at_us: int, digest: bytes) -> bytes:
    """Link one journal entry to the one before it in its lane."""
    return hashlib.sha256(
        previous
        + seq.to_bytes(8, "big", signed=True)
        + created_at_us.to_bytes(8, "big", signed=True)
        + digest
    ).digest()


@dataclass
class BalanceView:
    """An account's balance: posted, held (reserved by pending holds), available."""

    account: AccountRef
    posted_units: int = 0
    held_units: int = 0

    @property
    def available_units(self) -> int:
        """What can be spent or held now."""
        return self.posted_units - self.held_units
