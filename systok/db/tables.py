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
    Text,
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
        Index("ix_holds_credit_status", "credit_account_id", "status"),  # a member's vesting
    )


class ChainHead(Base):
    """One row per chain lane: the lane's last sequence number and hash."""

    __tablename__ = "chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))

    __table_args__ = (CheckConstraint("id >= 0 AND id < 16", name="lane_range"),)


# --- ingestion: members, identity, profiles, events, quarantine ----------------------
#
# Days are integer day numbers since 1970-01-01 (UTC), the same on every backend; the
# per-day caps of the weekly run group by them (MEASUREMENTS.md: SQLite's date()
# returns NULL for some offset formats, and session time zones move day boundaries).


class Member(Base):
    """A person known to the learning platform, by its platform id."""

    __tablename__ = "members"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    created_at_us: Mapped[int] = mapped_column(BigInteger)


class MemberAlias(Base):
    """Another system's name for a member (PostHog distinct_id, Discourse username, …)."""

    __tablename__ = "member_aliases"

    source: Mapped[str] = mapped_column(String(32), primary_key=True)
    alias: Mapped[str] = mapped_column(String(200), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(128), ForeignKey("members.id"))

    __table_args__ = (Index("ix_member_aliases_member", "member_id"),)


class MemberQualification(Base):
    """From ``valid_from_day`` on (until the next row), the member's qualification level."""

    __tablename__ = "member_qualifications"

    member_id: Mapped[str] = mapped_column(String(128), ForeignKey("members.id"), primary_key=True)
    valid_from_day: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    level: Mapped[int] = mapped_column(Integer)

    __table_args__ = (CheckConstraint("level >= 1", name="level_positive"),)


class MemberMembership(Base):
    """A paid membership period: days ``[starts_day, ends_day)``; open when ends_day is NULL."""

    __tablename__ = "member_memberships"

    member_id: Mapped[str] = mapped_column(String(128), ForeignKey("members.id"), primary_key=True)
    starts_day: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    ends_day: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (
        CheckConstraint("ends_day IS NULL OR ends_day > starts_day", name="period_not_empty"),
    )


class Event(Base):
    """A canonical activity event, stored once per (source, source event id).

    ``member_id`` is NULL while the actor is known only by an alias that is not linked
    yet (``actor_source``/``actor_alias``); linking the alias attributes the event.
    The same holds for the counterpart of "received" types (the giver).
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(32))
    source_event_id: Mapped[str] = mapped_column(String(200))
    event_type: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    actor_source: Mapped[str | None] = mapped_column(String(32), nullable=True)
    actor_alias: Mapped[str | None] = mapped_column(String(200), nullable=True)
    counterpart_member_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    counterpart_source: Mapped[str | None] = mapped_column(String(32), nullable=True)
    counterpart_alias: Mapped[str | None] = mapped_column(String(200), nullable=True)
    occurred_at_us: Mapped[int] = mapped_column(BigInteger)
    occurred_day: Mapped[int] = mapped_column(Integer)
    received_at_us: Mapped[int] = mapped_column(BigInteger)
    retracted_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    payload: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        UniqueConstraint("source", "source_event_id", name="uq_events_source_event"),
        Index("ix_events_member_day_type", "member_id", "occurred_day", "event_type"),
        Index("ix_events_actor_alias", "actor_source", "actor_alias"),
        Index("ix_events_counterpart_alias", "counterpart_source", "counterpart_alias"),
        Index("ix_events_received", "received_at_us"),
    )


class QuarantinedEvent(Base):
    """An input that could not become an event, kept with the precise reason."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(32))
    source_event_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    field: Mapped[str | None] = mapped_column(String(64), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text)
    live: Mapped[bool] = mapped_column(Boolean)
    received_at_us: Mapped[int] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="open")
    event_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    dismissed_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """When an operator dismissed the row (status ``dismissed``: kept, never retried)."""
    dismissed_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        CheckConstraint(
            "status IN ('open', 'accepted', 'duplicate', 'conflict', 'dismissed')",
            name="status_known",
        ),
        Index("ix_quarantine_status", "status", "id"),
    )


class IngestBatch(Base):
    """What one ingestion call received and what became of it (received = the rest's sum)."""

    __tablename__ = "ingest_batches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    source: Mapped[str] = mapped_column(String(32))
    received: Mapped[int] = mapped_column(Integer)
    accepted: Mapped[int] = mapped_column(Integer)
    duplicates: Mapped[int] = mapped_column(Integer)
    conflicts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Records whose (source, id) names a stored event with other content (kept in the
    quarantine with status ``conflict``)."""
    quarantined: Mapped[int] = mapped_column(Integer)
    started_at_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        CheckConstraint(
            "received = accepted + duplicates + conflicts + quarantined", name="nothing_lost"
        ),
        Index("ix_ingest_batches_started", "started_at_us"),  # /metrics: recent batches
    )


class IngestCursor(Base):
    """Where a pull source (PostHog, Discourse REST) resumes after a stop or a crash."""

    __tablename__ = "ingest_cursors"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[str] = mapped_column(Text)
    updated_at_us: Mapped[int] = mapped_column(BigInteger)


# --- API keys ------------------------------------------------------------------------


class ApiKey(Base):
    """A key a client sends to the HTTP API; only its SHA-256 is stored, never the key.

    A key reads ``stk_<prefix>_<secret>``: the prefix finds the row with an index
    lookup, the hash of the whole key proves it. The secret has 256 random bits, so a
    fast hash is enough (no password stretching). ``scopes`` is space-separated, as in
    OAuth. A revoked key keeps its row (and its name) so audits can still name it.
    """

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64))
    key_prefix: Mapped[str] = mapped_column(String(16))
    key_sha256: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(400))
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    revoked_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        UniqueConstraint("name", name="uq_api_keys_name"),
        UniqueConstraint("key_prefix", name="uq_api_keys_key_prefix"),
    )


class EventDayCount(Base):
    """How many events of a type a member has on a UTC day: the weekly run's input.

    Kept in the same unit of work as the events themselves (insert, attribution of an
    alias, retraction), as deltas, so concurrent writers add up instead of overwriting.
    Only events that may count are counted: attributed, not retracted, and not a
    self-interaction (``systok.ingest.repository.day_counts.counted_key``). The tests
    recompute the table from the raw events (``tests/ingest/counters.py``); the two must
    always agree.
    """

    __tablename__ = "event_day_counts"

    member_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("count >= 0", name="count_not_negative"),
        Index("ix_event_day_counts_day", "day"),
    )


# --- the weekly run -------------------------------------------------------------------


class AccrualRun(Base):
    """One weekly run, unique by (week, policy version); ``stage`` is its checkpoint.

    Stages advance collect → score → report → post → payout → confirm → notify → done;
    each stage's writes and the new stage commit in one unit of work, so a crash
    resumes at the first stage not committed.
    """

    __tablename__ = "accrual_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    week: Mapped[str] = mapped_column(String(8))
    policy_version: Mapped[str] = mapped_column(String(64))
    policy_hash: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(16))
    started_at_us: Mapped[int] = mapped_column(BigInteger)
    updated_at_us: Mapped[int] = mapped_column(BigInteger)
    collected_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    emission_units: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    budget_units: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    rewards_units: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    prorata: Mapped[str | None] = mapped_column(String(64), nullable=True)
    merkle_root: Mapped[str | None] = mapped_column(String(64), nullable=True)
    absorbed_to_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """Events received (or retracted) up to this time are reflected in what this week
    paid: its own collect first, then every later run's adjustment of it."""
    emission_factor_bps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The emission factor the score stage applied (10 000 = the policy's emission; less
    under an approved stabilisation override, ADR 0034); None before migration 0023."""

    __table_args__ = (
        UniqueConstraint("week", "policy_version", name="uq_accrual_runs_week_policy"),
    )


class AccrualRunStage(Base):
    """When a stage of a weekly run finished and how long it took (for ``/metrics``).

    Written in the unit of work that commits the stage, so a stage that rolled back
    leaves no row. ``duration_us`` is measured with a monotonic clock from the start of
    the stage's attempt (the confirm stage includes sending and confirming payouts);
    ``finished_at_us`` comes from the run's clock.
    """

    __tablename__ = "accrual_run_stages"

    run_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("accrual_runs.id"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(16), primary_key=True)
    finished_at_us: Mapped[int] = mapped_column(BigInteger)
    duration_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("duration_us >= 0", name="duration_not_negative"),)


class AccrualCount(Base):
    """The daily counters of the run's week as collected, for rank_ladder runs.

    A rank_ladder week is scored day by day against the rank's daily cap, so its
    collect keeps every counter. weighted_daily_caps runs keep ``AccrualMemberSum``
    instead (ADR 0009).
    """

    __tablename__ = "accrual_counts"

    run_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("accrual_runs.id"), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class AccrualMemberSum(Base):
    """What a weighted_daily_caps run collected of one member: the week's two sums.

    ``base_points = Σ weight × min(count, limit_daily)`` and ``counted_events = Σ
    min(count, limit_daily)`` over the types with a weight (payment and levels not yet
    applied), plus ``vested_events``, the events of types whose reward vests. Computed
    set-based from ``event_day_counts`` in one statement; a few bytes a member where
    the counters themselves are ~35 rows (ADR 0009). ``verify`` recomputes them from
    the raw events. No foreign key to the run: the rows are written in bulk by the
    run's collect, under the run row's lock, and a per-row key check cost more than
    the COPY itself.
    """

    __tablename__ = "accrual_member_sums"

    run_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    member_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    base_points: Mapped[int] = mapped_column(BigInteger)
    counted_events: Mapped[int] = mapped_column(BigInteger)
    vested_events: Mapped[int] = mapped_column(BigInteger)


class AccrualReward(Base):
    """A member's reward in a run: points, units before and after pro-rata, the state.

    The breakdown is not stored: ``systok.accrual.explain`` renders it by re-scoring
    the member with the reference scorer from what the run collected (ADR 0009).
    """

    __tablename__ = "accrual_rewards"

    run_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("accrual_runs.id"), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    points: Mapped[str] = mapped_column(String(80))
    units: Mapped[int] = mapped_column(BigInteger)
    paid_units: Mapped[int] = mapped_column(BigInteger)
    streak_weeks: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rank_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rank_level: Mapped[int | None] = mapped_column(Integer, nullable=True)
    scored_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    """``uniform`` (the fast path, from the collected sums) or ``reference`` (day by
    day); None for runs settled before the column existed (ADR 0020)."""

    __table_args__ = (Index("ix_accrual_rewards_member", "member_id", "run_id"),)  # member API


class AccrualAdjustment(Base):
    """A correction of an earlier week's reward, paid by a later run (late events)."""

    __tablename__ = "accrual_adjustments"

    paying_run_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("accrual_runs.id"), primary_key=True
    )
    week: Mapped[str] = mapped_column(String(8), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    delta_units: Mapped[int] = mapped_column(BigInteger)
    points_after: Mapped[str] = mapped_column(String(80))
    units_after: Mapped[int] = mapped_column(BigInteger)


class VestingGrant(Base):
    """A frozen part of a weekly reward (peer review, projects, …) held until validated.

    The amount sits in a ledger hold (pool → member) from the post stage on;
    ``systok vesting release`` posts it to the member after ``unlock_at_us``, or voids
    it (back to the pool) when the reward was flagged.
    """

    __tablename__ = "vesting_grants"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("accrual_runs.id"))
    member_id: Mapped[str] = mapped_column(String(128))
    event_type: Mapped[str] = mapped_column(String(64))
    units: Mapped[int] = mapped_column(BigInteger)
    earned_at_us: Mapped[int] = mapped_column(BigInteger)
    unlock_at_us: Mapped[int] = mapped_column(BigInteger)
    hold_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    flagged_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    resolved_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        UniqueConstraint("run_id", "member_id", "event_type", name="uq_vesting_grants_reward"),
        CheckConstraint("units > 0", name="units_positive"),
        CheckConstraint("status IN ('held', 'released', 'cancelled')", name="status_known"),
        Index("ix_vesting_grants_due", "status", "unlock_at_us"),
    )


# --- payouts on Solana (ADR 0007) --------------------------------------------------------


class WalletChallenge(Base):
    """A nonce issued to a member to prove they hold a Solana address's key.

    The member signs ``message`` (which names the nonce, the member and the address)
    with the wallet; a challenge links once (``used_at_us``) and not after it expires.
    """

    __tablename__ = "wallet_challenges"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(128), ForeignKey("members.id"))
    address: Mapped[str] = mapped_column(String(44))
    message: Mapped[str] = mapped_column(Text)
    issued_at_us: Mapped[int] = mapped_column(BigInteger)
    expires_at_us: Mapped[int] = mapped_column(BigInteger)
    used_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Wallet(Base):
    """A member's linked Solana address, with the proof it was linked by."""

    __tablename__ = "wallets"

    member_id: Mapped[str] = mapped_column(String(128), ForeignKey("members.id"), primary_key=True)
    address: Mapped[str] = mapped_column(String(44))
    nonce: Mapped[str] = mapped_column(String(64), ForeignKey("wallet_challenges.nonce"))
    signature: Mapped[str] = mapped_column(String(128))
    linked_at_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("address", name="uq_wallets_address"),)


class PayoutBatch(Base):
    """One transaction's worth of payouts: planned (with its members) before anything is sent.

    ``plan_key`` makes planning idempotent (``run:<run id>:<n>``, ``withdrawal:<member>:<n>``).
    A batch ends ``confirmed`` (its transaction landed and succeeded) or ``failed`` (it
    landed and failed, or was refused before it could land); either way its ledger holds
    are posted or voided in the same unit of work.
    """

    __tablename__ = "payout_batches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    plan_key: Mapped[str] = mapped_column(String(200))
    run_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("accrual_runs.id"), nullable=True
    )
    purpose: Mapped[str] = mapped_column(String(16))
    memo: Mapped[str] = mapped_column(String(200))
    mint: Mapped[str] = mapped_column(String(44))
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    members: Mapped[int] = mapped_column(Integer)
    amount_units: Mapped[int] = mapped_column(BigInteger)
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    updated_at_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("plan_key", name="uq_payout_batches_plan_key"),
        CheckConstraint("status IN ('planned', 'confirmed', 'failed')", name="status_known"),
        CheckConstraint("purpose IN ('run', 'withdrawal')", name="purpose_known"),
        Index("ix_payout_batches_status", "status"),
        Index("ix_payout_batches_run", "run_id"),
    )


class PayoutItem(Base):
    """A member's transfer in a batch: the address, the amount, and the ledger hold behind it.

    A member is paid at most once per run (``uq_payout_items_run_member``).
    """

    __tablename__ = "payout_items"

    batch_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("payout_batches.id"), primary_key=True
    )
    member_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    run_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    address: Mapped[str] = mapped_column(String(44))
    amount_units: Mapped[int] = mapped_column(BigInteger)
    create_account: Mapped[bool] = mapped_column(Boolean)
    hold_id: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("run_id", "member_id", name="uq_payout_items_run_member"),
        CheckConstraint("amount_units > 0", name="amount_positive"),
        Index("ix_payout_items_member", "member_id"),
    )


class PayoutAttempt(Base):
    """One signed transaction of a batch, saved before it is sent.

    ``sends`` is raised before each send, so a refusal can be told apart from a send
    whose answer was lost. A new attempt (a fresh blockhash, a new signature) is made
    only when the previous one is ``expired``: the chain's block height passed its
    ``last_valid_block_height`` and its signature was not found.
    """

    __tablename__ = "payout_attempts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("payout_batches.id"))
    signature: Mapped[str] = mapped_column(String(88))
    blockhash: Mapped[str] = mapped_column(String(44))
    last_valid_block_height: Mapped[int] = mapped_column(BigInteger)
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))
    sends: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    updated_at_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("signature", name="uq_payout_attempts_signature"),
        CheckConstraint(
            "status IN ('pending', 'landed', 'failed', 'expired', 'refused')",
            name="status_known",
        ),
        Index("ix_payout_attempts_batch", "batch_id"),
    )


class Reconciliation(Base):
    """The summary of one ``payout reconcile``: when, what was checked, how many differences.

    Kept so ``/metrics`` can show the last reconciliation's differences after a restart
    (the differences themselves are printed by the command; their count by kind is here).
    """

    __tablename__ = "reconciliations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    finished_at_us: Mapped[int] = mapped_column(BigInteger)
    accounts_checked: Mapped[int] = mapped_column(Integer)
    transactions_checked: Mapped[int] = mapped_column(Integer)
    missing: Mapped[int] = mapped_column(Integer)
    extra: Mapped[int] = mapped_column(Integer)
    wrong_amount: Mapped[int] = mapped_column(Integer)


# --- the member API: frozen accounts and marketplace entitlements ---------------------


class MemberFreeze(Base):
    """A member whose tokens may not move (fraud, a dispute): no transfers, no purchases.

    Freezing stops the member sending, receiving and buying; balances stay readable.
    ``systok members freeze`` adds the row, ``unfreeze`` deletes it.
    """

    __tablename__ = "member_freezes"

    member_id: Mapped[str] = mapped_column(String(128), ForeignKey("members.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(200))
    frozen_at_us: Mapped[int] = mapped_column(BigInteger)


class Entitlement(Base):
    """A marketplace service activated for a member for ``[starts_at_us, ends_at_us)``.

    Written in the same unit of work as the purchase's ledger transaction; unique by
    the buyer's ``Idempotency-Key`` so a retried purchase finds its entitlement instead
    of buying twice. A purchase while the service is active extends it: the new period
    starts where the last one ends.
    """

    __tablename__ = "entitlements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    member_id: Mapped[str] = mapped_column(String(128), ForeignKey("members.id"))
    service_id: Mapped[str] = mapped_column(String(64))
    request_key: Mapped[str] = mapped_column(String(128))
    policy_version: Mapped[str] = mapped_column(String(64))
    price_units: Mapped[int] = mapped_column(BigInteger)
    transaction_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("transactions.id"), nullable=True
    )
    starts_at_us: Mapped[int] = mapped_column(BigInteger)
    ends_at_us: Mapped[int] = mapped_column(BigInteger)
    created_at_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("member_id", "request_key", name="uq_entitlements_request"),
        CheckConstraint("ends_at_us > starts_at_us", name="period_not_empty"),
        CheckConstraint("price_units >= 0", name="price_not_negative"),
        Index("ix_entitlements_member_service", "member_id", "service_id", "ends_at_us"),
    )


# --- the quarterly run ----------------------------------------------------------------


class QuarterRun(Base):
    """One quarterly run, unique by quarter; ``stage`` is its checkpoint.

    Stages advance snapshot → redistribute → done (``systok.quarter.schemas.Stage``);
    each stage's writes and the new stage commit in one unit of work, so a crash
    resumes at the first stage not committed. The policy is the one in force for the
    quarter's last week; its hash is kept so a verification replays the same rules.
    """

    __tablename__ = "quarter_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    quarter: Mapped[str] = mapped_column(String(7))
    policy_version: Mapped[str] = mapped_column(String(64))
    policy_hash: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(16))
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    updated_at_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (UniqueConstraint("quarter", name="uq_quarter_runs_quarter"),)


class QuarterRunStage(Base):
    """When a stage of a quarterly run finished and how long it took.

    Written in the unit of work that commits the stage, so a stage that rolled back
    leaves no row.
    """

    __tablename__ = "quarter_run_stages"

    run_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("quarter_runs.id"), primary_key=True)
    stage: Mapped[str] = mapped_column(String(16), primary_key=True)
    finished_at_us: Mapped[int] = mapped_column(BigInteger)
    duration_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("duration_us >= 0", name="duration_not_negative"),)


class QuarterSnapshot(Base):
    """A member's tokens and last activity at the quarter's close (the snapshot stage).

    ``posted_units`` and ``held_units`` are the member's custodial account as the
    ledger stood at the close; ``available_units`` is their difference, the base of
    redistribution. ``wallet_units`` are the tokens paid out to the member's own Solana
    wallet: the member's, out of the run's reach, only reported. ``last_activity_day``
    is a UTC day number (``systok.quarter.repository.last_activity_days``);
    ``days_inactive`` = the quarter's last day − that day.
    """

    __tablename__ = "quarter_snapshots"

    run_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("quarter_runs.id"), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    posted_units: Mapped[int] = mapped_column(BigInteger)
    held_units: Mapped[int] = mapped_column(BigInteger)
    available_units: Mapped[int] = mapped_column(BigInteger)
    wallet_units: Mapped[int] = mapped_column(BigInteger)
    last_activity_day: Mapped[int] = mapped_column(Integer)
    days_inactive: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint("available_units = posted_units - held_units", name="available_is_net"),
        CheckConstraint("days_inactive >= 0", name="days_not_negative"),
    )


class QuarterRedistribution(Base):
    """What the redistribute stage took from one member in a non-zero or warning tier.

    ``due_units`` = floor(snapshot available × ``rate_bps`` / 10 000); ``moved_units``
    is what the ledger transaction ``transaction_id`` moved to the policy's
    ``slashing.to`` account: the due amount, or less when the member spent tokens
    between the close and the run (never more). ``warn`` marks the tier the policy
    flags for a warning (the notification itself is queued by a later issue).
    """

    __tablename__ = "quarter_redistributions"

    run_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("quarter_runs.id"), primary_key=True)
    member_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    from_days: Mapped[int] = mapped_column(Integer)
    to_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rate_bps: Mapped[int] = mapped_column(Integer)
    warn: Mapped[bool] = mapped_column(Boolean)
    due_units: Mapped[int] = mapped_column(BigInteger)
    moved_units: Mapped[int] = mapped_column(BigInteger)
    transaction_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("transactions.id"), nullable=True
    )

    __table_args__ = (
        CheckConstraint("moved_units >= 0 AND moved_units <= due_units", name="moved_within_due"),
    )


class QuarterVestingRelease(Base):
    """A quarter's tranche to one grantee, posted by the vest stage (ADR 0033).

    ``kind`` is ``fund`` (``grantee``: the fund's name; from ``fund:vesting:<fund>`` to
    the fund's account) or ``sale`` (``grantee``: the member; from
    ``hold:vesting:<member>`` to ``member:<member>``). ``grants`` and ``granted_units``
    count the grantee's grants started by the close; ``released_units`` is Σ
    ``core.fund_vesting.released_in`` over them for the quarter, posted as the
    ``vesting_tranche`` entry ``transaction_id``. Only positive tranches have a row.
    """

    __tablename__ = "quarter_vesting_releases"

    run_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("quarter_runs.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    grantee: Mapped[str] = mapped_column(String(128), primary_key=True)
    grants: Mapped[int] = mapped_column(Integer)
    granted_units: Mapped[int] = mapped_column(BigInteger)
    released_units: Mapped[int] = mapped_column(BigInteger)
    transaction_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("transactions.id"))

    __table_args__ = (
        CheckConstraint("kind IN ('fund', 'sale')", name="kind_known"),
        CheckConstraint(
            "released_units > 0 AND released_units <= granted_units", name="released_within_granted"
        ),
    )


# --- the quarterly economy: the RUB backing book and the directive price ---------------


class BackingInflow(Base):
    """Money that came into the backing fund, in the quote asset's minor units (kopecks).

    ``kind`` is a ``core.price.InflowKind``; the book reads the policy's shares and
    spread (ADR 0026). Unique by the operator's ``reference``: recording it again with
    the same content is a replay, with other content a conflict. Insert only.
    ``held_as`` is the reserve asset the money is held in (one of the policy's
    ``backing.reserve_assets``), or ``asset`` itself while not converted (ADR 0036).
    """

    __tablename__ = "backing_inflows"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    asset: Mapped[str] = mapped_column(String(16))
    held_as: Mapped[str] = mapped_column(String(16))
    amount_units: Mapped[int] = mapped_column(BigInteger)
    quarter: Mapped[str] = mapped_column(String(8))
    reference: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    recorded_at_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("reference", name="uq_backing_inflows_reference"),
        CheckConstraint("amount_units > 0", name="amount_positive"),
        Index("ix_backing_inflows_quarter", "quarter"),
    )


class QuarterPrice(Base):
    """The directive price set for a quarter, with the policy and inputs it came from.

    ``price_units`` is whole quote minor units (kopecks) per whole STK, floored; the
    quarterly run's price stage writes it once. Once a quarter is priced, no inflow may be
    recorded for it or earlier.
    """

    __tablename__ = "quarter_prices"

    quarter: Mapped[str] = mapped_column(String(8), primary_key=True)
    policy_version: Mapped[str] = mapped_column(String(64))
    policy_hash: Mapped[str] = mapped_column(String(64))
    quote_asset: Mapped[str] = mapped_column(String(16))
    price_units: Mapped[int] = mapped_column(BigInteger)
    backing_units: Mapped[int] = mapped_column(BigInteger)
    issued_units: Mapped[int] = mapped_column(BigInteger)
    inputs: Mapped[str] = mapped_column(Text)
    set_at_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("price_units >= 0", name="price_not_negative"),)


# --- the initial sale to members (ADR 0029) -----------------------------------------


class Sale(Base):
    """An initial sale to members at a special price (``systok sale open``).

    ``price_units`` is quote minor units (kopecks) per whole STK; ``cap_units`` is
    ``floor(issued_units × share_bps / 10 000)`` with ``issued_units`` the STK issued
    when it opened. ``open_slot`` is 1 while the sale is open and NULL once closed: its
    unique constraint keeps at most one sale open on every backend (NULLs never clash).
    Unique by the operator's ``reference``.
    """

    __tablename__ = "sales"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    reference: Mapped[str] = mapped_column(String(200))
    share_bps: Mapped[int] = mapped_column(Integer)
    quote_asset: Mapped[str] = mapped_column(String(16))
    price_units: Mapped[int] = mapped_column(BigInteger)
    issued_units: Mapped[int] = mapped_column(BigInteger)
    cap_units: Mapped[int] = mapped_column(BigInteger)
    vesting_days: Mapped[int] = mapped_column(Integer)
    policy_version: Mapped[str] = mapped_column(String(64))
    opened_at_us: Mapped[int] = mapped_column(BigInteger)
    closed_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    open_slot: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (
        UniqueConstraint("reference", name="uq_sales_reference"),
        UniqueConstraint("open_slot", name="uq_sales_open_slot"),
        CheckConstraint("price_units > 0", name="price_positive"),
        CheckConstraint("cap_units >= 0", name="cap_not_negative"),
        CheckConstraint("open_slot IS NULL OR open_slot = 1", name="open_slot_one"),
    )


class SalePurchase(Base):
    """A member's purchase in a sale: STK minted into the member's vesting account.

    ``paid_units`` is what the member paid off-ledger (kopecks); ``reference`` is that
    payment's id (unique: a purchase is recorded once). ``unlock_at_us`` is when the
    purchase has vested whole (purchase time + the policy's ``vesting_days``); the
    release is the quarterly run's. ``transaction_id`` is the ledger entry that minted it.
    Insert only.
    """

    __tablename__ = "sale_purchases"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    sale_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("sales.id"))
    member_id: Mapped[str] = mapped_column(String(128), ForeignKey("members.id"))
    units: Mapped[int] = mapped_column(BigInteger)
    paid_units: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str] = mapped_column(String(200))
    purchased_at_us: Mapped[int] = mapped_column(BigInteger)
    unlock_at_us: Mapped[int] = mapped_column(BigInteger)
    transaction_id: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("reference", name="uq_sale_purchases_reference"),
        CheckConstraint("units > 0", name="units_positive"),
        CheckConstraint("paid_units > 0", name="paid_positive"),
        Index("ix_sale_purchases_sale", "sale_id"),
    )


class HealthReading(Base):
    """One health metric of one closed period (a quarter or an ISO week), ADR 0028.

    The value is exact: ``numerator`` / ``denominator`` in ``unit`` (decimal integer
    text, so no backend rounds or overflows it; the denominator is positive), both null
    when the metric has no value for the period (status ``no_value``). Written once per
    (period kind, period, metric) by the quarterly run's health stage or
    ``systok health``; a closed period's readings never change.
    """

    __tablename__ = "health_readings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    period_kind: Mapped[str] = mapped_column(String(8))
    period: Mapped[str] = mapped_column(String(8))
    metric: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(16))
    numerator: Mapped[str | None] = mapped_column(String(80), nullable=True)
    denominator: Mapped[str | None] = mapped_column(String(80), nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    policy_version: Mapped[str] = mapped_column(String(64))
    policy_hash: Mapped[str] = mapped_column(String(64))
    computed_at_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("period_kind", "period", "metric", name="uq_health_readings_metric"),
        CheckConstraint("period_kind IN ('quarter', 'week')", name="period_kind_known"),
        CheckConstraint(
            "(numerator IS NULL) = (denominator IS NULL)", name="value_whole_or_absent"
        ),
    )


class StabilisationProposal(Base):
    """A stabilisation rule that fired for a quarter, and the decision on it (ADR 0030).

    Written by the quarterly run's stabilise stage, once per (quarter, rule). The value
    is exact: ``numerator`` / ``denominator`` in the metric's unit (decimal integer
    text, like ``health_readings``). ``status`` is ``proposed`` until an admin (or the
    policy, for an automatic rule) decides: ``rejected``, ``approved`` (recorded,
    effective from the next quarter) or ``executed`` (``transaction_id`` is the ledger
    entry, ``amount_units`` what it moved).
    """

    __tablename__ = "stabilisation_proposals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("quarter_runs.id"))
    quarter: Mapped[str] = mapped_column(String(8))
    rule: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(200))
    metric: Mapped[str] = mapped_column(String(64))
    numerator: Mapped[str] = mapped_column(String(80))
    denominator: Mapped[str] = mapped_column(String(80))
    direction: Mapped[str] = mapped_column(String(8))
    threshold: Mapped[str] = mapped_column(String(40))
    step_bps: Mapped[int | None] = mapped_column(Integer, nullable=True)
    automatic: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    policy_version: Mapped[str] = mapped_column(String(64))
    proposed_at_us: Mapped[int] = mapped_column(BigInteger)
    decided_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    decided_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    amount_units: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    transaction_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        UniqueConstraint("quarter", "rule", name="uq_stabilisation_proposals_rule"),
        CheckConstraint(
            "status IN ('proposed', 'approved', 'rejected', 'executed')", name="status_known"
        ),
        CheckConstraint(
            "(status = 'proposed') = (decided_at_us IS NULL)", name="decided_when_not_proposed"
        ),
    )


class NotifyProfile(Base):
    """Where and how a member is told about what happens to their tokens (ADR 0037).

    ``email`` and ``telegram_chat_id`` are the channels (either may be unset: no message
    goes there); ``language`` picks the templates; ``opt_outs`` lists the message kinds
    the member declined, space-separated. ``admin`` marks the profiles that receive the
    administrators' messages (stabilisation proposals); only an operator sets it.
    """

    __tablename__ = "notify_profiles"

    member_id: Mapped[str] = mapped_column(String(128), ForeignKey("members.id"), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    telegram_chat_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    language: Mapped[str] = mapped_column(String(2))
    opt_outs: Mapped[str] = mapped_column(Text)
    admin: Mapped[bool] = mapped_column(Boolean)
    updated_at_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("language IN ('ru', 'en')", name="language_known"),)


class NotifyMessage(Base):
    """One message to one address on one channel: the transactional outbox (ADR 0037).

    Written in the same unit of work as the event that causes it, rendered already
    (``subject``/``body`` in the recipient's language), unique by ``idempotency_key``
    so an event enqueues once. ``message_id`` is fixed here, so a resend after a crash
    between sending and marking carries the same Message-ID. The dispatcher claims a
    row by setting ``status = 'sending'`` with a lease (``lease_until_us``, also the
    claim's token: renewed before each send, named by every mark); a lease that runs
    out (a dispatcher died) makes the row due again.
    """

    __tablename__ = "notify_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    member_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(320))
    language: Mapped[str] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at_us: Mapped[int] = mapped_column(BigInteger)
    lease_until_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at_us: Mapped[int] = mapped_column(BigInteger)
    sent_at_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'parked')", name="status_known"),
        CheckConstraint("channel IN ('email', 'telegram')", name="channel_known"),
        Index("ix_notify_outbox_due", "status", "next_attempt_at_us"),
    )


class StabilisationOverride(Base):
    """An approved emission or fee step, applied to one quarter (ADR 0034).

    Written when an ``emission_adjustment`` or ``fee_adjustment`` proposal is approved;
    ``quarter`` is the proposal's effective quarter (the one after its own). ``emission``:
    every weekly emission of a week of that quarter is multiplied by (10 000 − step) /
    10 000, floored. ``transfer_fee``: the P2P fee's rate is the policy's + ``step_bps``.
    Insert only; one per (quarter, kind).
    """

    __tablename__ = "stabilisation_overrides"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    proposal_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("stabilisation_proposals.id"))
    quarter: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16))
    step_bps: Mapped[int] = mapped_column(Integer)
    recorded_at_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("proposal_id", name="uq_stabilisation_overrides_proposal"),
        UniqueConstraint("quarter", "kind", name="uq_stabilisation_overrides_kind"),
        CheckConstraint("kind IN ('emission', 'transfer_fee')", name="kind_known"),
        CheckConstraint("step_bps > 0 AND step_bps <= 10000", name="step_in_range"),
    )


class StabilisationBuyback(Base):
    """An approved buyback: the backing fund buys STK from members at a fixed directive
    price until its budget (quote minor units) is spent (ADR 0034).

    ``quarter`` is the quarter it runs in (the proposal's effective quarter);
    ``price_units`` the directive price set for the proposal's quarter (quote minor units
    per whole STK). ``spent_units`` grows with each sale, never past ``budget_units``
    (the row is locked for every sale).
    """

    __tablename__ = "stabilisation_buybacks"

    proposal_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("stabilisation_proposals.id"), primary_key=True
    )
    quarter: Mapped[str] = mapped_column(String(8))
    asset: Mapped[str] = mapped_column(String(16))
    price_units: Mapped[int] = mapped_column(BigInteger)
    budget_units: Mapped[int] = mapped_column(BigInteger)
    spent_units: Mapped[int] = mapped_column(BigInteger)
    opened_at_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        CheckConstraint("budget_units > 0", name="budget_positive"),
        CheckConstraint("price_units > 0", name="price_positive"),
        CheckConstraint(
            "spent_units >= 0 AND spent_units <= budget_units", name="spent_within_budget"
        ),
    )


class BackingOutflow(Base):
    """Money the backing fund paid out, in the quote asset's minor units (ADR 0034).

    Today only a buyback sale: ``stk_units`` bought from ``member_id`` at ``price_units``
    for ``amount_units`` (floored to the minor unit), the ledger entry
    ``transaction_id``. The book subtracts it from the quarter it was paid in on.
    Unique by ``reference`` (a replay with the same content returns it). Insert only.
    """

    __tablename__ = "backing_outflows"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    asset: Mapped[str] = mapped_column(String(16))
    amount_units: Mapped[int] = mapped_column(BigInteger)
    quarter: Mapped[str] = mapped_column(String(8))
    reference: Mapped[str] = mapped_column(String(200))
    member_id: Mapped[str] = mapped_column(String(128))
    stk_units: Mapped[int] = mapped_column(BigInteger)
    price_units: Mapped[int] = mapped_column(BigInteger)
    proposal_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("stabilisation_buybacks.proposal_id")
    )
    transaction_id: Mapped[int] = mapped_column(BigInteger)
    recorded_at_us: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("reference", name="uq_backing_outflows_reference"),
        CheckConstraint("kind IN ('buyback')", name="kind_known"),
        CheckConstraint("amount_units > 0", name="amount_positive"),
        CheckConstraint("stk_units > 0", name="stk_positive"),
        Index("ix_backing_outflows_quarter", "quarter"),
    )
