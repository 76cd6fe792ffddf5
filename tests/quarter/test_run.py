"""The quarterly run on the database: golden redistribution, rerun, refusal, crash, verify."""

from __future__ import annotations

import pytest
import time_machine
from sqlalchemy import Engine, text, update

from systok.core.ledger import AccountType, member_account, system_account
from systok.core.quarters import Quarter
from systok.core.times import datetime_to_us
from systok.db.engine import run_transaction
from systok.db.kit import quarter_redistributions_t
from systok.db.tables import Base
from systok.errors import QuarterError
from systok.ledger.audit import audit_ledger
from systok.ledger.service import Ledger
from systok.policy_files import load_policy
from systok.quarter.schemas import Stage
from systok.quarter.service import QuarterRun
from systok.quarter.verify import verify_quarter
from tests.quarter.crash import CrashingQuarterRun, SimulatedCrash
from tests.quarter.world import NOW, POLICY, QUARTER, STK, build

GOLDEN = {
    # member: (rate_bps, warn, due, moved)
    "b": (500, True, 449_500, 449_500),
    "c": (1000, False, 800_000, 800_000),
    "d": (1500, False, 1_500_000, 1_500_000),
    "e": (500, True, 500_000, 500_000),
    "g": (1500, False, 150_000, 90_000),
}


def every_table(engine: Engine) -> dict[str, list[tuple]]:
    with engine.connect() as connection:
        return {
            table.name: sorted(
                (tuple(r) for r in connection.execute(text(f"SELECT * FROM {table.name}"))),
                key=repr,
            )
            for table in Base.metadata.sorted_tables
        }


def runner(engine: Engine) -> QuarterRun:
    return QuarterRun(engine, POLICY, clock=lambda: datetime_to_us(NOW))


def balance(engine: Engine, ref) -> int:
    return run_transaction(engine, lambda s: Ledger(s).balance(ref).posted_units)


@pytest.mark.parametrize("policy", ["stk-2025-12", "stk-2025-04"])
def test_golden_quarter(engine: Engine, policy: str) -> None:
    """The same community under both shipped policies (the 21M one has the same tiers)."""
    build(engine)
    pool_before = balance(engine, system_account(AccountType.POOL_REWARDS))
    run = QuarterRun(engine, load_policy(policy), clock=lambda: datetime_to_us(NOW))
    summary = run.run(QUARTER)
    assert summary.stage == Stage.DONE and summary.policy_version == policy
    got = {
        r.member_id: (r.rate_bps, r.warn, r.due_units, r.moved_units)
        for r in summary.redistributions
    }
    assert got == GOLDEN
    assert summary.members == 7  # a … h, d a free user; a and h active
    assert summary.wallet_units == 5 * STK  # d's own wallet: out of reach, reported
    assert summary.held_units == 2 * STK
    assert summary.moved_units == 3_339_500
    assert summary.warnings == 2
    pool_after = balance(engine, system_account(AccountType.POOL_REWARDS))
    assert pool_after - pool_before == summary.moved_units
    assert balance(engine, member_account("g")) == 0
    assert balance(engine, member_account("d")) == 10 * STK - 1_500_000
    assert run_transaction(engine, audit_ledger).ok
    assert verify_quarter(engine, load_policy(policy), QUARTER) == []


def test_rerun_of_settled_quarter_changes_nothing(engine: Engine) -> None:
    build(engine)
    first = runner(engine).run(QUARTER)
    before = every_table(engine)
    again = runner(engine).run(QUARTER)
    assert again == first
    assert every_table(engine) == before


def test_open_quarter_refused_nothing_written(engine: Engine) -> None:
    build(engine)
    before = every_table(engine)
    open_quarter = Quarter(2026, 2)
    with pytest.raises(QuarterError, match="2026-Q2 is still open"):
        runner(engine).run(open_quarter)
    with pytest.raises(QuarterError, match="still open"):
        runner(engine).preview(open_quarter)
    assert every_table(engine) == before


def test_dry_run_writes_nothing_and_matches(engine: Engine) -> None:
    build(engine)
    before = every_table(engine)
    preview = runner(engine).preview(QUARTER)
    assert every_table(engine) == before
    assert preview.dry_run
    assert {r.member_id: r.due_units for r in preview.redistributions} == {
        m: due for m, (_, _, due, _) in GOLDEN.items()
    }
    summary = runner(engine).run(QUARTER)
    assert preview.due_units == summary.due_units


@pytest.mark.parametrize("crash_after", [s for s in Stage if s is not Stage.DONE])
def test_crash_then_resume_gives_the_same_result(engine: Engine, crash_after: Stage) -> None:
    build(engine)
    crashing = CrashingQuarterRun(
        engine, POLICY, clock=lambda: datetime_to_us(NOW), crash_after=crash_after
    )
    with pytest.raises(SimulatedCrash):
        crashing.run(QUARTER)
    summary = runner(engine).run(QUARTER)
    got = {
        r.member_id: (r.rate_bps, r.warn, r.due_units, r.moved_units)
        for r in summary.redistributions
    }
    assert got == GOLDEN
    assert run_transaction(engine, audit_ledger).ok
    assert verify_quarter(engine, POLICY, QUARTER) == []


def test_verify_names_a_tampered_redistribution(engine: Engine) -> None:
    build(engine)
    runner(engine).run(QUARTER)
    run_transaction(
        engine,
        lambda s: s.execute(
            update(quarter_redistributions_t)
            .where(quarter_redistributions_t.c.member_id == "d")
            .values(due_units=2_000_000, moved_units=1_400_000)
        ),
    )
    differences = verify_quarter(engine, POLICY, QUARTER)
    assert any("member d: due_units is 2000000" in d for d in differences)
    assert any("member d: entry" in d for d in differences)
    assert len(differences) == 2


def test_clock_before_close_refused(engine: Engine) -> None:
    with (
        time_machine.travel(NOW.replace(month=3, day=31), tick=False),
        pytest.raises(QuarterError, match="2026-Q1 is still open"),
    ):
        QuarterRun(engine, POLICY).run(QUARTER)


def test_a_second_policy_for_a_settled_quarter_is_refused(engine: Engine) -> None:
    build(engine)
    runner(engine).run(QUARTER)
    before = every_table(engine)
    other = QuarterRun(engine, load_policy("stk-2025-04"), clock=lambda: datetime_to_us(NOW))
    with pytest.raises(QuarterError, match="already has a run under policy stk-2025-12"):
        other.run(QUARTER)
    with pytest.raises(QuarterError, match="already has a run"):
        other.preview(QUARTER)
    assert every_table(engine) == before
