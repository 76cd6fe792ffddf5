"""Every policy field is consumed or declared: tools/check_policy_fields.py."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

from systok.core.policy import Policy
from systok.core.policy.status import Status, status_of
from tests.core.tool_loader import ROOT, load_tool

TOOL = ROOT / "tools" / "check_policy_fields.py"


def test_every_policy_field_is_consumed_or_declared() -> None:
    result = subprocess.run(
        [sys.executable, str(TOOL)], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_made_up_unconsumed_field_fails_the_check() -> None:
    tool = load_tool("check_policy_fields")
    widened = dataclasses.make_dataclass(
        "PolicyWithAMadeUpKey",
        [("made_up_cap_days", int, dataclasses.field(default=0))],
        bases=(Policy,),
        frozen=True,
    )
    assert tool.unconsumed(widened) == ["made_up_cap_days"]
    assert tool.unconsumed(Policy) == []


def test_the_walk_reaches_nested_fields_and_skips_bookkeeping() -> None:
    fields = load_tool("check_policy_fields").policy_fields()
    assert fields["funds.split.*.vesting_days"] == "vesting_days"
    assert fields["slashing.tiers[].rate_bps"] == "rate_bps"
    assert "scoring.levels.*.coefficient" in fields  # weighted_daily_caps
    assert "scoring.levels.*.base_cap_daily" in fields  # rank_ladder
    assert "canonical_json" not in fields and "source" not in fields
    assert "conversion.rounding" not in fields  # one-value literal: fixed by the parser


def test_statuses() -> None:
    assert status_of("funds.split.startup.vesting_days") is Status.ENFORCED  # ADR 0033
    assert status_of("schedule.accrual") is Status.ENFORCED  # ADR 0036
    assert status_of("backing.reserve_assets") is Status.ENFORCED  # ADR 0036
    assert status_of("eligibility.membership_period_months") is Status.DECLARED
    assert status_of("funds.split.*.share_bps") is Status.ENFORCED
    assert status_of("slashing.tiers[].rate_bps") is Status.ENFORCED  # ADR 0027
    assert status_of("policy.title") is Status.DESCRIPTIVE
    assert status_of("events.*.weight") is Status.ENFORCED
