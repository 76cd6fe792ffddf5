"""Policy text → ``Policy``: raw validation and every semantic check in one pass, then build."""

from __future__ import annotations

import hashlib
import tomllib
from decimal import Decimal
from types import MappingProxyType

from pydantic import ValidationError

from systok.core.amount import STK, parse_amount
from systok.core.policy.canonical import canonical_json
from systok.core.policy.checks import (
    Problems,
    check_events,
    check_health,
    check_scoring,
    check_slashing,
)
from systok.core.policy.emission import Emission, HalvingEmission, QuarterlyDecayEmission
from systok.core.policy.messages import TOML_WHERE, clean_loc, pydantic_reason
from systok.core.policy.model import (
    Asset,
    Backing,
    Conversion,
    DirectivePrice,
    Eligibility,
    EventRule,
    Fund,
    Funds,
    HealthMetric,
    Ingestion,
    InitialSale,
    Policy,
    Reports,
    Schedule,
    Service,
    Slashing,
    SlashingTier,
    StabilisationRule,
    TransferFee,
    Transfers,
    Vesting,
    VestingRule,
)
from systok.core.policy.money_checks import (
    check_amounts,
    check_emission,
    check_references,
    check_splits,
)
from systok.core.policy.raw import RawHalving, RawPolicyFile, RawWeightedDailyCaps
from systok.core.policy.scoring import (
    ConsistencyStep,
    QualificationLevel,
    RankLadder,
    RankLevel,
    Scoring,
    WeightedDailyCaps,
)
from systok.core.weeks import IsoWeek
from systok.errors import PolicyInvalid

SEMANTIC_CHECKS = (
    check_amounts,
    check_events,
    check_scoring,
    check_splits,
    check_slashing,
    check_emission,
    check_health,
    check_references,
)


def parse_policy(text: str, source: str) -> Policy:
    """Parse the text of a policy file into a frozen ``Policy``.

    Args:
        text: the TOML text.
        source: where it came from (a file path), used in every problem.

    Raises:
        PolicyInvalid: listing every problem found (a TOML syntax error is a single
            problem located by line and column, since nothing else can be read).
    """
    problems = Problems(source)
    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        where = TOML_WHERE.search(message)
        location = where.group(1) if where else "(syntax)"
        reason = TOML_WHERE.sub("", message) if where else message
        problems.add([location], f"TOML syntax error: {reason}")
        raise PolicyInvalid(problems.items) from None

    raw: RawPolicyFile | None = None
    try:
        raw = RawPolicyFile.model_validate(data)
    except ValidationError as error:
        for item in error.errors():
            problems.add(clean_loc(item["loc"], data), pydantic_reason(item))
    for check in SEMANTIC_CHECKS:
        check(data, problems)
    if problems.items or raw is None:
        raise PolicyInvalid(problems.items)
    return _build(raw, source)


def _build(raw: RawPolicyFile, source: str) -> Policy:
    """Convert a checked raw model into the domain ``Policy`` (cannot fail after checks)."""
    scale = raw.assets[STK].scale

    def units(amount: Decimal) -> int:
        return parse_amount(amount, scale)

    scoring: Scoring
    if isinstance(raw.scoring, RawWeightedDailyCaps):
        scoring = WeightedDailyCaps(
            model="weighted_daily_caps",
            levels=MappingProxyType(
                {
                    int(k): QualificationLevel(int(k), lv.name, lv.coefficient)
                    for k, lv in sorted(raw.scoring.levels.items(), key=lambda kv: int(kv[0]))
                }
            ),
            consistency=tuple(
                ConsistencyStep(int(k), c)
                for k, c in sorted(raw.scoring.consistency.items(), key=lambda kv: int(kv[0]))
            ),
            active_week_min_counted_events=raw.scoring.active_week.min_counted_events,
        )
    else:
        rank = raw.scoring
        scoring = RankLadder(
            model="rank_ladder",
            levels=MappingProxyType(
                {
                    int(k): RankLevel(int(k), lv.name, lv.base_cap_daily, lv.multiplier)
                    for k, lv in sorted(rank.levels.items(), key=lambda kv: int(kv[0]))
                }
            ),
            weeks_to_next_level=rank.weeks_to_next_level,
            rise_steps_per_full_week=rank.rise_steps_per_full_week,
            fall_steps_per_inactive_week=rank.fall_steps_per_inactive_week,
            full_week_active_days=rank.full_week_active_days,
            inactive_week_max_active_days=rank.inactive_week_max_active_days,
            active_day_min_counted_events=rank.active_day_min_counted_events,
            between_levels=rank.between_levels,
            floor_level=rank.floor_level,
        )

    emission: Emission
    if isinstance(raw.emission, RawHalving):
        halving = raw.emission
        emission = HalvingEmission(
            kind="halving",
            genesis_date=halving.genesis_date,
            period=halving.period,
            yearly_amount=units(halving.yearly_amount),
            halving_interval_years=halving.halving_interval_years,
            days_per_year=halving.days_per_year,
            amount_quantum=units(halving.amount_quantum),
            rounding=halving.rounding,
        )
    else:
        decay = raw.emission
        emission = QuarterlyDecayEmission(
            kind="quarterly_decay",
            genesis_date=decay.genesis_date,
            period=decay.period,
            total_supply=units(decay.total_supply),
            first_quarter_amount=units(decay.first_quarter_amount),
            amount_quantum=units(decay.amount_quantum),
            rounding=decay.rounding,
            tail=decay.tail,
        )

    sale = raw.initial_sale
    fee = raw.transfer_fee
    data = raw.model_dump(mode="python", exclude_none=True)
    canonical = canonical_json(data)
    return Policy(
        version=raw.policy.version,
        title=raw.policy.title,
        effective_from=IsoWeek.parse(raw.policy.effective_from),
        sources=tuple(raw.policy.sources),
        content_hash=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        assets=MappingProxyType({c: Asset(c, a.scale) for c, a in raw.assets.items()}),
        events=MappingProxyType(
            {
                name: EventRule(name, e.weight, e.limit_daily, e.reward_type)
                for name, e in raw.events.items()
            }
        ),
        conversion=Conversion(
            raw.conversion.stk_per_point, raw.conversion.rounding, raw.conversion.remainder_to
        ),
        scoring=scoring,
        eligibility=Eligibility(
            raw.eligibility.paid_members_only,
            raw.eligibility.membership_product,
            raw.eligibility.membership_period_months,
        ),
        vesting=Vesting(
            cancelled_to=raw.vesting.cancelled_to,
            reward_types=MappingProxyType(
                {k: VestingRule(k, v.vesting_days) for k, v in raw.vesting.reward_types.items()}
            ),
        ),
        slashing=Slashing(
            period=raw.slashing.period,
            to=raw.slashing.to,
            rounding=raw.slashing.rounding,
            tiers=tuple(
                SlashingTier(t.from_days, t.to_days, t.rate_bps, t.warn) for t in raw.slashing.tiers
            ),
        ),
        emission=emission,
        funds=Funds(
            remainder_to=raw.funds.remainder_to,
            split=MappingProxyType(
                {
                    name: Fund(name, f.account, f.share_bps, f.vesting_days)
                    for name, f in raw.funds.split.items()
                }
            ),
        ),
        backing=Backing(
            raw.backing.subscriptions_share_bps,
            raw.backing.donations_share_bps,
            tuple(raw.backing.reserve_assets),
        ),
        initial_sale=(
            InitialSale(sale.share_bps_min, sale.share_bps_max, sale.vesting_days, sale.buyers)
            if sale is not None
            else None
        ),
        services=MappingProxyType(
            {
                sid: Service(
                    service_id=sid,
                    name=s.name,
                    price=units(s.price),
                    period_days=s.period_days,
                    split_bps=MappingProxyType(dict(s.split_bps)),
                    remainder_to=s.remainder_to,
                    payees=MappingProxyType(dict(s.payees)),
                )
                for sid, s in raw.services.items()
            }
        ),
        transfer_fee=TransferFee(
            rate_bps=fee.rate_bps,
            rounding=fee.rounding,
            min_fee=units(fee.min_fee),
            max_fee=units(fee.max_fee) if fee.max_fee is not None else None,
            to=fee.to,
        ),
        transfers=Transfers(raw.transfers.recipients),
        stabilisation=MappingProxyType(
            {
                name: StabilisationRule(
                    name,
                    r.metric,
                    r.trigger_below,
                    r.trigger_above,
                    r.action,
                    r.step_bps,
                    r.automatic,
                )
                for name, r in raw.stabilisation.items()
            }
        ),
        health=MappingProxyType(
            {
                name: HealthMetric(
                    name, h.unit, h.target_min, h.target_max, h.critical_below, h.critical_above
                )
                for name, h in raw.health.items()
            }
        ),
        price=DirectivePrice(
            raw.price.model,
            raw.price.period,
            raw.price.quote_asset,
            raw.price.subscription_share_bps,
            raw.price.one_off_spread_quarters,
            raw.price.rounding,
        ),
        ingestion=Ingestion(
            raw.ingestion.max_future_skew_seconds,
            raw.ingestion.max_age_days,
            raw.ingestion.weekly_grace_hours,
        ),
        schedule=Schedule(
            raw.schedule.aggregate_by_hour,
            raw.schedule.score_by_hour,
            raw.schedule.report_by_hour,
            raw.schedule.payout_by_hour,
            raw.schedule.notify_at_hour,
        ),
        reports=Reports(
            raw.reports.top_holders_count,
            tuple(raw.reports.weekly_csv_columns),
            raw.reports.quarterly_published,
        ),
        canonical_json=canonical,
        source=source,
    )
