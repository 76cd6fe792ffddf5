"""Vesting of weekly rewards: split, hold, and release or cancel after validation.

A member's weekly reward is split across the event types that earned it, in proportion
to each type's points (an exact integer split: the parts sum to the reward). The parts
of types with a freeze period (peer review 30 days, projects 90, mentoring 30,
referrals 90 — the policy's) become grants held in the ledger from the rewards pool to
the member; the rest is paid at once. ``release_due`` posts each due grant to the
member, or voids it back to the pool when it was flagged (the reviewed work was
flagged, the referred member left, …).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from systok.accrual import repository as repo
from systok.core.amount import format_amount, split_amount
from systok.core.ledger import (
    AccountType,
    HoldDraft,
    TransactionCode,
    member_account,
    system_account,
)
from systok.core.policy import Policy
from systok.core.scoring import WeeklyScore
from systok.core.vesting import (
    CancelReason,
    Release,
    Verdict,
    VestingReward,
    decide_release,
    unlock_at_us,
    vesting_days_for,
)
from systok.errors import GrantNotFound
from systok.ledger.service import Ledger
from systok.notify import service as notify
from systok.notify.schemas import MessageKind

POINT_WEIGHT_SCALE = 10**6
"""Points are Decimals with at most a few decimals; scaled to integers to split by them."""


def vested_parts(policy: Policy, score: WeeklyScore, paid_units: int) -> dict[str, int]:
    """The parts of ``paid_units`` earned by event types that vest, by type.

    Rounding: an exact largest-remainder split of the paid units by each type's points,
    so the vested and immediate parts always sum to what the member is paid.
    """
    totals = score.totals_by_type()
    weights = {
        name: int(total.points * POINT_WEIGHT_SCALE)
        for name, total in totals.items()
        if total.points > Decimal(0)
    }
    if paid_units <= 0 or not weights:
        return {}
    names = sorted(weights)
    parts = split_amount(paid_units, [weights[n] for n in names])
    return {
        name: part
        for name, part in zip(names, parts, strict=True)
        if part > 0 and vesting_days_for(policy, name) > 0
    }


def grant_rows(
    policy: Policy, run_id: int, member_id: str, parts: dict[str, int], earned_at_us: int
) -> list[dict[str, Any]]:
    """The grant rows of one member's vested parts (unlock dates from the policy)."""
    rows = []
    for event_type, units in sorted(parts.items()):
        unlock = unlock_at_us(policy, event_type, earned_at_us)
        assert unlock is not None, "only vesting types have parts"
        rows.append(
            {
                "run_id": run_id,
                "member_id": member_id,
                "event_type": event_type,
                "units": units,
                "earned_at_us": earned_at_us,
                "unlock_at_us": unlock,
                "hold_id": None,
                "status": "held",
                "flagged_reason": None,
                "resolved_at_us": None,
            }
        )
    return rows


def hold_grants(ledger: Ledger, policy: Policy, week: str, run_id: int) -> None:
    """Put each of the run's grants in a ledger hold (pool → member), idempotently."""
    pool = system_account(AccountType.POOL_REWARDS)
    for grant in repo.run_grants(ledger.session, run_id):
        entry = ledger.create_hold(
            HoldDraft(
                code=TransactionCode.VESTING_LOCK,
                idempotency_key=f"vesting:{policy.version}:{week}:{grant.member_id}:{grant.event_type}",
                debit=pool,
                credit=member_account(grant.member_id),
                amount_units=grant.units,
                reference=f"{grant.event_type} reward of {week}, vesting",
            )
        )
        repo.set_grant_hold(ledger.session, grant.id, entry.hold_id)


def flag_grant(session: Session, grant_id: int, reason: CancelReason) -> None:
    """Mark a held grant as not to be released (checked when it comes due)."""
    if not repo.flag_held_grant(session, grant_id, reason.value):
        raise GrantNotFound(f"no held vesting grant {grant_id}")


@dataclass(frozen=True)
class ReleaseSummary:
    released: int
    cancelled: int
    released_units: int
    cancelled_units: int


def release_due(session: Session, policy: Policy, *, clock: Callable[[], int]) -> ReleaseSummary:
    """Release every due grant to its member, or cancel it back to the pool if flagged."""
    now = clock()
    ledger = Ledger(session, clock=clock)
    due = repo.due_grants(session, now)
    released = cancelled = released_units = cancelled_units = 0
    for grant in due:
        verdict = (
            Verdict.invalid(CancelReason(grant.flagged_reason))
            if grant.flagged_reason
            else Verdict.valid()
        )
        reward = VestingReward(
            reward_id=str(grant.id),
            member_id=grant.member_id,
            event_type=grant.event_type,
            amount_units=grant.units,
            earned_at_us=grant.earned_at_us,
            unlock_at_us=grant.unlock_at_us,
        )
        decision = decide_release(policy, reward, verdict, now)
        if isinstance(decision, Release):
            ledger.post_hold(grant.hold_id, idempotency_key=f"vesting-release:{grant.id}")
            status, released, released_units = (
                "released",
                released + 1,
                released_units + grant.units,
            )
        else:
            ledger.void_hold(grant.hold_id, idempotency_key=f"vesting-cancel:{grant.id}")
            status, cancelled, cancelled_units = (
                "cancelled",
                cancelled + 1,
                cancelled_units + grant.units,
            )
        repo.resolve_grant(session, grant.id, status, now)
        notify.enqueue(  # in this unit of work: told only if the release commits (ADR 0037)
            session,
            MessageKind.VESTING_RELEASED if status == "released" else MessageKind.VESTING_CANCELLED,
            grant.member_id,
            event_key=f"vesting-{status}:{grant.id}",
            params={
                "amount": format_amount(grant.units, policy.stk_scale),
                "activity": grant.event_type,
                "reason": grant.flagged_reason or "",
            },
            now_us=now,
        )
    return ReleaseSummary(released, cancelled, released_units, cancelled_units)
