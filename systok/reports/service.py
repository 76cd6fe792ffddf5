"""``quarterly_report``: a closed quarter's report, read only from what is stored.

The CLI (``systok report quarterly``) and the public API
(``GET /tokenomics/reports/quarterly``) both call ``quarterly_report``; the public one
asks with ``public=True`` and is refused unless the quarter's policy publishes reports
(``reports.quarterly_published``). Vesting releases are totals: per fund, and the
sale's buyers counted, never named. Definitions: docs/quarter.md §"The quarterly report"
and ADR 0031. Nothing is computed that the quarterly run stores (health readings,
redistributions, the price): a section whose rows do not exist is null and its reason is
in ``missing``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from systok.backing import repository as backing_repo
from systok.backing.service import backing_book
from systok.core.amount import STK
from systok.core.distribution import (
    TypeTotals,
    gini_text,
    lorenz_points,
    supply_of,
    top_holders,
)
from systok.core.health import fraction_text
from systok.core.ledger import AccountType
from systok.core.policy import Policy
from systok.core.quarters import Quarter
from systok.core.times import datetime_to_us, us_to_datetime, us_to_iso
from systok.errors import ReportNotPublished, ReportQuarterInvalid, ReportQuarterOpen
from systok.health import repository as health_repo
from systok.health.schemas import QUARTER, Period
from systok.health.service import bounds_of, period_policy, stored_readings
from systok.quarter.repository import balances_at
from systok.quarter.schemas import Stage
from systok.quarter.service import stored_summary
from systok.reports import repository as repo
from systok.reports.schemas import (
    AccountEmission,
    FundRelease,
    HeldAsset,
    LorenzPoint,
    PriceSection,
    QuarterlyReport,
    QuarterPoint,
    RankedHolder,
    Reading,
    RedistributionTotals,
    VestingTotals,
)

HEALTH_SECTIONS = {
    "active_wallets": "active_wallets",
    "inflation": "inflation_yearly",
    "velocity": "velocity",
    "treasury": "treasury",
}
"""Report section → the stored health metric it shows."""
HISTORY_QUARTERS = 8
"""How many quarters (the report's and those before it) the history shows: two years."""


def parse_quarter(text: str) -> Quarter:
    """A quarter like ``2026-Q3``.

    Raises:
        ReportQuarterInvalid: naming ``quarter`` and the reason.
    """
    try:
        return Quarter.parse(text.strip().upper())
    except ValueError as error:
        raise ReportQuarterInvalid(
            f"quarter: {text!r} is not a quarter like 2026-Q3 ({error})"
        ) from None


def report_policy(quarter: Quarter) -> Policy:
    """The policy in force for the quarter's last week: the one its report follows."""
    return period_policy(Period(QUARTER, quarter))


def quarterly_report(
    session: Session, policy: Policy, quarter: Quarter, *, now: datetime, public: bool = False
) -> QuarterlyReport:
    """The report of a closed quarter (docs/cli-json.md, ADR 0031).

    Raises:
        ReportQuarterOpen: the quarter has not closed at ``now``.
        ReportNotPublished: ``public`` and the policy does not publish quarterly reports.
    """
    if not quarter.is_closed_at(now):
        raise ReportQuarterOpen(
            f"quarter: {quarter} is still open (it closes {quarter.end.isoformat()}); "
            "its report is made from the closed quarter"
        )
    if public and not policy.reports.quarterly_published:
        raise ReportNotPublished(
            f"quarter: policy {policy.version} does not publish quarterly reports "
            "(reports.quarterly_published is false)"
        )
    start_us, end_us = datetime_to_us(quarter.start), datetime_to_us(quarter.end)
    missing: list[str] = []
    posted_end = health_repo.posted_by_type(session, STK, end_us)
    held_end = health_repo.held_by_type(session, STK, end_us)
    burn_start = health_repo.posted_by_type(session, STK, start_us).get(AccountType.BURN.value, 0)
    # The supply identity at the close; accounts are not counted at a past instant (0).
    supply = supply_of(
        {
            kind: TypeTotals(0, posted_end.get(kind, 0), held_end.get(kind, 0))
            for kind in set(posted_end) | set(held_end)
        }
    )
    emitted = repo.emission_credits(session, STK, start_us, end_us)
    balances = sorted(
        parts[AccountType.MEMBER.value]
        for parts in balances_at(session, STK, end_us).values()
        if parts.get(AccountType.MEMBER.value, 0) > 0
    )
    rewards_units, rewarded = repo.rewards_paid(session, STK, start_us, end_us)
    return QuarterlyReport(
        quarter=str(quarter),
        start=us_to_iso(start_us),
        close=us_to_iso(end_us),
        policy_version=policy.version,
        asset=STK,
        scale=policy.stk_scale,
        quote_asset=policy.price.quote_asset,
        quote_scale=policy.assets[policy.price.quote_asset].scale,
        emission_units=sum(emitted.values()),
        emission_by_account=[AccountEmission(k, emitted[k]) for k in sorted(emitted)],
        burned_units=posted_end.get(AccountType.BURN.value, 0) - burn_start,
        supply_units=supply.supply_units,
        circulating_units=supply.circulating_units,
        frozen_units=supply.frozen_units,
        holders=len(balances),
        top_holders=[
            RankedHolder(h.rank, h.units, h.share_bps)
            for h in top_holders(balances, policy.reports.top_holders_count)
        ],
        gini=gini_text(balances),
        lorenz=[LorenzPoint(p.holders, p.units) for p in lorenz_points(balances)],
        transaction_volume_units=repo.transfer_volume(session, STK, start_us, end_us),
        rewards_units=rewards_units,
        rewarded_members=rewarded,
        # rounding: floor; the remainder is not shown (an average, not a payment).
        average_reward_units=rewards_units // rewarded if rewarded else None,
        **_health(session, policy, quarter, missing),
        redistribution=_redistribution(session, quarter, missing),
        vesting=_vesting(session, quarter, missing),
        price=_price(session, policy, quarter, missing),
        history=_history(session, quarter),
        missing=missing,
    )


def _health(
    session: Session, policy: Policy, quarter: Quarter, missing: list[str]
) -> dict[str, Reading | None]:
    stored = {r.metric: r for r in stored_readings(session, Period(QUARTER, quarter))}
    found: dict[str, Reading | None] = {}
    for section, metric in HEALTH_SECTIONS.items():
        reading = stored.get(metric)
        if reading is None:
            missing.append(
                f"{section}: no stored health reading {metric} for {quarter} "
                "(the quarterly run's health stage has not run)"
            )
            found[section] = None
            continue
        value = reading.value
        found[section] = Reading(
            None if value is None else fraction_text(value),
            None if value is None else value.numerator,
            None if value is None else value.denominator,
            reading.unit,
            str(reading.status),
            **bounds_of(policy, metric),
        )
    return found


def _redistribution(
    session: Session, quarter: Quarter, missing: list[str]
) -> RedistributionTotals | None:
    summary = stored_summary(session, quarter)
    if summary is None or summary.stage in (Stage.SNAPSHOT, Stage.REDISTRIBUTE):
        state = "has no run" if summary is None else f"has a run at stage {summary.stage}"
        missing.append(
            f"redistribution: {quarter} {state} (the redistribute stage has not committed)"
        )
        return None
    return RedistributionTotals(
        members=summary.members,
        redistributed_members=summary.redistributed_members,
        due_units=summary.due_units,
        moved_units=summary.moved_units,
        warnings=summary.warnings,
        out_of_reach_units=summary.wallet_units,
    )


def _vesting(session: Session, quarter: Quarter, missing: list[str]) -> VestingTotals | None:
    summary = stored_summary(session, quarter)
    if summary is None or summary.stage in (Stage.SNAPSHOT, Stage.REDISTRIBUTE, Stage.VEST):
        state = "has no run" if summary is None else f"has a run at stage {summary.stage}"
        missing.append(f"vesting: {quarter} {state} (the vest stage has not committed)")
        return None
    sale = [t for t in summary.tranches if t.kind == "sale"]
    return VestingTotals(
        funds=[
            FundRelease(t.grantee, t.released_units) for t in summary.tranches if t.kind == "fund"
        ],
        sale_members=len(sale),
        sale_units=sum(t.released_units for t in sale),
    )


def _price(
    session: Session, policy: Policy, quarter: Quarter, missing: list[str]
) -> PriceSection | None:
    stored = backing_repo.price_of(session, quarter)
    if stored is None:
        missing.append(
            f"price: no directive price was set for {quarter} "
            "(the run's price stage has not run, or no STK had been issued)"
        )
        return None
    return PriceSection(
        quote_asset=stored.quote_asset,
        price_units=stored.price_units,
        backing_units=stored.backing_units,
        issued_units=stored.issued_units,
        inputs=stored.inputs,
        policy_version=stored.policy_version,
        set_at=us_to_iso(stored.set_at_us),
        backing_by_asset=[
            HeldAsset(asset, units)
            for asset, units in backing_book(session, policy, quarter).fund_by_asset().items()
        ],
    )


def _history(session: Session, quarter: Quarter) -> list[QuarterPoint]:
    """Supply at each close and the directive price, from the quarter of the ledger's
    first entry (at most ``HISTORY_QUARTERS`` back) to ``quarter``."""
    first_us = repo.first_entry_us(session, STK)
    if first_us is None:
        return []
    quarters = [quarter]
    first = Quarter.containing(us_to_datetime(first_us))
    while len(quarters) < HISTORY_QUARTERS and quarters[0] > first:
        quarters.insert(0, quarters[0].previous())
    prices = repo.prices_between(session, str(quarters[0]), str(quarter))
    points = []
    for each in quarters:
        posted = health_repo.posted_by_type(session, STK, datetime_to_us(each.end))
        supply = supply_of({k: TypeTotals(0, units, 0) for k, units in posted.items()})
        points.append(QuarterPoint(str(each), supply.supply_units, prices.get(str(each))))
    return points
