"""``verify week`` and an emission override approved in the middle of its quarter
(issue 13, ADR 0034): a week keeps the factor in force when it scored.

The world: 2026-Q1 is run at 2026-04-02 12:00 UTC and proposes an emission step of
2 500 bps for 2026-Q2. Week 2026-W16 (04-13 … 04-19) settles at 04-21 12:00; the
approval comes at 04-25; week 2026-W17 (04-20 … 04-26) settles at 04-28. W16 scored
before the approval, so it minted the policy's 19 178 082 000 000 units (factor
10 000); W17 scored after it, so 19 178 082 000 000 × 7 500 / 10 000 =
14 383 561 500 000 units (floored; exact here).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from systok.accrual.service import WeeklyRun
from systok.accrual.verify import verify_week
from systok.core.times import datetime_to_us
from systok.core.weeks import IsoWeek
from tests.ledger.test_audit import tamper
from tests.quarter.test_stabilise import run_q1
from tests.quarter.world import POLICY
from tests.stabilisation.test_emission_override import (
    Q2_WEEK,
    SLOWED_UNITS,
    WEEK_UNITS,
    run_row,
    weekly,
)
from tests.stabilisation.world import approve_rule

W17 = IsoWeek(2026, 17)
APPROVED = datetime(2026, 4, 25, tzinfo=UTC)
W17_SETTLED = datetime(2026, 4, 28, 12, tzinfo=UTC)


def settle_w16_approve_settle_w17(engine: Engine, tmp_path: Path) -> None:
    run_q1(engine)
    weekly(engine, Q2_WEEK, tmp_path)  # scored 2026-04-21 12:00, before the approval
    approve_rule(engine, POLICY, "emission_adjustment", now_us=datetime_to_us(APPROVED))
    clock = lambda: datetime_to_us(W17_SETTLED)  # noqa: E731
    WeeklyRun(engine, POLICY, reports_dir=tmp_path, clock=clock).run(W17)


def test_weeks_before_and_after_a_late_approval_both_verify(engine: Engine, tmp_path: Path) -> None:
    """The reviewer's probe: W16 settled before the approval keeps 10 000 bps and still
    verifies; W17 settled after it applies 7 500 bps and verifies too."""
    settle_w16_approve_settle_w17(engine, tmp_path)
    w16, w17 = run_row(engine, Q2_WEEK), run_row(engine, W17)
    assert (w16["emission_units"], w16["emission_factor_bps"]) == (WEEK_UNITS, 10_000)
    assert (w17["emission_units"], w17["emission_factor_bps"]) == (SLOWED_UNITS, 7_500)
    assert verify_week(engine, POLICY, Q2_WEEK) == []
    assert verify_week(engine, POLICY, W17) == []


def test_a_factor_other_than_the_one_in_force_is_named_both_ways(
    engine: Engine, tmp_path: Path
) -> None:
    """W16 claiming the step it scored before, and W17 claiming none though the step was
    in force, are each named (emission kept consistent, so only the factor differs)."""
    settle_w16_approve_settle_w17(engine, tmp_path)
    tamper(
        engine,
        f"UPDATE accrual_runs SET emission_factor_bps = 7500, emission_units = {SLOWED_UNITS} "
        f"WHERE week = '{Q2_WEEK}'",
    )
    tamper(
        engine,
        f"UPDATE accrual_runs SET emission_factor_bps = 10000, emission_units = {WEEK_UNITS} "
        f"WHERE week = '{W17}'",
    )
    assert verify_week(engine, POLICY, Q2_WEEK) == [
        "emission factor: the run applied 7500 bps; when it scored "
        "(2026-04-21T12:00:00.000000Z) the override approved at "
        "2026-04-25T00:00:00.000000Z of 2026-Q2 gave 10000 bps"
    ]
    assert verify_week(engine, POLICY, W17) == [
        "emission factor: the run applied 10000 bps; when it scored "
        "(2026-04-28T12:00:00.000000Z) the override approved at "
        "2026-04-25T00:00:00.000000Z of 2026-Q2 gave 7500 bps"
    ]


def test_a_backdated_approval_is_named_on_the_week_it_would_have_slowed(
    engine: Engine, tmp_path: Path
) -> None:
    """Moving the override's approval before W16 scored makes W16's 10 000 bps wrong."""
    settle_w16_approve_settle_w17(engine, tmp_path)
    backdated = datetime_to_us(datetime(2026, 4, 20, tzinfo=UTC))
    tamper(engine, f"UPDATE stabilisation_overrides SET recorded_at_us = {backdated}")
    assert verify_week(engine, POLICY, Q2_WEEK) == [
        "emission factor: the run applied 10000 bps; when it scored "
        "(2026-04-21T12:00:00.000000Z) the override approved at "
        "2026-04-20T00:00:00.000000Z of 2026-Q2 gave 7500 bps"
    ]
    assert verify_week(engine, POLICY, W17) == []
