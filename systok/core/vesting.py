"""Vesting: how long a reward stays frozen, when it unlocks, and what happens then.

[002 §Vesting]: rewards are frozen for a period that depends on what they were earned
for (learning 0 days, peer review 30, projects 60–90, mentoring 30, referrals 90). When
the period ends the reward is validated: *released* to the member's balance, or
*cancelled* and returned to the rewards pool; the member is notified either way.

The periods are policy (``[vesting.reward_types]``, chosen per event type through
``events.<type>.reward_type``). Validation itself (is the referred member still
active? was the reviewed work flagged?) needs data and lives in the economy layer; it
reaches this module as a ``Verdict``, and ``decide_release`` turns a due reward and its
verdict into the movement to make. The ledger side (a pending hold posted to the member
or voided back to ``vesting.cancelled_to``) lives in ``systok.economy``.

Pure: standard library and ``systok.core`` only; times are integer UTC microseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from systok.core.policy import Policy
from systok.core.times import MICROS_PER_DAY

__all__ = [
    "MEMBER_ACCOUNT",
    "Cancel",
    "CancelReason",
    "Decision",
    "Release",
    "Verdict",
    "VestingError",
    "VestingReward",
    "decide_release",
    "is_due",
    "unlock_at_us",
    "vesting_days_for",
]

MEMBER_ACCOUNT = "member"
"""The account type a released reward is paid to (the member's own spendable tokens)."""


class VestingError(ValueError):
    """A vesting question the policy cannot answer, or a decision asked for too early."""


class CancelReason(StrEnum):
    """Why validation refused a vested reward (stored with the cancellation, told the member)."""

    REFERRED_MEMBER_INACTIVE = "referred_member_inactive"
    """Referral: the referred member did not stay active through the vesting period."""
    WORK_FLAGGED = "work_flagged"
    """Peer review, project or mentoring: the reviewed work or the review was flagged."""
    RESULT_NOT_VALIDATED = "result_not_validated"
    """Project: the result was not confirmed by the end of the period."""
    FRAUD = "fraud"
    """The earning events were found fraudulent (self-likes, farmed activity, …)."""
    EVENT_REVERSED = "event_reversed"
    """The source retracted the event the reward was earned for."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of validating one reward when its vesting ends.

    Build with ``Verdict.valid()`` or ``Verdict.invalid(reason)``; a verdict with a
    ``cancel_reason`` is a refusal, one without is an approval. An enum reason (not free
    text) keeps reports and notifications consistent.

    Attributes:
        cancel_reason: None when the reward passed validation.
        detail: optional free text for people (e.g. which review flagged it).
    """

    cancel_reason: CancelReason | None = None
    detail: str = ""

    @classmethod
    def valid(cls, detail: str = "") -> Verdict:
        """The reward passed validation."""
        return cls(None, detail)

    @classmethod
    def invalid(cls, reason: CancelReason, detail: str = "") -> Verdict:
        """The reward failed validation for ``reason``."""
        return cls(reason, detail)


@dataclass(frozen=True, slots=True)
class VestingReward:
    """A frozen reward waiting for its vesting to end.

    Attributes:
        reward_id: the caller's identifier (e.g. the hold id), echoed in the decision.
        member_id: who earned it.
        event_type: what it was earned for (selects the vesting period).
        amount_units: base units frozen; positive.
        earned_at_us: when it was earned (the event's time), UTC microseconds.
        unlock_at_us: when vesting ends; None when it vests 0 days (paid at once).
    """

    reward_id: str
    member_id: str
    event_type: str
    amount_units: int
    earned_at_us: int
    unlock_at_us: int | None


@dataclass(frozen=True, slots=True)
class Release:
    """Pay the reward to the member: the hold is posted to ``to_account``.

    Attributes:
        to_account: always ``"member"`` (the member's spendable balance).
    """

    reward_id: str
    member_id: str
    amount_units: int
    to_account: str = MEMBER_ACCOUNT


@dataclass(frozen=True, slots=True)
class Cancel:
    """Return the reward to the pool: the hold is voided back to ``to_account``.

    Attributes:
        to_account: the policy's ``vesting.cancelled_to`` (``pool:rewards``).
        reason: why, for the member's notification and the reports.
        detail: the verdict's free text.
    """

    reward_id: str
    member_id: str
    amount_units: int
    to_account: str
    reason: CancelReason
    detail: str = ""


Decision = Release | Cancel
"""What to do with a due reward; the member is notified of either."""


def vesting_days_for(policy: Policy, event_type: str) -> int:
    """Days a reward for ``event_type`` stays frozen under ``policy``.

    Raises:
        VestingError: when the policy gives the event type no value, or names a reward
            type it has no vesting rule for (the policy parser prevents the latter).
    """
    rule = policy.events.get(event_type)
    if rule is None:
        raise VestingError(f"event type {event_type!r} earns nothing under {policy.version}")
    vesting_rule = policy.vesting.reward_types.get(rule.reward_type)
    if vesting_rule is None:
        raise VestingError(
            f"reward type {rule.reward_type!r} of {event_type!r} has no vesting rule "
            f"in {policy.version}"
        )
    return vesting_rule.vesting_days


def unlock_at_us(policy: Policy, event_type: str, earned_at_us: int) -> int | None:
    """When a reward earned at ``earned_at_us`` unlocks, or None when it is paid at once.

    A vesting day is exactly 24 hours (UTC has no daylight saving), so the unlock is
    ``earned_at_us + days × 86 400 000 000``: a reward earned Tuesday 14:05 with 30 days
    unlocks 30 days later at 14:05, not at a midnight. Returning None rather than
    ``earned_at_us`` for 0 days tells the caller to skip the hold altogether.
    """
    days = vesting_days_for(policy, event_type)
    if days == 0:
        return None
    return earned_at_us + days * MICROS_PER_DAY


def is_due(reward: VestingReward, now_us: int) -> bool:
    """Whether the reward's vesting has ended at ``now_us`` (immediately for 0 days)."""
    return reward.unlock_at_us is None or now_us >= reward.unlock_at_us


def decide_release(
    policy: Policy, reward: VestingReward, verdict: Verdict, now_us: int
) -> Decision:
    """Release a due reward to the member, or cancel it back to the pool.

    Args:
        policy: supplies ``vesting.cancelled_to``.
        reward: the frozen reward; its vesting must have ended.
        verdict: the validation outcome the economy layer established.
        now_us: the time of the decision, UTC microseconds.

    Returns:
        ``Release`` with the whole amount to the member when the verdict is valid;
        otherwise ``Cancel`` with the whole amount to ``vesting.cancelled_to`` and the
        verdict's reason. There are no partial releases: the seeds validate a reward as
        a whole.

    Raises:
        VestingError: when the reward is not due yet (deciding early would let a
            referral be paid before the referred member had time to leave), or its
            amount is not positive.
    """
    if reward.amount_units <= 0:
        raise VestingError(f"reward {reward.reward_id!r} has no positive amount")
    if not is_due(reward, now_us):
        raise VestingError(
            f"reward {reward.reward_id!r} vests until {reward.unlock_at_us}, not due at {now_us}"
        )
    if verdict.cancel_reason is None:
        return Release(reward.reward_id, reward.member_id, reward.amount_units)
    return Cancel(
        reward_id=reward.reward_id,
        member_id=reward.member_id,
        amount_units=reward.amount_units,
        to_account=policy.vesting.cancelled_to,
        reason=verdict.cancel_reason,
        detail=verdict.detail,
    )
