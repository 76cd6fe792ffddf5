"""Vesting periods per event type, unlock times, and the release/cancel decision."""

from __future__ import annotations

from pathlib import Path

import pytest

from systok.core.policy import Policy
from systok.core.times import MICROS_PER_DAY, parse_utc_us
from systok.core.vesting import (
    Cancel,
    CancelReason,
    Release,
    Verdict,
    VestingError,
    VestingReward,
    decide_release,
    is_due,
    unlock_at_us,
    vesting_days_for,
)
from systok.policy_files import load_policy_file

POLICIES = Path(__file__).resolve().parents[2] / "policies"
EARNED_AT_US = parse_utc_us("2026-01-13T14:05:00Z")


@pytest.fixture(scope="module", params=["stk-2025-12.toml", "stk-2025-04.toml"])
def policy(request: pytest.FixtureRequest) -> Policy:
    return load_policy_file(POLICIES / request.param)


def reward(policy: Policy, event_type: str, amount_units: int = 150_000_000) -> VestingReward:
    return VestingReward(
        reward_id="hold-42",
        member_id="m002",
        event_type=event_type,
        amount_units=amount_units,
        earned_at_us=EARNED_AT_US,
        unlock_at_us=unlock_at_us(policy, event_type, EARNED_AT_US),
    )


# --- periods [002 §Vesting] ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("event_type", "days"),
    [
        ("ExerciseSave", 0),  # learning
        ("SectionCompleted", 0),  # learning
        ("ClubPostCreated", 0),  # club, paid weekly like learning
        ("PeerReviewCompleted", 30),
        ("ProjectMilestoneCompleted", 90),  # the upper end of 60–90
        ("MentorSessionCompleted", 30),
        ("ReferralConverted", 90),
    ],
)
def test_vesting_days_per_event_type(policy: Policy, event_type: str, days: int) -> None:
    assert vesting_days_for(policy, event_type) == days
    reward_type = policy.events[event_type].reward_type
    assert (
        vesting_days_for(policy, event_type)
        == policy.vesting.reward_types[reward_type].vesting_days
    )


def test_an_event_type_without_value_is_refused(policy: Policy) -> None:
    with pytest.raises(VestingError, match="earns nothing"):
        vesting_days_for(policy, "NoSuchEvent")


def test_peer_review_unlocks_exactly_30_days_later(policy: Policy) -> None:
    unlock = unlock_at_us(policy, "PeerReviewCompleted", EARNED_AT_US)
    assert unlock == EARNED_AT_US + 30 * MICROS_PER_DAY
    assert unlock == parse_utc_us("2026-02-12T14:05:00Z")  # same time of day, not midnight


def test_learning_is_paid_at_once(policy: Policy) -> None:
    assert unlock_at_us(policy, "ExerciseSave", EARNED_AT_US) is None
    assert is_due(reward(policy, "ExerciseSave"), EARNED_AT_US)


# --- the decision ----------------------------------------------------------------------------


def test_a_valid_due_reward_is_released_to_the_member(policy: Policy) -> None:
    due = reward(policy, "PeerReviewCompleted")
    assert due.unlock_at_us is not None
    decision = decide_release(policy, due, Verdict.valid(), due.unlock_at_us)
    assert decision == Release(reward_id="hold-42", member_id="m002", amount_units=150_000_000)
    assert decision.to_account == "member"


def test_an_inactive_referral_is_cancelled_back_to_the_pool(policy: Policy) -> None:
    due = reward(policy, "ReferralConverted", 1_000_000_000)
    assert due.unlock_at_us is not None
    verdict = Verdict.invalid(CancelReason.REFERRED_MEMBER_INACTIVE, "m777 inactive since March")
    decision = decide_release(policy, due, verdict, due.unlock_at_us + 1)
    assert isinstance(decision, Cancel)
    assert decision.amount_units == 1_000_000_000
    assert decision.to_account == policy.vesting.cancelled_to == "pool:rewards"
    assert decision.reason is CancelReason.REFERRED_MEMBER_INACTIVE
    assert decision.detail == "m777 inactive since March"


def test_flagged_review_is_cancelled(policy: Policy) -> None:
    due = reward(policy, "PeerReviewCompleted")
    assert due.unlock_at_us is not None
    decision = decide_release(
        policy, due, Verdict.invalid(CancelReason.WORK_FLAGGED), due.unlock_at_us
    )
    assert isinstance(decision, Cancel)
    assert decision.reason == "work_flagged"


def test_a_reward_is_not_decided_before_it_is_due(policy: Policy) -> None:
    due = reward(policy, "ReferralConverted")
    assert due.unlock_at_us is not None
    assert not is_due(due, due.unlock_at_us - 1)
    with pytest.raises(VestingError, match="not due"):
        decide_release(policy, due, Verdict.valid(), due.unlock_at_us - 1)


def test_a_zero_day_reward_can_be_decided_at_once(policy: Policy) -> None:
    immediate = reward(policy, "ExerciseSave")
    decision = decide_release(policy, immediate, Verdict.valid(), EARNED_AT_US)
    assert isinstance(decision, Release)


@pytest.mark.parametrize("amount_units", [0, -5])
def test_a_reward_without_a_positive_amount_is_refused(policy: Policy, amount_units: int) -> None:
    with pytest.raises(VestingError, match="positive"):
        decide_release(
            policy, reward(policy, "ExerciseSave", amount_units), Verdict.valid(), EARNED_AT_US
        )


def test_verdict_constructors() -> None:
    assert Verdict.valid().cancel_reason is None
    assert Verdict().cancel_reason is None
    refused = Verdict.invalid(CancelReason.FRAUD, "self-likes")
    assert refused.cancel_reason is CancelReason.FRAUD
