"""Weekly scoring: the SPEC's golden example and more cases computed by hand.

Every case names its numbers in the docstring so a reader can check the arithmetic
without running anything. Week 2026-W03 (Monday 2026-01-12) is used throughout; ``D[i]``
is its i-th day (0 = Monday).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from systok.core.policy import Conversion, Policy, RankLadder
from systok.core.scoring import (
    Ineligible,
    RankChange,
    RankState,
    RateTable,
    WeeklyScore,
    rank_terms,
    score_uniform_week,
    score_week,
    week_day_numbers,
)
from systok.core.weeks import IsoWeek
from systok.policy_files import load_policy

WEEK = IsoWeek(2026, 3)
D = week_day_numbers(WEEK)
ALL_DAYS = frozenset(D)
STK = 10**6


@pytest.fixture(scope="module")
def default() -> Policy:
    return load_policy("stk-2025-12")


@pytest.fixture(scope="module")
def variant() -> Policy:
    return load_policy("stk-2025-04")


def levels(level: int | None) -> dict[int, int | None]:
    return dict.fromkeys(D, level)


def assert_buckets_add_up(score: WeeklyScore) -> None:
    for day in score.days:
        for line in day.lines:
            assert line.count == line.counted + line.capped + line.ineligible


GOLDEN_DAY = {
    "SectionCompleted": 5,
    "ExerciseSave": 3,
    "ClubPostCreated": 1,
    "ClubLikeGiven": 5,
    "ClubLikeReceived": 3,
    "ClubCommentCreated": 2,
}


# --- weighted_daily_caps (seed 002, stk-2025-12) ----------------------------------------


def test_spec_golden_example(default: Policy) -> None:
    """SPEC §3: a Практик (1.5) in the 4th active week in a row (1.10), on one day:
    5 sections ×50 = 250, 3 exercises ×100 = 300, 1 post ×200 = 200,
    5 likes given ×10 = 50, 3 likes received ×20 = 60, 2 comments ×50 = 100
    → 960 points; 960 × 1.5 × 1.10 = 1 584 STK = 1 584 000 000 base units."""
    score = score_week(
        default, WEEK, {D[2]: GOLDEN_DAY}, ALL_DAYS, levels(3), streak_before_weeks=3
    )
    assert score.base_points == 960
    assert score.points == Decimal(1584)
    assert score.units == 1_584 * STK == 1_584_000_000
    assert score.remainder_units == 0
    assert score.reason is None
    assert score.model == "weighted_daily_caps"
    assert score.policy_version == "stk-2025-12"
    assert score.policy_hash == default.content_hash
    assert score.counted_events == 19
    assert score.capped_events == score.ineligible_events == 0
    consistency = score.consistency
    assert consistency is not None
    assert consistency.active
    assert (consistency.streak_before_weeks, consistency.streak_weeks) == (3, 4)
    assert consistency.coefficient == Decimal("1.10")
    assert score.streak_weeks == 4
    assert score.rank is None
    wednesday = score.days[2]
    assert (wednesday.level, wednesday.level_name) == (3, "Практик")
    assert wednesday.coefficient == Decimal("1.5")
    assert wednesday.points == Decimal(1440)
    totals = score.totals_by_type()
    assert totals["ExerciseSave"].base_points == 300
    assert totals["ExerciseSave"].points == Decimal(450)
    assert sum(t.base_points for t in totals.values()) == 960
    assert_buckets_add_up(score)


def test_caps_hit_on_several_days(default: Policy) -> None:
    """Стажёр (1.2), second active week in a row (1.02).
    Mon 8 sections → 5 counted ×50 = 250, 3 capped;
    Wed 7 sections → 5 counted = 250, 2 capped;
    Fri 12 likes received → 10 counted ×20 = 200, 2 capped;
    Sat 2 posts → 1 counted ×200 = 200, 1 capped.
    Base 900 × 1.2 × 1.02 = 1101.6 STK = 1 101 600 000 units; 21 counted, 8 capped."""
    counts = {
        D[0]: {"SectionCompleted": 8},
        D[2]: {"SectionCompleted": 7},
        D[4]: {"ClubLikeReceived": 12},
        D[5]: {"ClubPostCreated": 2},
    }
    score = score_week(default, WEEK, counts, ALL_DAYS, levels(2), streak_before_weeks=1)
    assert score.base_points == 900
    assert score.points == Decimal("1101.6")
    assert score.units == 1_101_600_000
    assert (score.counted_events, score.capped_events) == (21, 8)
    monday = score.line(D[0], "SectionCompleted")
    assert monday is not None
    assert (monday.count, monday.counted, monday.capped, monday.ineligible) == (8, 5, 3, 0)
    assert (monday.weight, monday.limit_daily, monday.base_points) == (50, 5, 250)
    assert monday.points == Decimal(300)
    wednesday = score.line(D[2], "SectionCompleted")
    assert wednesday is not None
    assert (wednesday.counted, wednesday.capped) == (5, 2)
    assert score.totals_by_type()["SectionCompleted"].counted == 10
    assert_buckets_add_up(score)


def test_membership_lapses_mid_week(default: Policy) -> None:
    """Практик (1.5), 5th active week in a row (1.20), paid Mon–Wed only.
    2 exercises every day: Mon–Wed 3 × 200 = 600 counted; Thu–Sun 8 events ineligible.
    600 × 1.5 × 1.20 = 1080 STK = 1 080 000 000 units."""
    counts = {day: {"ExerciseSave": 2} for day in D}
    score = score_week(default, WEEK, counts, set(D[:3]), levels(3), streak_before_weeks=4)
    assert score.paid_days == 3
    assert score.points == Decimal(1080)
    assert score.units == 1_080_000_000
    assert (score.counted_events, score.ineligible_events) == (6, 8)
    thursday = score.line(D[3], "ExerciseSave")
    assert thursday is not None
    assert (thursday.counted, thursday.ineligible) == (0, 2)
    assert thursday.ineligible_reason is Ineligible.NO_PAID_MEMBERSHIP
    assert not score.days[3].paid
    assert any("without a paid membership" in note for note in score.notes)
    assert score.consistency is not None
    assert score.consistency.coefficient == Decimal("1.20")
    assert_buckets_add_up(score)


def test_no_paid_membership_earns_nothing_and_says_why(default: Policy) -> None:
    """A free user with the golden day's activity: every event ineligible, 0 units,
    and the week is inactive (ineligible events make no streak), so the streak resets."""
    score = score_week(default, WEEK, {D[0]: GOLDEN_DAY}, set(), levels(3), streak_before_weeks=3)
    assert score.units == 0
    assert score.points == 0
    assert score.ineligible_events == 19
    assert score.reason is not None
    assert "no paid membership" in score.reason
    assert score.streak_weeks == 0


def test_a_streak_breaks_and_restarts(default: Policy) -> None:
    """Week 1: streak 3 before, no events → inactive, streak 0, 0 points.
    Week 2: 1 post (200) at level 1 (1.0) → streak 1 → 1.00: 200 STK, not 200 × 1.10."""
    idle = score_week(default, WEEK, {}, ALL_DAYS, levels(1), streak_before_weeks=3)
    assert idle.units == 0
    assert idle.streak_weeks == 0
    assert idle.consistency is not None
    assert not idle.consistency.active
    assert idle.consistency.coefficient == 1
    assert idle.reason == f"no counted events in {WEEK}"
    assert idle.streak_weeks is not None

    following = WEEK.next()
    days = week_day_numbers(following)
    score = score_week(
        default,
        following,
        {days[0]: {"ClubPostCreated": 1}},
        set(days),
        dict.fromkeys(days, 1),
        streak_before_weeks=idle.streak_weeks,
    )
    assert score.streak_weeks == 1
    assert score.consistency is not None
    assert score.consistency.coefficient == Decimal("1.00")
    assert score.units == 200 * STK


def test_page_views_and_unknown_types_earn_nothing_and_make_no_streak(default: Policy) -> None:
    """PageView has weight 0 and "Bogus" has no rule: both are ineligible (not rewarded),
    the week has 0 counted events, so it is inactive."""
    score = score_week(
        default,
        WEEK,
        {D[0]: {"PageView": 40, "Bogus": 2}},
        ALL_DAYS,
        levels(2),
        streak_before_weeks=2,
    )
    assert score.units == 0
    assert score.ineligible_events == 42
    line = score.line(D[0], "PageView")
    assert line is not None
    assert line.ineligible_reason is Ineligible.NOT_REWARDED
    assert score.streak_weeks == 0


def test_level_change_mid_week_uses_each_days_coefficient(default: Policy) -> None:
    """Стажёр (1.2) Mon–Wed, Специалист (1.8) from Thu; 3rd active week (1.05).
    Mon 5 sections = 250 × 1.2 = 300; Thu 5 sections = 250 × 1.8 = 450.
    (300 + 450) × 1.05 = 787.5 STK = 787 500 000 units."""
    by_day: dict[int, int | None] = {day: (2 if i < 3 else 4) for i, day in enumerate(D)}
    counts = {D[0]: {"SectionCompleted": 5}, D[3]: {"SectionCompleted": 5}}
    score = score_week(default, WEEK, counts, ALL_DAYS, by_day, streak_before_weeks=2)
    assert score.days[0].points == Decimal(300)
    assert score.days[3].points == Decimal(450)
    assert (score.days[0].level_name, score.days[3].level_name) == ("Стажёр", "Специалист")
    assert score.points == Decimal("787.5")
    assert score.units == 787_500_000


def test_floor_remainder_stays_in_the_pool(default: Policy) -> None:
    """The level-change week (787.5 points) under a test policy paying 0.0000001 STK a
    point: 787.5 × 0.0000001 STK = 78.75 units → 78 units; 0.75 of a unit stays in
    pool:rewards (the shipped policies never leave a remainder: their coefficients
    have at most 3 decimals and STK has 6)."""
    cheap = dataclasses.replace(
        default, conversion=Conversion(Decimal("0.0000001"), "floor", "pool:rewards")
    )
    by_day: dict[int, int | None] = {day: (2 if i < 3 else 4) for i, day in enumerate(D)}
    counts = {D[0]: {"SectionCompleted": 5}, D[3]: {"SectionCompleted": 5}}
    score = score_week(cheap, WEEK, counts, ALL_DAYS, by_day, streak_before_weeks=2)
    assert score.points == Decimal("787.5")
    assert score.units == 78
    assert score.remainder_units == Decimal("0.75")
    assert score.remainder_to == "pool:rewards"
    assert any("0.75" in note and "pool:rewards" in note for note in score.notes)


def test_a_day_without_a_qualification_uses_level_one(default: Policy) -> None:
    """No qualification on Monday: level 1 (Первокурсник, 1.0) is assumed.
    1 post = 200 × 1.0 × 1.00 = 200 STK."""
    by_day: dict[int, int | None] = {D[0]: None}
    score = score_week(default, WEEK, {D[0]: {"ClubPostCreated": 1}}, ALL_DAYS, by_day)
    assert score.days[0].level == 1
    assert score.days[0].level_assumed
    assert score.units == 200 * STK
    assert any("level 1" in note for note in score.notes)


def test_bad_inputs_are_refused(default: Policy, variant: Policy) -> None:
    outside = WEEK.next()
    with pytest.raises(ValueError, match="outside the week"):
        score_week(default, WEEK, {week_day_numbers(outside)[0]: {"ExerciseSave": 1}}, ALL_DAYS, {})
    with pytest.raises(ValueError, match="non-negative"):
        score_week(default, WEEK, {D[0]: {"ExerciseSave": -1}}, ALL_DAYS, {})
    with pytest.raises(ValueError, match="level 9"):
        score_week(default, WEEK, {}, ALL_DAYS, levels(9))
    with pytest.raises(ValueError, match="no rank state"):
        score_week(default, WEEK, {}, ALL_DAYS, {}, rank_before=RankState(0, 1))
    with pytest.raises(ValueError, match="no consistency streak"):
        score_week(variant, WEEK, {}, ALL_DAYS, {}, streak_before_weeks=2)
    with pytest.raises(ValueError, match=">= 0"):
        score_week(default, WEEK, {}, ALL_DAYS, {}, streak_before_weeks=-1)


# --- rank_ladder (seed 001 variant, stk-2025-04) ----------------------------------------


def ladder_of(policy: Policy) -> RankLadder:
    assert isinstance(policy.scoring, RankLadder)
    return policy.scoring


def test_rank_terms_on_and_between_bases(variant: Policy) -> None:
    """Base steps are (L−1) × 5. Step 5 is Стажёр's base (400/day, ×1.2). Step 6 is one
    fifth of the way to Практик (500, ×1.5): cap 400 + 100 × 1/5 = 420, ×1.26. Step 4
    is four fifths from Первокурсник (300, ×1.0) to Стажёр: cap 380, ×1.16."""
    ladder = ladder_of(variant)
    assert (rank_terms(ladder, 5).cap_daily_points, rank_terms(ladder, 5).multiplier) == (
        400,
        Decimal("1.2"),
    )
    six = rank_terms(ladder, 6)
    assert (six.level, six.steps_above_base, six.cap_daily_points) == (2, 1, 420)
    assert six.multiplier == Decimal("1.26")
    four = rank_terms(ladder, 4)
    assert (four.cap_daily_points, four.multiplier) == (380, Decimal("1.16"))
    top = rank_terms(ladder, 35)
    assert (top.level, top.cap_daily_points, top.multiplier) == (8, 1500, Decimal("3.6"))
    with pytest.raises(ValueError, match="off the ladder"):
        rank_terms(ladder, 36)


def test_rank_terms_step_mode_and_a_multiplier_without_a_finite_decimal(
    variant: Policy,
) -> None:
    """``between_levels = "step"`` keeps the lower base: step 6 → 400, ×1.2.
    With 3 steps per level, step 1 is 1.0 + 0.2/3 = 1.0666… → floored to 1.066666;
    cap 300 + 100 × 1 // 3 = 333."""
    ladder = ladder_of(variant)
    step_mode = dataclasses.replace(ladder, between_levels="step")
    assert (rank_terms(step_mode, 6).cap_daily_points, rank_terms(step_mode, 6).multiplier) == (
        400,
        Decimal("1.2"),
    )
    thirds = rank_terms(dataclasses.replace(ladder, weeks_to_next_level=3), 1)
    assert thirds.multiplier == Decimal("1.066666")
    assert thirds.multiplier_floored
    assert thirds.cap_daily_points == 333


def test_rank_rises_after_a_fully_active_week(variant: Policy) -> None:
    """Стажёр without carried state starts at its base, step 5 (400/day, ×1.2).
    2 exercises a day: 200 × 1.2 = 240 ≤ 400, ×7 days = 1680 STK; 7 active days →
    rise to step 6 (420/day, ×1.26). Next week the same activity earns
    200 × 1.26 = 252 a day × 7 = 1764 STK."""
    counts = {day: {"ExerciseSave": 2} for day in D}
    score = score_week(variant, WEEK, counts, ALL_DAYS, levels(2))
    rank = score.rank
    assert rank is not None
    assert rank.started_at_base
    assert (rank.terms.step, rank.terms.cap_daily_points, rank.terms.multiplier) == (
        5,
        400,
        Decimal("1.2"),
    )
    assert score.points == Decimal(1680)
    assert score.units == 1_680 * STK
    assert rank.active_days == 7
    assert rank.change is RankChange.RISE
    assert rank.after == RankState(step=6, qualification_level=2)
    assert (rank.terms_after.cap_daily_points, rank.terms_after.multiplier) == (
        420,
        Decimal("1.26"),
    )
    assert score.consistency is None

    following = WEEK.next()
    days = week_day_numbers(following)
    again = score_week(
        variant,
        following,
        {day: {"ExerciseSave": 2} for day in days},
        set(days),
        dict.fromkeys(days, 2),
        rank_before=score.rank_after,
    )
    assert again.points == Decimal(1764)
    assert again.units == 1_764 * STK
    assert again.rank_after == RankState(step=7, qualification_level=2)


def test_rank_caps_daily_points(variant: Policy) -> None:
    """Стажёр at its base (400/day, ×1.2). Monday: 5 exercises (500) + 1 post (200) =
    700 × 1.2 = 840 → capped at 400 (440 lost). Tuesday: 1 section 50 × 1.2 = 60.
    Week = 460 STK; 2 active days → the rank holds at step 5."""
    counts = {D[0]: {"ExerciseSave": 5, "ClubPostCreated": 1}, D[1]: {"SectionCompleted": 1}}
    score = score_week(variant, WEEK, counts, ALL_DAYS, levels(2))
    monday = score.days[0]
    assert monday.points_uncapped == Decimal(840)
    assert monday.cap_points == 400
    assert monday.points == Decimal(400)
    assert monday.points_uncapped - monday.points == Decimal(440)  # lost to the cap
    assert score.days[1].points == Decimal(60)
    assert score.points == Decimal(460)
    assert score.units == 460 * STK
    assert score.rank is not None
    assert score.rank.change is RankChange.HOLD
    assert score.rank_after == RankState(step=5, qualification_level=2)
    assert any("daily cap of 400" in note for note in score.notes)


def test_rank_falls_after_inactive_weeks_below_the_base_down_to_the_floor(
    variant: Policy,
) -> None:
    """Carried step 6 (Стажёр + 1). An idle week: 0 points, falls to 5 (400, ×1.2).
    Another idle week: falls to 4, below Стажёр's base (380, ×1.16). From step 0
    (Первокурсник, the floor level) an idle week cannot fall further."""
    first = score_week(variant, WEEK, {}, ALL_DAYS, levels(2), rank_before=RankState(6, 2))
    assert first.units == 0
    assert first.rank is not None
    assert first.rank.change is RankChange.FALL
    assert first.rank_after == RankState(5, 2)
    second = score_week(variant, WEEK, {}, ALL_DAYS, levels(2), rank_before=first.rank_after)
    assert second.rank is not None
    assert second.rank_after == RankState(4, 2)
    assert (second.rank.terms_after.cap_daily_points, second.rank.terms_after.multiplier) == (
        380,
        Decimal("1.16"),
    )
    bottom = score_week(variant, WEEK, {}, ALL_DAYS, levels(1), rank_before=RankState(0, 1))
    assert bottom.rank_after == RankState(0, 1)
    assert bottom.rank is not None
    assert "floor" in bottom.rank.why


def test_five_full_weeks_reach_the_next_base(variant: Policy) -> None:
    """From Первокурсник's base (step 0: 300/day, ×1.0), 1 section a day for 5 weeks
    climbs 0 → 5, Стажёр's base (400/day, ×1.2)."""
    state: RankState | None = None
    week = WEEK
    for _ in range(5):
        days = week_day_numbers(week)
        score = score_week(
            variant,
            week,
            {day: {"SectionCompleted": 1} for day in days},
            set(days),
            dict.fromkeys(days, 1),
            rank_before=state,
        )
        state = score.rank_after
        week = week.next()
    assert state == RankState(5, 1)
    assert rank_terms(ladder_of(variant), 5).level_name == "Стажёр"


def test_a_new_qualification_lifts_the_rank_to_its_base(variant: Policy) -> None:
    """Carried step 2 reconciled with level 1; Практик (3) is in force on Monday →
    the week runs at step 10 (500/day, ×1.5): 1 post = 200 × 1.5 = 300 STK."""
    score = score_week(
        variant,
        WEEK,
        {D[0]: {"ClubPostCreated": 1}},
        ALL_DAYS,
        levels(3),
        rank_before=RankState(2, 1),
    )
    assert score.rank is not None
    assert score.rank.raised_to_qualification
    assert score.rank.terms.step == 10
    assert score.units == 300 * STK
    assert score.rank_after == RankState(10, 3)


def test_rank_without_membership_earns_nothing_and_falls(variant: Policy) -> None:
    score = score_week(variant, WEEK, {day: {"ExerciseSave": 1} for day in D}, set(), levels(3))
    assert score.units == 0
    assert score.reason is not None
    assert "no paid membership" in score.reason
    assert score.rank is not None
    assert score.rank.change is RankChange.FALL


# --- properties ------------------------------------------------------------------------

TYPES = ["SectionCompleted", "ExerciseSave", "ClubPostCreated", "ClubLikeReceived", "PageView"]
DEFAULT_POLICY = load_policy("stk-2025-12")
VARIANT_POLICY = load_policy("stk-2025-04")

counts_strategy = st.dictionaries(
    st.sampled_from(D),
    st.dictionaries(st.sampled_from(TYPES), st.integers(min_value=0, max_value=15), max_size=5),
    max_size=7,
)
levels_strategy = st.dictionaries(
    st.sampled_from(D), st.one_of(st.none(), st.integers(min_value=1, max_value=8)), max_size=7
)


def check_bounds(policy: Policy, score: WeeklyScore) -> None:
    assert score.units >= 0
    exact = score.points * policy.conversion.stk_per_point * 10**policy.stk_scale
    assert score.units <= exact
    assert exact - score.units == score.remainder_units < 1
    assert_buckets_add_up(score)


@settings(max_examples=150, deadline=None)
@given(
    counts=counts_strategy,
    paid=st.frozensets(st.sampled_from(D)),
    by_day=levels_strategy,
    streak=st.integers(min_value=0, max_value=8),
    rank_step=st.integers(min_value=0, max_value=35),
    rank_level=st.integers(min_value=1, max_value=8),
    use_rank=st.booleans(),
    extra_day=st.sampled_from(D),
    extra_type=st.sampled_from(TYPES),
)
def test_units_bounded_and_monotone_in_counts(
    counts: dict[int, dict[str, int]],
    paid: frozenset[int],
    by_day: dict[int, int | None],
    streak: int,
    rank_step: int,
    rank_level: int,
    use_rank: bool,
    extra_day: int,
    extra_type: str,
) -> None:
    """Units are never negative, never more than points × 10^scale, and adding one
    event never lowers the points or the units."""
    policy = VARIANT_POLICY if use_rank else DEFAULT_POLICY

    def score(counts_now: dict[int, dict[str, int]]) -> WeeklyScore:
        if use_rank:
            state = RankState(rank_step, rank_level)
            return score_week(policy, WEEK, counts_now, paid, by_day, rank_before=state)
        return score_week(policy, WEEK, counts_now, paid, by_day, streak_before_weeks=streak)

    before = score(counts)
    check_bounds(policy, before)
    more = {day: dict(by_type) for day, by_type in counts.items()}
    day_counts = more.setdefault(extra_day, {})
    day_counts[extra_type] = day_counts.get(extra_type, 0) + 1
    after = score(more)
    check_bounds(policy, after)
    assert after.points >= before.points
    assert after.units >= before.units


# --- the uniform fast path equals the reference --------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    counts=counts_strategy,
    level=st.sampled_from([None, 1, 2, 3, 4, 5]),
    paid=st.booleans(),
    streak=st.integers(min_value=0, max_value=12),
)
def test_uniform_fast_path_equals_the_reference(
    counts: dict[int, dict[str, int]], level: int | None, paid: bool, streak: int
) -> None:
    """On a week with one level and one membership status, the two sums carry all the
    counts say: points, units and streak equal ``score_week``'s, to the digit."""
    policy = DEFAULT_POLICY
    reference = score_week(
        policy,
        WEEK,
        counts,
        ALL_DAYS if paid else frozenset(),
        levels(level),
        streak_before_weeks=streak,
    )
    base_points, counted_events = RateTable.of(policy).week_sums(counts)
    fast = score_uniform_week(
        policy,
        base_points=base_points,
        counted_events=counted_events,
        level=level,
        paid=paid,
        streak_before_weeks=streak,
    )
    assert fast.points == reference.points
    assert fast.units == reference.units
    assert fast.streak_weeks == reference.streak_weeks
    assert reference.counted_events == (counted_events if paid else 0)


def test_uniform_fast_path_golden_and_refusals(default: Policy, variant: Policy) -> None:
    """The SPEC's example member through the fast path is 1 584 STK too."""
    base_points, counted_events = RateTable.of(default).week_sums({D[2]: GOLDEN_DAY})
    assert (base_points, counted_events) == (960, 19)
    fast = score_uniform_week(
        default,
        base_points=base_points,
        counted_events=counted_events,
        level=3,
        paid=True,
        streak_before_weeks=3,
    )
    assert (fast.points, fast.streak_weeks) == (Decimal(1584), 4)
    assert fast.units == 1_584 * STK
    with pytest.raises(ValueError, match="rank_ladder"):
        score_uniform_week(
            variant, base_points=1, counted_events=1, level=1, paid=True, streak_before_weeks=0
        )
    with pytest.raises(ValueError, match="level 9"):
        score_uniform_week(
            default, base_points=1, counted_events=1, level=9, paid=True, streak_before_weeks=0
        )
