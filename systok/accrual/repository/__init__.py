"""All SQL of the weekly run. Functions take the caller's session; nothing here commits.

One module per kind of row: ``runs`` (the checkpoints), ``collect`` (what a run
collects of its week), ``profiles`` (levels, memberships, carried state), ``rewards``
(rewards and adjustments) and ``grants`` (vesting).
"""

from systok.accrual.repository.collect import (
    collect_counts,
    collect_sums,
    has_late_events,
    irregular_members,
    recount_week,
    run_counts,
    run_sums,
    sums_with_profiles,
)
from systok.accrual.repository.grants import (
    due_grants,
    flag_held_grant,
    insert_grants,
    latest_grants,
    member_grants,
    resolve_grant,
    run_grants,
    set_grant_hold,
)
from systok.accrual.repository.profiles import levels_by_day, paid_days, previous_states
from systok.accrual.repository.rewards import (
    count_rewards,
    insert_adjustments,
    insert_rewards,
    member_reward,
    paid_for_week,
    reward_counts,
    run_adjustments,
    run_reward_amounts,
    run_rewards,
)
from systok.accrual.repository.runs import (
    advance,
    create_run,
    find_run,
    get_run,
    latest_runs,
    lock_run,
    mark_absorbed,
    settled_runs_before,
    stage_finishes,
)

__all__ = [
    "advance",
    "collect_counts",
    "collect_sums",
    "count_rewards",
    "create_run",
    "due_grants",
    "find_run",
    "flag_held_grant",
    "get_run",
    "has_late_events",
    "insert_adjustments",
    "insert_grants",
    "insert_rewards",
    "irregular_members",
    "latest_grants",
    "latest_runs",
    "levels_by_day",
    "lock_run",
    "mark_absorbed",
    "member_grants",
    "member_reward",
    "paid_days",
    "paid_for_week",
    "previous_states",
    "recount_week",
    "resolve_grant",
    "reward_counts",
    "run_adjustments",
    "run_counts",
    "run_grants",
    "run_reward_amounts",
    "run_rewards",
    "run_sums",
    "set_grant_hold",
    "settled_runs_before",
    "stage_finishes",
    "sums_with_profiles",
]
