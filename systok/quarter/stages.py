"""What each stage of the quarterly run does, behind one handler signature.

Every handler takes a ``StageContext`` (the stage's unit of work and what the run
knows) and returns nothing; ``QuarterRun`` records the next stage in the same
transaction. Ledger writes carry keys derived from (policy, quarter, member), so a
stage that rolled back and runs again writes the same entries once. The snapshot and
redistribute stages are here; the vest, price, health and stabilise stages have their
own modules (``stage_vest``, ``stage_price``, ``stage_health``, ``stage_stabilise``).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from systok.core.amount import STK, format_amount
from systok.core.ledger import (
    AccountRef,
    AccountType,
    Posting,
    TransactionCode,
    TransactionDraft,
    member_account,
)
from systok.core.policy import Policy
from systok.core.quarters import Quarter
from systok.core.redistribution import redistribution_for
from systok.ledger.service import Ledger
from systok.notify import service as notify
from systok.notify.schemas import MessageKind
from systok.quarter import repository as repo
from systok.quarter.context import StageContext, StageHandler
from systok.quarter.schemas import RedistributionRow, SnapshotRow, Stage
from systok.quarter.stage_health import health
from systok.quarter.stage_price import price
from systok.quarter.stage_stabilise import stabilise
from systok.quarter.stage_vest import vest


def snapshot_rows(ctx: StageContext, known_at_us: int | None = None) -> list[SnapshotRow]:
    """Every member holding tokens at the close, with their last activity.

    ``known_at_us``: events as they stood then (``verify quarter`` rebuilding the
    snapshot as the stage saw it); None: the live day counts (the stage itself).
    """
    balances = repo.balances_at(ctx.session, STK, ctx.end_us)
    holders = {m for m, b in balances.items() if b.get(AccountType.MEMBER.value) or b.get("wallet")}
    activity = repo.last_activity_days(
        ctx.session, holders, STK, ctx.last_day, ctx.end_us, known_at_us=known_at_us
    )
    rows = []
    for member_id in sorted(holders):
        parts = balances[member_id]
        last = min(activity.get(member_id, ctx.last_day), ctx.last_day)
        rows.append(
            SnapshotRow(
                member_id=member_id,
                posted_units=parts.get(AccountType.MEMBER.value, 0),
                held_units=parts.get("held", 0),
                wallet_units=parts.get(AccountType.WALLET.value, 0),
                last_activity_day=last,
                days_inactive=ctx.last_day - last,
            )
        )
    return rows


def snapshot(ctx: StageContext) -> None:
    """Store the members' tokens and last activity at the quarter's close."""
    repo.insert_snapshots(
        ctx.session,
        [
            {
                "run_id": ctx.run.id,
                "member_id": r.member_id,
                "posted_units": r.posted_units,
                "held_units": r.held_units,
                "available_units": r.available_units,
                "wallet_units": r.wallet_units,
                "last_activity_day": r.last_activity_day,
                "days_inactive": r.days_inactive,
            }
            for r in snapshot_rows(ctx)
        ],
    )


def stored_snapshot(session: Session, run_id: int) -> list[SnapshotRow]:
    """A run's stored snapshot as ``SnapshotRow``s, by member id."""
    return [
        SnapshotRow(
            r.member_id,
            r.posted_units,
            r.held_units,
            r.wallet_units,
            r.last_activity_day,
            r.days_inactive,
        )
        for r in repo.run_snapshots(session, run_id)
    ]


def plan_redistributions(policy: Policy, rows: list[SnapshotRow]) -> list[RedistributionRow]:
    """What the snapshot makes due: a row per member in a tier with a rate or a warning.

    ``moved_units`` is the due amount here; the stage lowers it to what the member
    still has when the ledger is written.
    """
    planned = []
    for row in rows:
        found = redistribution_for(policy.slashing, row.available_units, row.days_inactive)
        if not found.applies:
            continue
        tier = found.tier
        planned.append(
            RedistributionRow(
                row.member_id,
                tier.from_days,
                tier.to_days,
                tier.rate_bps,
                tier.warn,
                found.due_units,
                found.due_units,
                None,
            )
        )
    return planned


def redistribution_key(policy: Policy, quarter: Quarter, member_id: str) -> str:
    """The idempotency key of a member's redistribution entry."""
    return f"redistribution:{policy.version}:{quarter}:{member_id}"


def redistribute(ctx: StageContext) -> None:
    """Move each member's due units to ``slashing.to``: one ``slash`` entry a member.

    A member who spent tokens between the close and the run has less than the
    snapshot: the entry moves what is available now (never below zero), and the row
    keeps both the due and the moved amount.
    """
    ledger = Ledger(ctx.session, clock=ctx.clock)
    ledger.ensure_assets({code: asset.scale for code, asset in ctx.policy.assets.items()})
    target = AccountRef(AccountType(ctx.policy.slashing.to), STK)
    stored = []
    for row in plan_redistributions(ctx.policy, stored_snapshot(ctx.session, ctx.run.id)):
        account = member_account(row.member_id)
        moved = min(row.due_units, max(0, ledger.balance(account).available_units))
        transaction_id = None
        if moved > 0:
            entry = ledger.post(
                TransactionDraft(
                    code=TransactionCode.SLASH,
                    idempotency_key=redistribution_key(ctx.policy, ctx.quarter, row.member_id),
                    reference=f"redistribution {ctx.quarter} {row.rate_bps} bps",
                    postings=(Posting(account, -moved), Posting(target, moved)),
                )
            )
            transaction_id = entry.transaction_id
        if moved > 0 or row.warn:  # told in this unit of work (ADR 0037)
            notify.enqueue(
                ctx.session,
                MessageKind.INACTIVITY_WARNING if row.warn else MessageKind.REDISTRIBUTION,
                row.member_id,
                event_key=redistribution_key(ctx.policy, ctx.quarter, row.member_id),
                params={
                    "quarter": str(ctx.quarter),
                    "days_inactive": row.from_days,
                    "rate_percent": format_amount(row.rate_bps, 2),
                    "amount": format_amount(moved, ctx.policy.stk_scale),
                },
                now_us=ctx.clock(),
            )
        stored.append(
            {
                "run_id": ctx.run.id,
                "member_id": row.member_id,
                "from_days": row.from_days,
                "to_days": row.to_days,
                "rate_bps": row.rate_bps,
                "warn": row.warn,
                "due_units": row.due_units,
                "moved_units": moved,
                "transaction_id": transaction_id,
            }
        )
    repo.insert_redistributions(ctx.session, stored)


HANDLERS: dict[Stage, StageHandler] = {
    Stage.SNAPSHOT: snapshot,
    Stage.REDISTRIBUTE: redistribute,
    Stage.VEST: vest,
    Stage.PRICE: price,
    Stage.HEALTH: health,
    Stage.STABILISE: stabilise,
}
"""The handler of every stage but ``done``."""
