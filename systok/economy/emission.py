"""Minting a period's emission from ``world`` into the funds, by the policy's split.

A fund with ``vesting_days > 0`` (the startup fund) is not credited its share at once:
the share goes to the fund's locked account ``fund:vesting:<fund>@STK`` and the
quarterly run's vest stage releases it into the fund's own account quarter by quarter
(``systok.quarter.stage_vest``, ADR 0033). A fund with ``vesting_days = 0`` is
credited at once.
"""

from __future__ import annotations

from systok.core.amount import STK
from systok.core.emission import fund_split
from systok.core.ledger import (
    AccountRef,
    AccountType,
    Posting,
    TransactionCode,
    TransactionDraft,
    system_account,
)
from systok.core.policy import Policy, QuarterlyDecayEmission
from systok.ledger.service import Ledger, PostedEntry


def fund_account(policy: Policy, fund_name: str) -> AccountRef:
    """The STK account a fund of the policy's split spends from."""
    fund = policy.funds.split[fund_name]
    return AccountRef(AccountType(fund.account), STK)


def locked_account(fund_name: str) -> AccountRef:
    """Where a vesting fund's share of each emission waits: ``fund:vesting:<fund>@STK``."""
    return AccountRef(AccountType.FUND_VESTING, STK, fund_name)


def emission_account(policy: Policy, fund_name: str) -> AccountRef:
    """The account a fund's share of an emission is credited to: the locked account of
    a vesting fund, else the fund's own account."""
    if policy.funds.split[fund_name].vesting_days > 0:
        return locked_account(fund_name)
    return fund_account(policy, fund_name)


def mint_emission(ledger: Ledger, policy: Policy, period: str, amount_units: int) -> PostedEntry:
    """Mint ``amount_units`` for ``period`` in one balanced transaction.

    One posting debits ``world``; one credit per fund, each floored from its share,
    with the rounding remainder going to the fund the policy names. The idempotency
    key is the period, so minting a period twice is a replay, never a second mint.
    """
    parts = fund_split(policy, amount_units)
    credits = [
        Posting(emission_account(policy, name), units)
        for name, units in sorted(parts.items())
        if units
    ]
    return ledger.post(
        TransactionDraft(
            code=TransactionCode.EMISSION,
            idempotency_key=f"emission:{policy.version}:{period}",
            reference=f"emission {period} ({policy.version})",
            postings=(Posting(system_account(AccountType.WORLD), -amount_units), *credits),
        )
    )


def issue_caps(policy: Policy) -> dict[str, int]:
    """What ``world`` may ever issue per asset under ``policy``: STK's
    ``emission.total_supply`` for a capped schedule (seed 001's 21 M), nothing for an
    uncapped one. ``systok ledger audit`` checks it (ADR 0041)."""
    if isinstance(policy.emission, QuarterlyDecayEmission):
        return {STK: policy.emission.total_supply}
    return {}
