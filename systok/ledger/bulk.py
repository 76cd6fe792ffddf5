"""Many plain transactions at once: set-based statements on PostgreSQL (ADR 0043).

Posting 50 transactions of 2 000 members one call of ``systok_post_transaction`` at a
time spent its time per posting. :func:`post_batch` writes the same entries (the same
keys, digests, postings and chain links as posting them one by one, in batch order)
with one COPY and a statement per step. It takes only the common path: no key of the
batch used yet, every running balance within bounds, no other writer opening the same
accounts or claiming the same keys meanwhile. Anything else rolls its savepoint back
and answers None; the caller then posts the drafts one by one, whose replays, conflicts
and refusals are the ledger's usual ones.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from systok.core.ledger import TransactionDraft, chain_hash, chain_lane
from systok.ledger.repository import bulk as repo
from systok.ledger.schemas import PostedEntry


class _TakeTheSlowPath(Exception):
    """Raised inside the savepoint to undo the batch and post one by one."""


def post_batch(
    session: Session,
    drafts: Sequence[TransactionDraft],
    digests: Sequence[bytes],
    created_at_us: int,
) -> list[PostedEntry] | None:
    """Post validated ``drafts`` in order, or None having written nothing."""
    try:
        with session.begin_nested():
            work_mem = repo.sort_memory(session)
            posted = _post(session, drafts, digests, created_at_us)
            repo.sort_memory(session, work_mem)
            return posted
    except (_TakeTheSlowPath, IntegrityError):
        # IntegrityError: an unknown asset, or an account a writer opened meanwhile.
        # The savepoint's rollback also put work_mem back.
        return None


def _post(
    session: Session,
    drafts: Sequence[TransactionDraft],
    digests: Sequence[bytes],
    created_at_us: int,
) -> list[PostedEntry]:
    keys = [d.idempotency_key for d in drafts]
    if len(set(keys)) < len(keys):
        raise _TakeTheSlowPath  # one key twice in a batch: the second replays or conflicts
    if repo.used_keys(session, keys):
        raise _TakeTheSlowPath  # a replay (a resumed run) or a conflict: one by one
    repo.stage_lines(
        session,
        (
            (index, p.account.type.value, p.account.owner, p.account.asset, p.amount_units)
            for index, draft in enumerate(drafts)
            for p in draft.postings
        ),
    )
    _touched, new, fits = repo.lock_and_check(session)
    if not fits:
        raise _TakeTheSlowPath  # the one-by-one path names the refused posting
    ids = repo.claim_entries(
        session,
        [
            {
                "idempotency_key": draft.idempotency_key,
                "code": draft.code.value,
                "reference": draft.reference,
                "digest": digest,
                "created_at_us": created_at_us,
            }
            for draft, digest in zip(drafts, digests, strict=True)
        ],
    )
    if len(ids) < len(drafts):
        raise _TakeTheSlowPath  # a key claimed meanwhile
    # Mutation ahead: nothing below may refuse (a writer opening an account meanwhile
    # undoes the savepoint, as a refusal would).
    if new and repo.open_accounts(session, created_at_us) < new:
        raise _TakeTheSlowPath
    repo.write_postings(session, ids)
    heads = repo.lock_lanes(session, (chain_lane(i) for i in ids))
    links = []
    for entry_id, digest in sorted(zip(ids, digests, strict=True)):
        lane = chain_lane(entry_id)
        seq, previous = heads[lane]
        link = chain_hash(previous, seq + 1, created_at_us, digest)
        heads[lane] = (seq + 1, link)
        links.append((lane, seq + 1, entry_id, link))
    repo.link_entries(session, links, heads)
    seq_of = {entry_id: seq for _, seq, entry_id, _ in links}
    return [PostedEntry(i, seq_of[i], replayed=False) for i in ids]
