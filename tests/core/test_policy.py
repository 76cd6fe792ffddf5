"""Policy parsing: the shipped files, golden numbers, the hash, and every problem at once."""

from __future__ import annotations

import dataclasses
import itertools
from decimal import Decimal
from pathlib import Path

import pytest

from systok.config import Settings
from systok.core.amount import BASIS_POINTS_WHOLE, decimal_to_units_floor, split_amount
from systok.core.events import KNOWN_EVENT_TYPES, RECEIVED_EVENT_TYPES
from systok.core.policy import (
    HalvingEmission,
    Policy,
    QuarterlyDecayEmission,
    RankLadder,
    Slashing,
    SlashingTier,
    WeightedDailyCaps,
    parse_policy,
    policy_diff,
)
from systok.core.vesting import vesting_days_for
from systok.core.weeks import IsoWeek
from systok.errors import PolicyInvalid, PolicyNotFound
from systok.policy_files import (
    default_policy,
    list_policies,
    load_policy,
    load_policy_file,
    policy_for_week,
)

POLICIES = Path(__file__).resolve().parents[2] / "policies"
DEFAULT_FILE = POLICIES / "stk-2025-12.toml"
VARIANT_FILE = POLICIES / "stk-2025-04.toml"
STK = 10**6  # base units per STK in both shipped policies


def slashing_tier_for(slashing: Slashing, days_inactive: int) -> SlashingTier:
    """The tier a member inactive for ``days_inactive`` days falls in."""
    for tier in slashing.tiers:
        if days_inactive >= tier.from_days and (
            tier.to_days is None or days_inactive < tier.to_days
        ):
            return tier
    raise ValueError(f"no slashing tier covers {days_inactive} days")


def default_text() -> str:
    return DEFAULT_FILE.read_text(encoding="utf-8")


def parse_default(text: str | None = None) -> Policy:
    return parse_policy(default_text() if text is None else text, source="stk-2025-12.toml")


def replace_once(text: str, old: str, new: str) -> str:
    """Edit the policy text, failing loudly if the anchor is not there exactly once."""
    assert text.count(old) == 1, f"anchor {old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


@pytest.fixture(scope="module")
def default() -> Policy:
    return load_policy_file(DEFAULT_FILE)


@pytest.fixture(scope="module")
def variant() -> Policy:
    return load_policy_file(VARIANT_FILE)


# --- the shipped files ------------------------------------------------------------------


def test_both_shipped_policies_parse(default: Policy, variant: Policy) -> None:
    assert default.version == "stk-2025-12"
    assert default.effective_from == IsoWeek(2025, 51)
    assert variant.version == "stk-2025-04"
    assert variant.effective_from == IsoWeek(2025, 15)
    assert isinstance(default.scoring, WeightedDailyCaps)
    assert isinstance(variant.scoring, RankLadder)
    assert isinstance(default.emission, HalvingEmission)
    assert isinstance(variant.emission, QuarterlyDecayEmission)
    assert len(default.content_hash) == 64
    assert default.content_hash != variant.content_hash
    assert default.assets["STK"].scale == 6
    assert default.assets["RUB"].scale == 2


def test_weights_and_daily_limits_match_the_seed_table(default: Policy) -> None:
    table = {  # [002 §Таблица активностей и весов]
        "SectionCompleted": (50, 5),
        "ExerciseSave": (100, 5),
        "ClubPostCreated": (200, 1),
        "ClubLikeGiven": (10, 5),
        "ClubLikeReceived": (20, 10),
        "ClubCommentCreated": (50, 5),
        "ClubCommentReceived": (50, 5),
    }
    for event_type, (weight, limit) in table.items():
        rule = default.events[event_type]
        assert (rule.weight, rule.limit_daily) == (weight, limit), event_type
    assert default.events["PageView"].weight == 0
    assert set(default.events) == KNOWN_EVENT_TYPES
    assert {"ClubCommentReceived", "ClubLikeReceived"} == RECEIVED_EVENT_TYPES


def test_coefficients_and_the_golden_example(default: Policy) -> None:
    scoring = default.scoring
    assert isinstance(scoring, WeightedDailyCaps)
    assert [lv.coefficient for lv in scoring.levels.values()] == [
        Decimal(x) for x in ("1.0", "1.2", "1.5", "1.8", "2.2", "2.6", "3.0", "3.6")
    ]
    assert scoring.levels[3].name == "Практик"
    assert scoring.levels[8].name == "Общественный деятель"
    assert scoring.qualification_coefficient(3) == Decimal("1.5")
    assert scoring.consistency_coefficient(1) == Decimal("1.00")
    assert scoring.consistency_coefficient(2) == Decimal("1.02")
    assert scoring.consistency_coefficient(4) == Decimal("1.10")
    assert scoring.consistency_coefficient(5) == Decimal("1.20")
    assert scoring.consistency_coefficient(40) == Decimal("1.20")
    with pytest.raises(ValueError, match="level 9"):
        scoring.qualification_coefficient(9)
    # [002 §Пример расчёта]: 960 points × 1.5 × 1.10 = 1 584 STK.
    counts = {
        "SectionCompleted": 5,
        "ExerciseSave": 3,
        "ClubPostCreated": 1,
        "ClubLikeGiven": 5,
        "ClubLikeReceived": 3,
        "ClubCommentCreated": 2,
    }
    points = sum(default.events[t].weight * n for t, n in counts.items())
    assert points == 960
    stk = (
        points
        * scoring.qualification_coefficient(3)
        * scoring.consistency_coefficient(4)
        * default.conversion.stk_per_point
    )
    assert decimal_to_units_floor(stk, default.stk_scale) == 1_584 * STK


def test_funds_vesting_slashing_and_services(default: Policy) -> None:
    shares = default.funds.shares_bps()
    assert dict(shares) == {
        "rewards": 5000,
        "treasury": 2000,
        "startup": 1500,
        "team": 1000,
        "liquidity": 500,
    }
    assert sum(shares.values()) == BASIS_POINTS_WHOLE
    assert default.funds.split["rewards"].account == "pool:rewards"
    assert {k: v.vesting_days for k, v in default.vesting.reward_types.items()} == {
        "learning": 0,
        "club": 0,
        "peer_review": 30,
        "project": 90,
        "mentoring": 30,
        "referral": 90,
    }
    assert vesting_days_for(default, "PeerReviewCompleted") == 30
    assert [t.rate_bps for t in default.slashing.tiers] == [0, 500, 1000, 1500]
    assert slashing_tier_for(default.slashing, 89).rate_bps == 0
    assert slashing_tier_for(default.slashing, 90).rate_bps == 500
    assert slashing_tier_for(default.slashing, 90).warn
    assert slashing_tier_for(default.slashing, 365).rate_bps == 1500
    assert slashing_tier_for(default.slashing, 5000).rate_bps == 1500
    course = default.services["course_basic"]
    assert course.price == 500 * STK
    assert dict(course.split_bps) == {"author": 7000, "treasury": 3000}
    assert split_amount(course.price, list(course.split_bps.values())) == [350 * STK, 150 * STK]
    assert default.services["mentor_session_1h"].price == 200 * STK
    assert default.services["ai_agent_premium"].price == 1000 * STK
    assert default.transfer_fee.min_fee == 10_000  # 0.01 STK
    assert default.backing.subscriptions_share_bps == 5000
    assert default.eligibility.paid_members_only
    health = default.health["velocity"]
    assert (health.target_min, health.target_max) == (Decimal("0.5"), Decimal("2.0"))
    assert (health.critical_below, health.critical_above) == (Decimal("0.2"), Decimal(5))


def test_halving_emission_daily_amount(default: Policy) -> None:
    emission = default.emission
    assert isinstance(emission, HalvingEmission)
    assert emission.yearly_amount == 1_000_000_000 * STK
    assert emission.daily_amount(0) == 2_739_726 * STK  # [002 §График эмиссии]
    assert emission.daily_amount(3) == 2_739_726 * STK
    assert emission.daily_amount(4) == 1_369_863 * STK
    assert emission.week_amount(0) == 7 * 2_739_726 * STK
    assert emission.genesis_date.isoweekday() == 1


def test_quarterly_decay_reaches_the_cap_exactly(variant: Policy) -> None:
    emission = variant.emission
    assert isinstance(emission, QuarterlyDecayEmission)
    assert emission.total_supply == 21_000_000 * STK
    amounts = list(emission.quarter_amounts())
    assert amounts[0] == 500_000 * STK
    assert amounts[1] == 488_095 * STK  # floor(20 500 000 × 41/42 / 41) — ratio 41/42
    assert sum(amounts) == emission.total_supply
    assert all(a % STK == 0 for a in amounts)
    assert all(later <= earlier for earlier, later in itertools.pairwise(amounts[:-1]))


def test_rank_ladder_variant(variant: Policy) -> None:
    scoring = variant.scoring
    assert isinstance(scoring, RankLadder)
    assert scoring.weeks_to_next_level == 5
    assert scoring.full_week_active_days == 7
    assert scoring.floor_level == 1
    caps = [lv.base_cap_daily for lv in scoring.levels.values()]
    assert caps == sorted(caps) and len(set(caps)) == 8
    assert scoring.base_step(3) == 10
    assert variant.initial_sale is not None
    assert (variant.initial_sale.share_bps_min, variant.initial_sale.share_bps_max) == (500, 1000)
    assert variant.initial_sale.vesting_days == 365
    assert variant.events == variant.events  # same mapping type as the default


def test_policy_is_frozen(default: Policy) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        default.version = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        default.events["ExerciseSave"] = default.events["SectionCompleted"]  # type: ignore[index]


# --- the content hash -------------------------------------------------------------------


def test_hash_ignores_comments_whitespace_and_number_spelling(default: Policy) -> None:
    text = default_text()
    edited = "# a new comment at the top\n\n" + text.replace(
        "weight = 50       # Чтение раздела", "weight   =   50  # reworded comment"
    )
    edited = replace_once(edited, '4 = "1.10"', '4 = "1.1"')
    assert edited != text
    assert parse_default(edited).content_hash == default.content_hash
    assert parse_default(text).content_hash == default.content_hash


def test_hash_changes_when_a_number_changes(default: Policy) -> None:
    changed = replace_once(default_text(), "limit_daily = 10  #", "limit_daily = 11  #")
    other = parse_default(changed)
    assert other.content_hash != default.content_hash
    assert policy_diff(default, other) == [("events.ClubLikeReceived.limit_daily", 10, 11)]


def test_diff_between_the_shipped_policies(default: Policy, variant: Policy) -> None:
    assert policy_diff(default, default) == []
    changes = {key: (old, new) for key, old, new in policy_diff(variant, default)}
    assert changes["scoring.model"] == ("rank_ladder", "weighted_daily_caps")
    assert changes["emission.kind"] == ("quarterly_decay", "halving")
    assert changes["scoring.levels.3.coefficient"] == (None, "1.5")
    assert changes["emission.total_supply"] == ("21000000", None)
    assert "events.ExerciseSave.weight" not in changes


# --- refusals: every problem at once ------------------------------------------------------


def test_a_broken_copy_reports_every_problem_with_its_key_path() -> None:
    text = default_text()
    text = replace_once(text, "share_bps = 500    # Liquidity", "share_bps = 0    # Liquidity")
    text = replace_once(text, "weight = 10       #", "weight = -10       #")
    text = replace_once(text, "[events.PageView]", "[events.PageVisit]")
    text = replace_once(text, 'coefficient = "2.2"', 'coefficient = "1.7"')
    text = replace_once(text, "min_counted_events = 1", "min_counted_events = 1\nmax_events = 3")
    with pytest.raises(PolicyInvalid) as refused:
        parse_default(text)
    found = {(p.key_path, p.reason) for p in refused.value.problems}
    paths = {p.key_path for p in refused.value.problems}
    assert ("funds.split", "shares sum to 9500 bps; they must sum to 10000") in found
    assert ("events.ClubLikeGiven.weight", "must be ≥ 0 (got -10)") in found
    assert "events.PageVisit" in paths
    assert "scoring.levels.5.coefficient" in paths
    assert ("scoring.active_week.max_events", "unknown key") in found
    assert len(refused.value.problems) == 5
    assert all(p.file == "stk-2025-12.toml" for p in refused.value.problems)
    message = refused.value.message
    assert "5 problems" in message and "events.PageVisit: unknown event type" in message


@pytest.mark.parametrize(
    ("old", "new", "key_path", "reason_part"),
    [
        ("rate_bps = 1000 ", "rate_bps = 12000 ", "slashing.tiers[2].rate_bps", "≤ 10000"),
        ("from_days = 180", "from_days = 170", "slashing.tiers[2].from_days", "overlaps"),
        ('2 = "1.02"', '2 = "0.99"', "scoring.consistency.2", "must not decrease"),
        ('1 = "1.00"', '0 = "1.00"', "scoring.consistency.0", "whole numbers from 1"),
        ("[scoring.levels.8]", "[scoring.levels.9]", "scoring.levels", "without gaps"),
        ("scale = 6", "scale = 19", "assets.STK.scale", "≤ 18"),
        ('target_min = "0.5"', 'target_min = "0.1"', "health.velocity.target_min", "outside"),
        (
            'reward_type = "referral"',
            'reward_type = "x"',
            "events.ReferralConverted.reward_type",
            "not in vesting",
        ),
        ("author = 7000", "author = 6000", "services.course_basic.split_bps", "sum to 9000"),
        ('kind = "halving"', 'kind = "linear"', "emission", "unknown 'kind'"),
        ('model = "weighted_daily_caps"', 'model = "x"', "scoring", "unknown 'model'"),
        ('min_fee = "0.01"', 'min_fee = "0.0000001"', "transfer_fee.min_fee", "scale 6"),
        (
            "genesis_date = 2025-12-15",
            "genesis_date = 2025-12-16",
            "emission.genesis_date",
            "Monday",
        ),
        (
            'effective_from = "2025-W51"',
            'effective_from = "2025-51"',
            "policy.effective_from",
            "2025-W20",
        ),
        (
            'rounding = "floor"         # to the base',
            "rounding = 1         # to the base",
            "conversion.rounding",
            "must be 'floor'",
        ),
    ],
)
def test_each_semantic_rule_names_its_key(
    old: str, new: str, key_path: str, reason_part: str
) -> None:
    with pytest.raises(PolicyInvalid) as refused:
        parse_default(replace_once(default_text(), old, new))
    matching = [p for p in refused.value.problems if p.key_path == key_path]
    assert matching, [str(p) for p in refused.value.problems]
    assert any(reason_part in p.reason for p in matching), [str(p) for p in matching]


def test_toml_syntax_error_is_one_problem_with_line_and_column() -> None:
    with pytest.raises(PolicyInvalid) as refused:
        parse_policy("[policy]\nversion = \n", source="bad.toml")
    (problem,) = refused.value.problems
    assert problem.file == "bad.toml"
    assert problem.key_path == "line 2, column 11"
    assert "TOML syntax error" in problem.reason


def test_missing_sections_are_all_reported() -> None:
    with pytest.raises(PolicyInvalid) as refused:
        parse_policy("", source="empty.toml")
    paths = {p.key_path for p in refused.value.problems}
    assert {"policy", "events", "scoring", "emission", "funds"} <= paths


# --- choosing a policy (the I/O edge) ---------------------------------------------------------


def shipped(**overrides: object) -> Settings:
    return Settings(policy_dir=POLICIES, policy=None, **overrides)  # type: ignore[arg-type]


def test_policy_for_week_picks_the_latest_effective_one() -> None:
    settings = shipped()
    assert [p.version for p in list_policies(settings)] == ["stk-2025-04", "stk-2025-12"]
    assert policy_for_week(IsoWeek(2025, 15), settings).version == "stk-2025-04"
    assert policy_for_week(IsoWeek(2025, 50), settings).version == "stk-2025-04"
    assert policy_for_week(IsoWeek(2025, 51), settings).version == "stk-2025-12"
    assert policy_for_week(IsoWeek(2030, 1), settings).version == "stk-2025-12"
    assert default_policy(settings).version == "stk-2025-12"
    with pytest.raises(PolicyNotFound, match="2025-W14"):
        policy_for_week(IsoWeek(2025, 14), settings)


def test_a_pinned_version_wins() -> None:
    settings = Settings(policy_dir=POLICIES, policy="stk-2025-04")
    assert policy_for_week(IsoWeek(2030, 1), settings).version == "stk-2025-04"
    assert default_policy(settings).version == "stk-2025-04"


def test_load_policy_by_name_or_path_and_clear_not_found(tmp_path: Path) -> None:
    settings = shipped()
    assert load_policy("stk-2025-04", settings).version == "stk-2025-04"
    assert load_policy(str(DEFAULT_FILE), settings).version == "stk-2025-12"
    with pytest.raises(PolicyNotFound, match=r"stk-1999-01.*known: stk-2025-04, stk-2025-12"):
        load_policy("stk-1999-01", settings)
    with pytest.raises(PolicyNotFound, match="does not exist"):
        load_policy_file(tmp_path / "missing.toml")
    with pytest.raises(PolicyNotFound, match="does not exist"):
        list_policies(Settings(policy_dir=tmp_path / "nowhere", policy=None))


def test_folder_files_must_be_named_after_their_version(tmp_path: Path) -> None:
    (tmp_path / "renamed.toml").write_text(default_text(), encoding="utf-8")
    with pytest.raises(PolicyInvalid) as refused:
        list_policies(Settings(policy_dir=tmp_path, policy=None))
    assert refused.value.problems[0].key_path == "policy.version"
