"""The shared kit every repository builds on: table handles and dialect-aware inserts.

One handle per table, made once, so repositories say ``postings_t.c.amount`` instead of
each casting ``Posting.__table__`` again; one :func:`dialect_insert` so that
``ON CONFLICT`` clauses work on both PostgreSQL and SQLite without each package
choosing the dialect itself. The clock lives in :mod:`systok.clock`.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from systok.db.tables import (
    Account,
    AccrualAdjustment,
    AccrualCount,
    AccrualMemberSum,
    AccrualReward,
    AccrualRun,
    AccrualRunStage,
    ApiKey,
    Asset,
    BackingInflow,
    BackingOutflow,
    ChainHead,
    ChainLink,
    Entitlement,
    Event,
    EventDayCount,
    HealthReading,
    Hold,
    IngestBatch,
    IngestCursor,
    JournalTransaction,
    Member,
    MemberAlias,
    MemberFreeze,
    MemberMembership,
    MemberQualification,
    NotifyMessage,
    NotifyProfile,
    PayoutAttempt,
    PayoutBatch,
    PayoutItem,
    Posting,
    QuarantinedEvent,
    QuarterPrice,
    QuarterRedistribution,
    QuarterRun,
    QuarterRunStage,
    QuarterSnapshot,
    QuarterVestingRelease,
    Reconciliation,
    Sale,
    SalePurchase,
    StabilisationBuyback,
    StabilisationOverride,
    StabilisationProposal,
    VestingGrant,
    Wallet,
    WalletChallenge,
)

accounts_t = cast(Table, Account.__table__)
accrual_counts_t = cast(Table, AccrualCount.__table__)
adjustments_t = cast(Table, AccrualAdjustment.__table__)
aliases_t = cast(Table, MemberAlias.__table__)
api_keys_t = cast(Table, ApiKey.__table__)
assets_t = cast(Table, Asset.__table__)
backing_inflows_t = cast(Table, BackingInflow.__table__)
backing_outflows_t = cast(Table, BackingOutflow.__table__)
chain_head_t = cast(Table, ChainHead.__table__)
chain_links_t = cast(Table, ChainLink.__table__)
day_counts_t = cast(Table, EventDayCount.__table__)
entitlements_t = cast(Table, Entitlement.__table__)
events_t = cast(Table, Event.__table__)
freezes_t = cast(Table, MemberFreeze.__table__)
health_readings_t = cast(Table, HealthReading.__table__)
holds_t = cast(Table, Hold.__table__)
ingest_batches_t = cast(Table, IngestBatch.__table__)
ingest_cursors_t = cast(Table, IngestCursor.__table__)
member_sums_t = cast(Table, AccrualMemberSum.__table__)
members_t = cast(Table, Member.__table__)
notify_outbox_t = cast(Table, NotifyMessage.__table__)
notify_profiles_t = cast(Table, NotifyProfile.__table__)
memberships_t = cast(Table, MemberMembership.__table__)
payout_attempts_t = cast(Table, PayoutAttempt.__table__)
payout_batches_t = cast(Table, PayoutBatch.__table__)
payout_items_t = cast(Table, PayoutItem.__table__)
postings_t = cast(Table, Posting.__table__)
qualifications_t = cast(Table, MemberQualification.__table__)
quarantine_t = cast(Table, QuarantinedEvent.__table__)
quarter_redistributions_t = cast(Table, QuarterRedistribution.__table__)
quarter_runs_t = cast(Table, QuarterRun.__table__)
quarter_snapshots_t = cast(Table, QuarterSnapshot.__table__)
quarter_stages_t = cast(Table, QuarterRunStage.__table__)
quarter_prices_t = cast(Table, QuarterPrice.__table__)
quarter_vesting_releases_t = cast(Table, QuarterVestingRelease.__table__)
reconciliations_t = cast(Table, Reconciliation.__table__)
rewards_t = cast(Table, AccrualReward.__table__)
runs_t = cast(Table, AccrualRun.__table__)
sale_purchases_t = cast(Table, SalePurchase.__table__)
sales_t = cast(Table, Sale.__table__)
stabilisation_proposals_t = cast(Table, StabilisationProposal.__table__)
stabilisation_buybacks_t = cast(Table, StabilisationBuyback.__table__)
stabilisation_overrides_t = cast(Table, StabilisationOverride.__table__)
stages_t = cast(Table, AccrualRunStage.__table__)
transactions_t = cast(Table, JournalTransaction.__table__)
vesting_grants_t = cast(Table, VestingGrant.__table__)
wallet_challenges_t = cast(Table, WalletChallenge.__table__)
wallets_t = cast(Table, Wallet.__table__)


def is_postgres(bind: Session | Connection) -> bool:
    """Whether ``bind`` talks to PostgreSQL (the embedded default is SQLite)."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect.name == "postgresql"


def dialect_insert(bind: Session | Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An INSERT for ``table`` in the bind's dialect, so ``on_conflict_do_*`` is available."""
    if is_postgres(bind):
        return postgresql.insert(table)
    return sqlite.insert(table)
