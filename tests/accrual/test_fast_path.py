"""The settle's fast path (uniform weeks from collected sums) against the reference.

Members of every shape — uniform, a membership that lapses mid-week, a promotion
mid-week, no qualification at all, no membership, vesting events, a capped day —
settle over several weeks; the stored rewards must equal what the reference scorer
(``score_week``, day by day) gives each of them, and ``verify`` must replay clean.
"""

from __future__ import annotations

import json

from systok.accrual import repository as repo
from systok.accrual.explain import explain_reward
from systok.accrual.service import WeeklyRun
from systok.accrual.verify import verify_week
from systok.core.times import day_of_date
from systok.db.engine import run_transaction
from systok.ingest import repository as ingest_repo
from systok.ingest.service import Ingestor
from tests.accrual.test_weekly_run import POLICY, WEEKS

FIRST = day_of_date(WEEKS[0].monday)
LAST_WEEK_FIRST = day_of_date(WEEKS[-1].monday)

PROFILES = {
    # member: (qualifications [(from day, level)], memberships [(from day, until day)])
    "uniform": ([(FIRST - 30, 2)], [(FIRST - 30, None)]),
    "lapses": ([(FIRST - 30, 1)], [(FIRST - 30, LAST_WEEK_FIRST + 3)]),
    "promoted": ([(FIRST - 30, 1), (LAST_WEEK_FIRST + 2, 4)], [(FIRST - 30, None)]),
    "no-level": ([], [(FIRST - 30, None)]),
    "free": ([(FIRST - 30, 3)], []),
    "reviewer": ([(FIRST - 30, 2)], [(FIRST - 30, None)]),
    "capped": ([(FIRST - 30, 5)], [(FIRST - 30, None)]),
}

PLAN = {
    "uniform": {"SectionCompleted": 2, "ExerciseSave": 1},
    "lapses": {"SectionCompleted": 3},
    "promoted": {"ExerciseSave": 2, "ClubPostCreated": 1},
    "no-level": {"SectionCompleted": 1, "PageView": 4},
    "free": {"SectionCompleted": 4},
    "reviewer": {"PeerReviewCompleted": 1, "SectionCompleted": 1},
    "capped": {"SectionCompleted": 9, "ClubLikeGiven": 12},
}


def community(engine) -> None:
    def work(session):
        for member, (levels, memberships) in PROFILES.items():
            ingest_repo.ensure_member(session, member, 0)
            ingest_repo.replace_member_history(session, member, levels, memberships)
        lines = []
        for week in WEEKS:
            for offset in (0, 3, 5):  # three active days a week
                day = week.days()[offset].isoformat()
                for member, plan in PLAN.items():
                    for kind, count in plan.items():
                        for n in range(count):
                            record = {
                                "source": "t",
                                "id": f"{week}-{offset}-{member}-{kind}-{n}",
                                "type": kind,
                                "member": member,
                                "occurred_at": f"{day}T{8 + n % 12:02d}:00:00Z",
                            }
                            lines.append(json.dumps(record))
        Ingestor(session, policy=POLICY).ingest(lines, source="t", live=False)

    run_transaction(engine, work)


def test_every_member_shape_settles_as_the_reference_scores_it(engine, tmp_path):
    community(engine)
    for week in WEEKS:
        WeeklyRun(engine, POLICY, reports_dir=tmp_path).run(week)

    def check(session):
        seen = {}
        for week in WEEKS:
            run = repo.find_run(session, str(week), POLICY.version)
            for member in PLAN:
                explained = explain_reward(session, POLICY, run, member)
                assert explained is not None, (week, member)
                assert explained.matches, (week, member, explained.reward, explained.score.units)
                seen[(str(week), member)] = explained.score
        return seen

    scores = run_transaction(engine, check)
    last = str(WEEKS[-1])
    # The shapes really are what they claim (so both paths ran): a lapse leaves days
    # unpaid, a promotion changes the coefficient, "free" earns nothing, caps bite.
    assert sum(1 for d in scores[(last, "lapses")].days if not d.paid) == 4  # until-day excluded
    assert {d.level for d in scores[(last, "promoted")].days} == {1, 4}
    assert scores[(last, "free")].units == 0
    assert scores[(last, "capped")].capped_events > 0
    assert scores[(last, "uniform")].streak_weeks == len(WEEKS)
    assert scores[(last, "no-level")].days[0].level_assumed
    for week in WEEKS:
        assert verify_week(engine, POLICY, week) == []


def test_the_fast_path_scores_uniform_weeks_and_the_reference_the_others(engine, tmp_path):
    """Each reward records its path: a week that changes inside (a lapse, a promotion)
    or earns a vesting type is scored day by day; every other week from its sums."""
    community(engine)
    for week in WEEKS:
        WeeklyRun(engine, POLICY, reports_dir=tmp_path).run(week)

    def paths(session):
        return {
            str(week): {
                r.member_id: r.scored_by
                for r in repo.run_rewards(
                    session, repo.find_run(session, str(week), POLICY.version).id
                )
            }
            for week in WEEKS
        }

    by_week = run_transaction(engine, paths)
    always_uniform = {"uniform", "no-level", "free", "capped"}
    for week, scored_by in by_week.items():
        changes_inside = {"lapses", "promoted"} if week == str(WEEKS[-1]) else set()
        expected = {
            member: "reference" if member == "reviewer" or member in changes_inside else "uniform"
            for member in PLAN
        }
        assert scored_by == expected, week
        assert always_uniform <= {m for m, path in scored_by.items() if path == "uniform"}
    # The fast path really ran: uniform rewards equal the reference's replay (verify).
    for week in WEEKS:
        assert verify_week(engine, POLICY, week) == []
