"""``automatic = true``: the quarterly run's stabilise stage executes the decision at
once, approved by ``policy`` (ADR 0034); a buyback cannot be automatic (the policy has
no budget for it), so a policy file saying so is refused at load. Policies are built in
the test; policies/*.toml are never edited."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from systok.core.policy.parse import parse_policy
from systok.db.kit import stabilisation_overrides_t
from systok.errors import PolicyInvalid
from tests.quarter.test_stabilise import run_q1, stored
from tests.stabilisation.world import FEE_FIRES, with_rules

POLICY_FILE = Path(__file__).parents[2] / "policies" / "stk-2025-12.toml"


def test_automatic_rules_store_their_overrides_in_the_stage(engine: Engine) -> None:
    """Inflation 12 %/yr > 10 fires the emission step (2 500 bps), velocity 0.216 > 0.1
    the fee step (10 bps): both effective 2026-Q2, decided by ``policy``."""
    policy = with_rules(
        emission_adjustment={"automatic": True},
        fee_adjustment={**FEE_FIRES, "automatic": True},
    )
    run_q1(engine, policy)
    found = stored(engine)
    for rule in ("emission_adjustment", "fee_adjustment"):
        assert (found[rule]["status"], found[rule]["decided_by"]) == ("approved", "policy")
    assert found["buyback"]["status"] == "proposed"  # not automatic: waits for a budget
    with engine.connect() as connection:
        rows = connection.execute(select(stabilisation_overrides_t)).mappings().all()
    assert sorted((r["quarter"], r["kind"], r["step_bps"]) for r in rows) == [
        ("2026-Q2", "emission", 2500),
        ("2026-Q2", "transfer_fee", 10),
    ]


def test_an_automatic_buyback_built_in_code_still_waits_for_a_budget(engine: Engine) -> None:
    """The load check cannot see a policy built in code: the stage leaves it proposed."""
    run_q1(engine, with_rules(buyback={"automatic": True}))
    found = stored(engine)["buyback"]
    assert (found["status"], found["automatic"], found["decided_by"]) == ("proposed", True, None)


def test_a_policy_with_an_automatic_buyback_is_refused_at_load() -> None:
    text = POLICY_FILE.read_text(encoding="utf-8")
    section = text.index("[stabilisation.buyback]")
    flag = text.index("automatic = false", section)
    changed = text[:flag] + "automatic = true" + text[flag + len("automatic = false") :]
    with pytest.raises(PolicyInvalid) as refused:
        parse_policy(changed, "automatic-buyback.toml")
    message = str(refused.value)
    assert "stabilisation.buyback.automatic" in message
    assert "a buyback cannot be automatic: its budget is given at approval" in message
