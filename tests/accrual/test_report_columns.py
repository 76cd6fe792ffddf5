"""The weekly CSV has exactly the policy's ``reports.weekly_csv_columns`` (ADR 0020)."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from systok.accrual.report import rewards_csv
from systok.core.policy import Policy
from systok.errors import RunError
from systok.policy_files import load_policy_file

SHIPPED = Path(__file__).resolve().parents[2] / "policies" / "stk-2025-12.toml"
SUNDAY = date(2026, 2, 1)
REWARDS = [
    SimpleNamespace(member_id="m1", points=1584, paid_units=1_584_000_000),
    SimpleNamespace(member_id="m2", points=7, paid_units=6_999_999),
]


def with_columns(*columns: str) -> Policy:
    policy = load_policy_file(SHIPPED)
    return dataclasses.replace(
        policy, reports=dataclasses.replace(policy.reports, weekly_csv_columns=columns)
    )


def test_the_shipped_policy_writes_the_seeds_three_columns() -> None:
    policy = load_policy_file(SHIPPED)
    assert policy.reports.weekly_csv_columns == ("date", "user_id", "points")
    assert rewards_csv(REWARDS, SUNDAY, policy) == (
        "date,user_id,points\n2026-02-01,m1,1584\n2026-02-01,m2,7\n"
    )


def test_a_policy_listing_amount_gets_the_stk_paid_to_the_unit_in_its_order() -> None:
    assert rewards_csv(REWARDS, SUNDAY, with_columns("user_id", "amount", "points", "date")) == (
        "user_id,amount,points,date\nm1,1584.000000,1584,2026-02-01\nm2,6.999999,7,2026-02-01\n"
    )


def test_an_unknown_column_is_refused_naming_it_and_the_known_ones() -> None:
    with pytest.raises(RunError) as refused:
        rewards_csv(REWARDS, SUNDAY, with_columns("date", "user_id", "wallet"))
    message = str(refused.value)
    assert "reports.weekly_csv_columns names ['wallet']" in message
    assert "['amount', 'date', 'points', 'user_id']" in message
