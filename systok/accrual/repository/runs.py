"""The run rows: find, create, lock, advance (the stage machine's checkpoints)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.orm import Session

from systok.db.kit import runs_t, stages_t


def find_run(session: Session, week: str, policy_version: str) -> Row[Any] | None:
    """The run of a week under a policy version, if one was started."""
    return session.execute(
        select(runs_t).where(runs_t.c.week == week, runs_t.c.policy_version == policy_version)
    ).one_or_none()


def latest_runs(session: Session, limit: int = 20) -> list[Row[Any]]:
    """The most recent runs, newest first."""
    return list(session.execute(select(runs_t).order_by(runs_t.c.id.desc()).limit(limit)))


def create_run(
    session: Session,
    *,
    week: str,
    policy_version: str,
    policy_hash: str,
    now_us: int,
    run_id: int | None = None,
) -> int:
    """Start a run at its first stage.

    ``run_id`` None takes the next id from the table's sequence; a dry run passes its
    own id, which leaves the sequence untouched (a sequence does not roll back).
    """
    statement = insert(runs_t).values(
        week=week,
        policy_version=policy_version,
        policy_hash=policy_hash,
        stage="collect",
        started_at_us=now_us,
        updated_at_us=now_us,
    )
    if run_id is not None:
        statement = statement.values(id=run_id)
    created: int = session.execute(statement.returning(runs_t.c.id)).scalar_one()
    return created


def get_run(session: Session, run_id: int) -> Row[Any]:
    """A run row, read without locking it."""
    return session.execute(select(runs_t).where(runs_t.c.id == run_id)).one()


def lock_run(session: Session, run_id: int) -> Row[Any]:
    """The run row under its lock: one stage advances at a time, whoever runs it."""
    return session.execute(select(runs_t).where(runs_t.c.id == run_id).with_for_update()).one()


def advance(session: Session, run_id: int, stage: str, now_us: int, **values: Any) -> None:
    """Record that the run reached ``stage`` (with the stage's results)."""
    session.execute(
        update(runs_t)
        .where(runs_t.c.id == run_id)
        .values(stage=stage, updated_at_us=now_us, **values)
    )


def mark_absorbed(session: Session, run_id: int, absorbed_to_us: int, now_us: int) -> None:
    """Record that a settled week's late events up to ``absorbed_to_us`` are paid for."""
    session.execute(
        update(runs_t)
        .where(runs_t.c.id == run_id)
        .values(absorbed_to_us=absorbed_to_us, updated_at_us=now_us)
    )


def settled_runs_before(session: Session, week: str, policy_version: str) -> list[Row[Any]]:
    """Finished runs of earlier weeks under the same policy (candidates for adjustment)."""
    return list(
        session.execute(
            select(runs_t)
            .where(
                runs_t.c.policy_version == policy_version,
                runs_t.c.week < week,
                runs_t.c.stage == "done",
            )
            .order_by(runs_t.c.week)
        )
    )


def stage_finishes(session: Session, run_ids: list[int]) -> dict[int, dict[str, int]]:
    """Run id → stage → when the stage committed (``accrual_run_stages``)."""
    found: dict[int, dict[str, int]] = {run_id: {} for run_id in run_ids}
    if run_ids:
        rows = session.execute(
            select(stages_t.c.run_id, stages_t.c.stage, stages_t.c.finished_at_us).where(
                stages_t.c.run_id.in_(run_ids)
            )
        )
        for run_id, stage, finished_at_us in rows:
            found[int(run_id)][str(stage)] = int(finished_at_us)
    return found
