"""``systok verify week``: replay a settled week and compare it bit for bit.

The replay recounts the week from raw events as they stood when the run collected,
re-scores every member with the reference scorer (``score_week``, day by day — never
the settle's fast path, so the two implementations check each other), the stored
profiles and the run's policy (whose content hash must match), scales to the stored
budget, and rebuilds the Merkle root. The emission is recomputed from the policy and
the factor the run recorded, and that factor is checked against the stabilisation
override in force when the run scored (ADR 0034: one approved later does not apply).
Any difference — a collected sum or counter, a reward field, a vesting grant, the
emission, the root — is named.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from systok.accrual import repository as repo
from systok.accrual.schemas import Stage
from systok.accrual.score import score_members, vested_types
from systok.core.amount import BASIS_POINTS_WHOLE
from systok.core.emission import emission_for_week
from systok.core.merkle import build_tree
from systok.core.policy import Policy, WeightedDailyCaps
from systok.core.scoring import RateTable
from systok.core.stabilisation_steps import week_quarter
from systok.core.times import day_of_date, us_to_iso
from systok.core.weeks import IsoWeek
from systok.db.engine import run_transaction
from systok.stabilisation.overrides import emission_factor_in_force_bps

COMPARED_FIELDS = (
    "points",
    "units",
    "paid_units",
    "streak_weeks",
    "rank_step",
    "rank_level",
)


def verify_week(engine: Engine, policy: Policy, week: IsoWeek) -> list[str]:
    """Every difference between the stored run of ``week`` and its replay (empty: equal)."""
    return run_transaction(engine, lambda s: _verify(s, policy, week), snapshot=True)


def _verify(session: Session, policy: Policy, week: IsoWeek) -> list[str]:
    run = repo.find_run(session, str(week), policy.version)
    if run is None:
        return [f"{week} has no run under {policy.version}"]
    differences: list[str] = []
    if run.policy_hash != policy.content_hash:
        differences.append(
            f"policy {policy.version}: the run used hash {run.policy_hash[:12]}, the file now "
            f"has {policy.content_hash[:12]}"
        )
    if run.collected_at_us is None or run.budget_units is None:
        return [*differences, f"{week}: the run has not scored yet (stage {run.stage})"]
    first = day_of_date(week.monday)
    replayed_counts = repo.recount_week(session, first, first + 6, run.collected_at_us)
    differences.extend(_collected_differences(session, policy, run.id, replayed_counts))
    replay = score_members(session, policy, week, replayed_counts, run.budget_units)
    stored = {r.member_id: r for r in repo.run_rewards(session, run.id)}
    replayed = {r["member_id"]: r for r in replay.rows}
    for member_id in sorted(set(stored) | set(replayed)):
        if member_id not in stored or member_id not in replayed:
            where = "stored only" if member_id in stored else "replay only"
            differences.append(f"reward of {member_id}: {where}")
            continue
        for field in COMPARED_FIELDS:
            kept, again = getattr(stored[member_id], field), replayed[member_id][field]
            if kept != again:
                differences.append(
                    f"reward of {member_id}: {field} stored {kept!r}, replay {again!r}"
                )
    stored_grants: dict[str, dict[str, int]] = {}
    for grant in repo.run_grants(session, run.id):
        parts = stored_grants.setdefault(grant.member_id, {})
        parts[grant.event_type] = parts.get(grant.event_type, 0) + int(grant.units)
    for member_id in sorted(set(stored_grants) | set(replay.vested)):
        kept_parts, again_parts = stored_grants.get(member_id, {}), replay.vested.get(member_id, {})
        if kept_parts != again_parts:
            differences.append(f"vesting of {member_id}: stored {kept_parts}, replay {again_parts}")
    differences.extend(_emission_differences(session, policy, week, run))
    if replay.prorata != run.prorata:
        differences.append(f"pro rata: stored {run.prorata}, replay {replay.prorata}")
    root = build_tree([(r["member_id"], r["paid_units"]) for r in replay.rows]).root_hex
    if run.merkle_root is not None and root != run.merkle_root:
        differences.append(f"Merkle root: stored {run.merkle_root}, replay {root}")
    return differences


def _emission_differences(session: Session, policy: Policy, week: IsoWeek, run: Any) -> list[str]:
    """The run's emission against the policy times the factor it recorded, and that
    factor against the stabilisation override that was in force when the run scored
    (ADR 0034): an override approved after the score stage committed does not apply to
    the week, one approved before it does. A run from before migration 0023 recorded
    no factor: it applied none."""
    recorded = BASIS_POINTS_WHOLE if run.emission_factor_bps is None else run.emission_factor_bps
    differences = []
    scored_at_us = repo.stage_finishes(session, [run.id])[run.id].get(Stage.SCORE.value)
    in_force, approved_at_us = emission_factor_in_force_bps(session, week, scored_at_us)
    if recorded != in_force:
        when = (
            "no override"
            if approved_at_us is None
            else f"the override approved at {us_to_iso(approved_at_us)}"
        )
        scored = "an unknown time" if scored_at_us is None else us_to_iso(scored_at_us)
        differences.append(
            f"emission factor: the run applied {recorded} bps; when it scored ({scored}) "
            f"{when} of {week_quarter(week)} gave {in_force} bps"
        )
    replayed = emission_for_week(policy, week, recorded)
    if run.emission_units is not None and replayed != run.emission_units:
        differences.append(f"emission: stored {run.emission_units}, replay {replayed}")
    return differences


def _collected_differences(
    session: Session,
    policy: Policy,
    run_id: int,
    replayed_counts: dict[str, dict[int, dict[str, int]]],
) -> list[str]:
    """What the run collected against the raw events: sums (weighted) or counters."""
    differences = []
    if isinstance(policy.scoring, WeightedDailyCaps):
        vesting = set(vested_types(policy))
        table = RateTable.of(policy)
        stored_sums = repo.run_sums(session, run_id)
        replayed_sums = {
            member_id: (
                *table.week_sums(by_day),
                sum(n for by_type in by_day.values() for t, n in by_type.items() if t in vesting),
            )
            for member_id, by_day in replayed_counts.items()
        }
        for member_id in sorted(set(stored_sums) | set(replayed_sums)):
            kept, again = stored_sums.get(member_id), replayed_sums.get(member_id)
            if kept != again:
                differences.append(
                    f"sums of {member_id} (base points, counted, vesting events): "
                    f"collected {kept}, events say {again}"
                )
        return differences
    stored_counts = repo.run_counts(session, run_id)
    for member_id in sorted(set(stored_counts) | set(replayed_counts)):
        stored_days = {d: dict(t) for d, t in stored_counts.get(member_id, {}).items()}
        replayed_days = {d: dict(t) for d, t in replayed_counts.get(member_id, {}).items()}
        if stored_days != replayed_days:
            differences.append(
                f"counts of {member_id}: collected {stored_days}, events say {replayed_days}"
            )
    return differences
