"""The vest stage through the real quarterly run (both backends): golden schedules of
the startup fund and a sale purchase, rerun, crash and resume, verify, dry run."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, delete, update

from systok.accrual.vesting import release_due
from systok.core.ledger import AccountType, system_account
from systok.core.quarters import Quarter
from systok.db.engine import run_transaction
from systok.db.kit import quarter_vesting_releases_t
from systok.ledger.audit import audit_ledger
from systok.ledger.service import Ledger
from systok.quarter.schemas import Stage, Tranche
from systok.quarter.verify import verify_quarter
from systok.reports.schemas import FundRelease, VestingTotals
from systok.reports.service import quarterly_report
from tests.quarter.crash import CrashingQuarterRun, SimulatedCrash
from tests.quarter.test_run import every_table
from tests.quarter.vest_world import (
    FUND,
    FUND_LOCKED,
    MEMBER,
    POLICY,
    SALE_LOCKED,
    STK,
    at,
    balance,
    build,
    buy_on_2026_02_15,
    quarters,
    run,
    runner,
)
from tests.reports.golden import names_no_member

FUND_YEAR = (6_232_876_712, 6_301_369_863, 6_301_369_863, 6_164_383_562)
"""The startup fund's releases in each quarter of a year of its 2025-04-01 grant.

75 000 STK = 75 000 000 000 base units over 1 095 days from 2025-04-01 (day 1);
vested(d) = floor(75e9 × elapsed / 1095), elapsed counted through the quarter's last day:
- 2025-Q2 (to 06-30): elapsed 91 → floor(6 232 876 712.3) = 6 232 876 712;
- 2025-Q3 (to 09-30): 183 → 12 534 246 575, released 6 301 369 863;
- 2025-Q4 (to 12-31): 275 → 18 835 616 438, released 6 301 369 863;
- 2026-Q1 (to 03-31): 365 → exactly 25 000 000 000 (a third), released 6 164 383 562.
A year is exactly a third of the schedule, so years two and three repeat these; 2028-Q1
ends on day 1 096, capped at 1 095: vested 75e9, released 75e9 − floor(75e9 × 1005 /
1095) = 75e9 − 68 835 616 438 = 6 164 383 562 (the remainder of the floors). Σ = 75e9.
"""

SALE = {
    Quarter(2026, 1): 123_287_671,
    Quarter(2026, 2): 249_315_068,
    Quarter(2026, 3): 252_054_795,
    Quarter(2026, 4): 252_054_794,
    Quarter(2027, 1): 123_287_672,
}
"""1 000 STK = 1e9 base units bought 2026-02-15, 365 days: elapsed through each quarter's
last day 45, 136, 228, 320, 410→365 → vested floor(1e9 × e / 365) = 123 287 671,
372 602 739, 624 657 534, 876 712 328, 1 000 000 000; releases are the differences
(the last carries the remainder). Σ = 1e9."""


def fund_tranche(units: int) -> Tranche:
    return Tranche("fund", "startup", 1, 75_000 * STK, units)


def test_golden_schedules_through_the_quarterly_run(engine: Engine) -> None:
    """Twelve quarters of the startup fund's first emission and the sale's year."""
    build(engine)
    assert balance(engine, FUND_LOCKED) == 75_000 * STK
    assert balance(engine, FUND) == 0  # nothing spendable at once
    assert run(engine, Quarter(2025, 1)).tranches == ()  # nothing before the grant
    released_fund = redistributed = 0
    for index, quarter in enumerate(quarters(Quarter(2025, 2), 12)):
        if quarter == Quarter(2026, 1):
            buy_on_2026_02_15(engine)
        if quarter == Quarter(2027, 1):
            # The weekly release of vesting holds does not touch the sale's account,
            # even after its one-year unlock (2027-02-15): the quarter releases it.
            weekly = run_transaction(
                engine, lambda s: release_due(s, POLICY, clock=lambda: at(2027, 3, 1))
            )
            assert weekly.released == 0
            assert balance(engine, SALE_LOCKED) == SALE[Quarter(2027, 1)]
        issued_before = run_transaction(engine, lambda s: Ledger(s).issued_before("STK", 2**62))
        summary = run(engine, quarter)
        assert summary.stage == Stage.DONE
        # m never does anything: redistribution (before the vest stage) takes its share
        # of what earlier quarters released to m; the vested account is out of its reach.
        redistributed += sum(r.moved_units for r in summary.redistributions if r.member_id == "m")
        got = [
            (t.kind, t.grantee, t.grants, t.granted_units, t.released_units)
            for t in summary.tranches
        ]
        want = [("fund", "startup", 1, 75_000 * STK, FUND_YEAR[index % 4])]
        if quarter in SALE:
            want.append(("sale", "m", 1, 1_000 * STK, SALE[quarter]))
        assert got == want
        assert all(t.transaction_id is not None for t in summary.tranches)
        released_fund += FUND_YEAR[index % 4]
        assert balance(engine, FUND) == released_fund
        assert balance(engine, FUND_LOCKED) == 75_000 * STK - released_fund
        after = run_transaction(engine, lambda s: Ledger(s).issued_before("STK", 2**62))
        assert after == issued_before  # the stage moves tokens, never mints them
    assert released_fund == 75_000 * STK
    assert balance(engine, FUND_LOCKED) == 0
    assert balance(engine, SALE_LOCKED) == 0
    assert balance(engine, MEMBER) == 1_000 * STK - redistributed
    assert redistributed > 0
    assert run(engine, Quarter(2028, 2)).tranches == ()  # the schedule is complete
    assert run_transaction(engine, audit_ledger).ok
    for quarter in quarters(Quarter(2025, 1), 14):
        assert verify_quarter(engine, POLICY, quarter) == []


def test_rerun_posts_nothing_new(engine: Engine) -> None:
    build(engine)
    first = run(engine, Quarter(2025, 2))
    before = every_table(engine)
    assert run(engine, Quarter(2025, 2)) == first
    assert every_table(engine) == before


def test_dry_run_plans_the_tranches_and_writes_nothing(engine: Engine) -> None:
    build(engine)
    before = every_table(engine)
    preview = runner(engine, Quarter(2025, 2)).preview(Quarter(2025, 2))
    assert every_table(engine) == before
    assert preview.tranches == (fund_tranche(FUND_YEAR[0]),)


@pytest.mark.parametrize("crash_after", [s for s in Stage if s is not Stage.DONE])
def test_crash_then_resume_gives_the_same_tranches(engine: Engine, crash_after: Stage) -> None:
    build(engine)
    buy_on_2026_02_15(engine)
    quarter = Quarter(2026, 1)
    crashing = CrashingQuarterRun(
        engine, POLICY, clock=runner(engine, quarter).clock, crash_after=crash_after
    )
    with pytest.raises(SimulatedCrash):
        crashing.run(quarter)
    summary = run(engine, quarter)
    # 2026-Q1 alone: no quarter before ran, so the fund catches up everything vested
    # through 2026-03-31 (elapsed 365): exactly a third, 25e9 (ADR 0041).
    assert [(t.kind, t.grantee, t.released_units) for t in summary.tranches] == [
        ("fund", "startup", 25_000_000_000),
        ("sale", "m", SALE[quarter]),
    ]
    assert balance(engine, FUND) == 25_000_000_000
    assert balance(engine, MEMBER) == SALE[quarter]
    assert run_transaction(engine, audit_ledger).ok
    assert verify_quarter(engine, POLICY, quarter) == []


def test_verify_names_a_tampered_release(engine: Engine) -> None:
    build(engine)
    run(engine, Quarter(2025, 2))
    run_transaction(
        engine,
        lambda s: s.execute(
            update(quarter_vesting_releases_t)
            .where(quarter_vesting_releases_t.c.grantee == "startup")
            .values(released_units=7_000_000_000)
        ),
    )
    differences = verify_quarter(engine, POLICY, Quarter(2025, 2))
    assert differences == [
        "vesting fund startup: released_units is 7000000000, the grants give 6232876712",
        "vesting fund startup: entry "
        + differences[1].split("entry ")[1].split(" ")[0]
        + " posts vesting_tranche {'fund:startup': 6232876712, 'fund:vesting:startup': "
        "-6232876712}, the run recorded {'fund:startup': 7000000000, "
        "'fund:vesting:startup': -7000000000}",
    ]


def test_verify_names_a_missing_release(engine: Engine) -> None:
    build(engine)
    run(engine, Quarter(2025, 2))
    run_transaction(engine, lambda s: s.execute(delete(quarter_vesting_releases_t)))
    differences = verify_quarter(engine, POLICY, Quarter(2025, 2))
    entry = differences[1].split("ledger entry ")[1].split(" ")[0]
    assert differences == [  # the row is gone, its entry is still in the ledger
        "vesting fund startup: 6232876712 units due, nothing recorded",
        f"2025-Q2: ledger entry {entry} (vesting_tranche, key "
        "'vesting-tranche:stk-2025-04:2025-Q2:fund:startup') matches no row of the run",
    ]


def test_funds_without_vesting_are_credited_at_once(engine: Engine) -> None:
    """500 000 STK: pool 50 % = 250 000, treasury 20 % = 100 000, team 10 % = 50 000,
    liquidity 5 % = 25 000 at once; the startup's 75 000 locked."""
    build(engine)
    for account_type, whole in (
        (AccountType.POOL_REWARDS, 250_000),
        (AccountType.FUND_TREASURY, 100_000),
        (AccountType.FUND_TEAM, 50_000),
        (AccountType.FUND_LIQUIDITY, 25_000),
    ):
        assert balance(engine, system_account(account_type)) == whole * STK


def test_the_quarterly_report_shows_the_releases_anonymised(engine: Engine) -> None:
    """2026-Q1 run alone: the fund catches up all vested by 2026-03-31, 25e9 (ADR 0041),
    the sale's one buyer 123 287 671 (SALE); the report counts the buyer and never names them."""
    build(engine)
    buy_on_2026_02_15(engine)
    quarter = Quarter(2026, 1)
    before = runner(engine, quarter)
    now = datetime.fromtimestamp(before.clock() / 1e6, UTC)
    early = run_transaction(engine, lambda s: quarterly_report(s, POLICY, quarter, now=now))
    assert early.vesting is None and any(m.startswith("vesting: ") for m in early.missing)
    run(engine, quarter)
    report = run_transaction(engine, lambda s: quarterly_report(s, POLICY, quarter, now=now))
    assert report.vesting == VestingTotals(
        [FundRelease("startup", 25_000_000_000)], 1, SALE[quarter]
    )
    names_no_member(asdict(report), {"m"})


def test_a_skipped_quarter_is_caught_up_by_the_next_run(engine: Engine) -> None:
    """2025-Q2 runs, 2025-Q3 is skipped, 2025-Q4 runs (ADR 0041): Q4 releases vested by
    its last day minus what Q2 released = 18 835 616 438 − 6 232 876 712 =
    12 602 739 726 (= Q3's 6 301 369 863 + Q4's 6 301 369 863); 2026-Q1 then releases
    its own slice 6 164 383 562 and the fund holds exactly the year's third, 25e9."""
    build(engine)
    assert [t.released_units for t in run(engine, Quarter(2025, 2)).tranches] == [FUND_YEAR[0]]
    caught_up = run(engine, Quarter(2025, 4))
    assert [t.released_units for t in caught_up.tranches] == [12_602_739_726]
    assert run(engine, Quarter(2026, 1)).tranches[0].released_units == FUND_YEAR[3]
    assert balance(engine, FUND) == 25_000_000_000
    assert balance(engine, FUND_LOCKED) == 50_000_000_000
    for quarter in (Quarter(2025, 2), Quarter(2025, 4), Quarter(2026, 1)):
        assert verify_quarter(engine, POLICY, quarter) == []


def test_a_first_run_late_releases_everything_vested(engine: Engine) -> None:
    """No quarter ran before 2025-Q4: it releases all vested by 2025-12-31 (elapsed 275):
    floor(75e9 × 275 / 1095) = 18 835 616 438."""
    build(engine)
    assert [t.released_units for t in run(engine, Quarter(2025, 4)).tranches] == [18_835_616_438]
