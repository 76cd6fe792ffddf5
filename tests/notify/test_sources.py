"""The quarterly run's stages enqueue in their own unit of work (ADR 0037).

The community of ``tests.quarter.world`` at the close of 2026-Q1: ``b`` (120 days
inactive) is in the 90–180 tier, 5 % with a warning, and loses 449 500 base units
(0.449500 STK); ``c`` (273 days) is in the 180–365 tier, 10 %, and loses 800 000
(0.800000 STK). ``a`` was active: no message. The health world of
``tests.quarter.health_world`` fires two stabilisation rules (buyback and emission
adjustment): each is told to every admin profile.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from systok.core.times import datetime_to_us
from systok.quarter import repository as quarter_repo
from systok.quarter.service import QuarterRun
from tests.notify.outbox import outbox, with_profile
from tests.quarter.health_world import build_health
from tests.quarter.test_stabilise import set_prices
from tests.quarter.world import NOW, POLICY, QUARTER, build


def run(engine: Engine) -> None:
    QuarterRun(engine, POLICY, clock=lambda: datetime_to_us(NOW)).run(QUARTER)


def test_redistribution_warns_and_tells_once(engine: Engine) -> None:
    build(engine)
    with_profile(engine, "a", email="a@example.org")
    with_profile(engine, "b", email="b@example.org", language="en")
    with_profile(engine, "c", telegram_chat_id="303")
    run(engine)
    rows = outbox(engine)
    assert [(r["member_id"], r["kind"], r["channel"]) for r in rows] == [
        ("b", "inactivity_warning", "email"),
        ("c", "redistribution", "telegram"),
    ]
    b, c = rows
    assert b["subject"] == "Warning: your wallet has been inactive for at least 90 days"
    assert "5.00 % of your available balance went to the rewards pool: 0.449500 STK" in b["body"]
    assert "10.00 % доступного баланса — 0,800000 STK — переведено в пул наград" in c["body"]
    assert b["created_at_us"] == datetime_to_us(NOW)
    run(engine)  # a settled quarter: nothing new
    assert len(outbox(engine)) == 2


def test_a_redistribute_stage_that_fails_tells_nobody(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The stage's ledger entries and its messages roll back together; the resumed run
    tells each member once."""
    build(engine)
    with_profile(engine, "c", email="c@example.org")

    def broken(*_args: object) -> None:
        raise RuntimeError("disk full while recording the redistributions")

    monkeypatch.setattr(quarter_repo, "insert_redistributions", broken)
    with pytest.raises(RuntimeError):
        run(engine)
    assert outbox(engine) == []
    monkeypatch.undo()
    run(engine)  # run again: resumes at the failed stage
    assert [(r["member_id"], r["kind"]) for r in outbox(engine)] == [("c", "redistribution")]


def test_stabilisation_proposals_go_to_every_admin(engine: Engine) -> None:
    build_health(engine)
    set_prices(engine, {"2025-Q4": 1000, "2026-Q1": 750})
    with_profile(engine, "ops", email="ops@example.org", admin=True)
    with_profile(engine, "lead", telegram_chat_id="@systok_ops", admin=True, language="en")
    with_profile(engine, "member", email="member@example.org")
    run(engine)
    rows = outbox(engine)
    got = sorted((r["member_id"], r["channel"], r["subject"]) for r in rows)
    assert got == [
        ("lead", "telegram", 'Stabilisation 2026-Q1: rule "buyback" fired'),
        ("lead", "telegram", 'Stabilisation 2026-Q1: rule "emission_adjustment" fired'),
        ("ops", "email", "Стабилизация 2026-Q1: сработало правило «buyback»"),
        ("ops", "email", "Стабилизация 2026-Q1: сработало правило «emission_adjustment»"),
    ]
    assert {r["kind"] for r in rows} == {"stabilisation_proposal"}


def test_the_weekly_run_tells_each_rewarded_member_once(engine: Engine, tmp_path) -> None:
    """The golden member m1 (Практик 1.5, 4 weeks in a row 1.10, 960 points) earns
    960 × 1.5 × 1.10 = 1 584 STK in 2026-W05 and is told so in Russian, once per
    channel; m2 has no profile and is told nothing."""
    from systok.accrual.service import WeeklyRun
    from tests.accrual.test_weekly_run import POLICY as WEEKLY
    from tests.accrual.test_weekly_run import WEEKS, run_all, setup_community

    setup_community(engine)
    with_profile(engine, "m1", email="m1@example.org")
    run_all(engine, tmp_path)
    rows = [r for r in outbox(engine) if "2026-W05" in r["idempotency_key"]]
    assert [(r["member_id"], r["kind"]) for r in rows] == [("m1", "weekly_reward")]
    assert rows[0]["subject"] == "Ваши STK за неделю 2026-W05: 1\u00a0584,000000 STK"
    assert "rewards/weekly?week=2026-W05" in rows[0]["body"]
    assert {r["member_id"] for r in outbox(engine)} == {"m1"}
    before = len(outbox(engine))
    WeeklyRun(engine, WEEKLY, reports_dir=tmp_path).run(WEEKS[-1])  # settled: nothing new
    assert len(outbox(engine)) == before


def test_vesting_release_and_cancel_tell_the_member(engine: Engine, tmp_path) -> None:
    """m1's and m2's peer review part (weight × 1.0 × 1.00 STK) is held 30 days; at the
    unlock m1's is released and m2's, flagged, cancelled — each told once, in their
    language, with the reason in words."""
    from systok.accrual.repository import run_grants
    from systok.accrual.service import WeeklyRun
    from systok.accrual.vesting import flag_grant, release_due
    from systok.core.vesting import CancelReason
    from systok.db.engine import run_transaction
    from tests.accrual.test_vesting_run import WEEK, setup
    from tests.accrual.test_weekly_run import POLICY as WEEKLY

    setup(engine)
    with_profile(engine, "m1", email="m1@example.org")
    with_profile(engine, "m2", telegram_chat_id="202", language="en")
    run_id = WeeklyRun(engine, WEEKLY, reports_dir=tmp_path).run(WEEK).run_id
    grants = run_transaction(engine, lambda s: run_grants(s, run_id))
    run_transaction(engine, lambda s: flag_grant(s, grants[1].id, CancelReason.WORK_FLAGGED))
    unlock = grants[0].unlock_at_us
    for _ in range(2):  # the second release finds nothing due and tells nobody again
        run_transaction(engine, lambda s: release_due(s, WEEKLY, clock=lambda: unlock))
    weight = WEEKLY.events["PeerReviewCompleted"].weight
    vested, vested_ru = f"{weight}.000000", f"{weight},000000"  # m1 reads Russian
    rows = [r for r in outbox(engine) if r["kind"].startswith("vesting")]
    assert [(r["member_id"], r["kind"], r["subject"]) for r in rows] == [
        ("m1", "vesting_released", f"Разморожено {vested_ru} STK"),
        ("m2", "vesting_cancelled", f"{vested} STK cancelled"),
    ]
    assert "за «рецензирование работы» переведены на ваш баланс" in rows[0]["body"]
    assert "Reason: the reviewed work or the review was flagged" in rows[1]["body"]


@pytest.mark.parametrize(
    ("public_url", "ran_at", "due_at", "statement"),
    [
        (
            "https://stk.example.org/",
            datetime(2026, 2, 2, 6, 30, tzinfo=UTC),
            datetime(2026, 2, 2, 8, tzinfo=UTC),
            "Подробная выписка: https://stk.example.org/api/v1/tokenomics/rewards/weekly"
            "?week=2026-W05",
        ),
        (
            None,
            datetime(2026, 2, 2, 9, 15, tzinfo=UTC),
            datetime(2026, 2, 2, 9, 15, tzinfo=UTC),
            "(API: GET /api/v1/tokenomics/rewards/weekly?week=2026-W05)",
        ),
    ],
)
def test_the_weekly_message_links_the_statement_and_waits_for_the_notify_hour(
    engine: Engine,
    tmp_path: Path,
    public_url: str | None,
    ran_at: datetime,
    due_at: datetime,
    statement: str,
) -> None:
    """Issue 14, defects 3 and 7. 2026-W05 ends Monday 2026-02-02 00:00 UTC; the policy's
    ``notify_at_hour`` is 8, so the message is due 2026-02-02 08:00 UTC when the run
    finishes at 06:30, and at once (09:15) when it finishes after 08:00. With
    ``SYSTOK_PUBLIC_URL`` = ``https://stk.example.org/`` (its trailing slash dropped)
    the body links ``…/api/v1/tokenomics/rewards/weekly?week=2026-W05``; unset, it
    names the API path."""
    from systok.accrual.service import WeeklyRun
    from tests.accrual.test_weekly_run import POLICY as WEEKLY
    from tests.accrual.test_weekly_run import WEEKS, setup_community

    setup_community(engine)
    with_profile(engine, "m1", email="m1@example.org")
    ran_at_us = datetime_to_us(ran_at)
    for week in WEEKS:
        WeeklyRun(
            engine, WEEKLY, reports_dir=tmp_path, clock=lambda: ran_at_us, public_url=public_url
        ).run(week)
    [row] = [r for r in outbox(engine) if "2026-W05" in r["idempotency_key"]]
    assert row["next_attempt_at_us"] == datetime_to_us(due_at)
    assert row["created_at_us"] == ran_at_us
    assert statement in row["body"]
