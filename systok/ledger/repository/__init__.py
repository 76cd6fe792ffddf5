"""All SQL of the ledger. Functions take the session of the caller's unit of work.

Lock order, the same for every operation: a hold row (hold steps only), then accounts
in ascending id, then the chain head. Nothing here commits. The audit's reads are in
:mod:`systok.ledger.repository.audit`.
"""

from systok.ledger.repository.accounts import (
    add_to_balances,
    asset_scales,
    insert_asset,
    list_balances,
    lock_accounts,
    lock_existing,
    read_balance,
    world_posted_before,
)
from systok.ledger.repository.holds import (
    due_hold_ids,
    get_hold,
    insert_hold,
    iter_holds,
    lock_hold,
    resolve_hold,
)
from systok.ledger.repository.journal import (
    POST_FUNCTION_CALL,
    call_post_function,
    claim_entry,
    find_entry,
    insert_postings,
    lane_heads,
    named_postings,
    post_function_params,
    seal_entry,
)

__all__ = [
    "POST_FUNCTION_CALL",
    "add_to_balances",
    "asset_scales",
    "call_post_function",
    "claim_entry",
    "due_hold_ids",
    "find_entry",
    "get_hold",
    "insert_asset",
    "insert_hold",
    "insert_postings",
    "iter_holds",
    "lane_heads",
    "list_balances",
    "lock_accounts",
    "lock_existing",
    "lock_hold",
    "named_postings",
    "post_function_params",
    "read_balance",
    "resolve_hold",
    "seal_entry",
    "world_posted_before",
]
