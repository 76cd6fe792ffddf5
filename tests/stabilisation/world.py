"""The quarter world of ``tests.quarter.test_stabilise`` (2026-Q1 settled on 2026-04-02:
inflation 12 %/yr fires ``emission_adjustment``, a 25 % price fall fires ``buyback``),
with policy variants built here (policies/*.toml are never edited)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from systok.core.policy import Policy
from systok.core.times import datetime_to_us
from systok.db.engine import run_transaction
from systok.db.kit import stabilisation_proposals_t
from systok.stabilisation.service import approve
from tests.quarter.health_world import NOW
from tests.quarter.world import POLICY

NOW_US = datetime_to_us(NOW)


def with_rules(**changes: dict[str, Any]) -> Policy:
    """POLICY with some fields of some stabilisation rules replaced."""
    rules = dict(POLICY.stabilisation)
    for name, fields in changes.items():
        rules[name] = replace(rules[name], **fields)
    return replace(POLICY, stabilisation=rules)


FEE_FIRES = {"trigger_above": Decimal("0.1")}
"""Velocity 240/1109 ≈ 0.216 is above 0.1: the fee rule (step 10 bps) fires."""


def proposal_id(engine: Engine, rule: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                select(stabilisation_proposals_t.c.id).where(
                    stabilisation_proposals_t.c.rule == rule
                )
            ).scalar_one()
        )


def approve_rule(
    engine: Engine, policy: Policy, rule: str, *, budget: str | None = None, now_us: int = NOW_US
) -> Any:
    found = proposal_id(engine, rule)
    return run_transaction(
        engine,
        lambda s: approve(s, policy, found, by="ann", reason=None, now_us=now_us, budget=budget),
    )
