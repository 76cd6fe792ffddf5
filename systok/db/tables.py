"""SQLAlchemy 2 tables of the ledger.

Conventions:
- amounts are ``BIGINT`` base units (the largest policy supply, 8·10⁹ STK at scale 6,
  is 8·10¹⁵ base units, far below 2⁶³);
- times in the journal are integer microseconds since the Unix epoch (``*_at_us``):
  exact, zone-free, and hashed the same way on every backend (MEASUREMENTS.md: SQLite
  date functions silently return NULL for some offset formats);
- every constraint has a name from ``NAMING_CONVENTION`` so migrations behave the same
  on SQLite and PostgreSQL;
- ``transactions`` and ``postings`` are append-only: rows are inserted, never updated
  after their unit of work commits, never deleted.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an ``INTEGER PRIMARY KEY``; PostgreSQL gets BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """Declarative base with the shared naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Asset(Base):
    """An asset and its fixed scale (decimal digits of one whole unit)."""

    __tablename__ = "assets"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    scale: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("scale >= 0 AND scale <= 18", name="scale_range"),)


class Account(Base):
    """An account and its balance, kept in the same database transaction as its postings.

    ``posted_units`` is the sum of the account's postings; ``held_units`` the sum of its
    pending holds. Only ``world`` (``allow_negative``) may have ``posted − held < 0``;
    the check constraint is the database's own guard behind the ledger's checks.
    """

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(32))
    owner: Mapped[str] = mapped_column(String(128), default="")
    asset: Mapped[str] = mapped_column(ForeignKey("assets.code"))
    allow_negative: Mapped[bool] = mapped_column(Boolean, default=False)
    posted_units: Mapped[int] = mapped_column(BigInteger, default=0)
    held_units: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("type", "owner", "asset", name="uq_accounts_natural_key"),
        CheckConstraint("held_units >= 0", name="held_not_negative"),
        CheckConstraint(
            "allow_negative OR posted_units - held_units >= 0", name="available_not_negative"
        ),
    )


class JournalTransaction(Base):
    """One journal entry: a transaction with postings, or one step of a hold.

    Immutable once inserted. ``hold_id`` names the hold of a post/void/expire step; a
    creation step is found from ``holds.created_transaction_id``.
    """

    __tablename__ = "transactions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(200), default="")
    hold_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    digest: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at_us: Mapped[int] = mapped_column(BigInteger)


class ChainLink(Base):
    """The place of a journal entry on the hash chain.

    Written last in the entry's unit of work, under the chain-head lock, so chain order
    is commit order. A separate, insert-only table keeps ``transactions`` immutable.
    """

    __tablename__ = "journal_chain"

    lane: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    transaction_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("transactions.id"), unique=True
    )
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class Posting(Base):
    """A signed amount on one account within one transaction."""

    __tablename__ = "postings"

    transaction_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("transactions.id"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("accounts.id"), primary_key=True)
    amount_units: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        CheckConstraint("amount_units <> 0", name="amount_not_zero"),
        Index("ix_postings_account", "account_id", "transaction_id"),
    )


class Hold(Base):
    """An amount reserved on ``debit_account_id`` until posted, voided or expired."""

    __tablename__ = "holds"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    debit_account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("accounts.id"))
    credit_account_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("accounts.id"))
    amount_units: Mapped[int] = mapped_column(BigInteger)
    posted_units: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(16))
    expires_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_transaction_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("transactions.id"))
    resolved_transaction_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("transactions.id"), nullable=True
    )

    __table_args__ = (
        CheckConstraint("amount_units > 0", name="amount_positive"),
        CheckConstraint(
            "posted_units >= 0 AND posted_units <= amount_units", name="posted_within_amount"
        ),
        CheckConstraint(
            "status IN ('pending', 'posted', 'voided', 'expired')", name="status_known"
        ),
        Index("ix_holds_status_expires", "status", "expires_at_us"),
    )


class ChainHead(Base):
    """One row per chain lane: the lane's last sequence number and hash."""

    __tablename__ = "chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))

    __table_args__ = (CheckConstraint("id >= 0 AND id < 16", name="lane_range"),)
