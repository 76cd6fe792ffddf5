"""Journal entries: claiming a key, postings, the hash chain and the posting function."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, bindparam, func, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT, TEXT
from sqlalchemy.orm import Session

from systok.core.ledger import EntryKind, TransactionDraft, chain_hash, chain_lane
from systok.db.kit import (
    accounts_t,
    chain_head_t,
    chain_links_t,
    dialect_insert,
    holds_t,
    postings_t,
    transactions_t,
)
from systok.ledger.repository.accounts import ref_of
from systok.ledger.schemas import FunctionAnswer, StoredTransaction

POST_FUNCTION_CALL = text(
    "SELECT transaction_id, chain_seq, outcome, refused_index, refused_available "
    "FROM systok_post_transaction(:key, :code, :reference, :digest, :created_at_us, "
    ":types, :owners, :assets, :amounts)"
).bindparams(
    bindparam("types", type_=ARRAY(TEXT)),
    bindparam("owners", type_=ARRAY(TEXT)),
    bindparam("assets", type_=ARRAY(TEXT)),
    bindparam("amounts", type_=ARRAY(BIGINT)),
)
"""The one statement that calls PostgreSQL's posting function (systok/ledger/sql)."""


def named_postings() -> Any:
    """Postings with their account's natural key: (transaction_id, type, owner, asset, amount)."""
    return select(
        postings_t.c.transaction_id,
        accounts_t.c.type,
        accounts_t.c.owner,
        accounts_t.c.asset,
        postings_t.c.amount_units,
    ).join(accounts_t, accounts_t.c.id == postings_t.c.account_id)


# --- the posting function (PostgreSQL) ------------------------------------------------


def post_function_params(
    draft: TransactionDraft, digest: bytes, created_at_us: int
) -> dict[str, object]:
    """The arguments of :data:`POST_FUNCTION_CALL` for a draft."""
    postings = draft.postings
    return {
        "key": draft.idempotency_key,
        "code": draft.code.value,
        "reference": draft.reference,
        "digest": digest,
        "created_at_us": created_at_us,
        "types": [p.account.type.value for p in postings],
        "owners": [p.account.owner for p in postings],
        "assets": [p.account.asset for p in postings],
        "amounts": [p.amount_units for p in postings],
    }


def call_post_function(session: Session, params: dict[str, object]) -> FunctionAnswer:
    """One call of ``systok_post_transaction`` in the session's transaction."""
    row = session.execute(POST_FUNCTION_CALL, params).one()
    return FunctionAnswer(*row)


# --- entries --------------------------------------------------------------------------


def claim_entry(
    session: Session,
    *,
    idempotency_key: str,
    kind: EntryKind,
    code: str,
    reference: str,
    digest: bytes,
    created_at_us: int,
    hold_id: int | None = None,
) -> int | None:
    """Insert the entry row, claiming its idempotency key; None if the key is taken."""
    statement = (
        dialect_insert(session, transactions_t)
        .values(
            idempotency_key=idempotency_key,
            kind=kind.value,
            code=code,
            reference=reference,
            digest=digest,
            created_at_us=created_at_us,
            hold_id=hold_id,
        )
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(transactions_t.c.id)
    )
    return session.execute(statement).scalar_one_or_none()


def insert_postings(
    session: Session, transaction_id: int, lines: Sequence[tuple[int, int]]
) -> None:
    """Write postings as (account id, signed amount) lines."""
    session.execute(
        postings_t.insert(),
        [
            {"transaction_id": transaction_id, "account_id": account_id, "amount_units": amount}
            for account_id, amount in lines
        ],
    )


def seal_entry(session: Session, transaction_id: int, created_at_us: int, digest: bytes) -> int:
    """Link the entry into its lane of the hash chain, under the lane head's lock.

    Returns the entry's sequence number in its lane.
    """
    lane = chain_lane(transaction_id)
    head = session.execute(
        select(chain_head_t.c.seq, chain_head_t.c.hash)
        .where(chain_head_t.c.id == lane)
        .with_for_update()
    ).one()
    seq: int = head.seq + 1
    entry_hash = chain_hash(head.hash, seq, created_at_us, digest)
    session.execute(
        update(chain_head_t).where(chain_head_t.c.id == lane).values(seq=seq, hash=entry_hash)
    )
    session.execute(
        chain_links_t.insert().values(
            lane=lane, seq=seq, transaction_id=transaction_id, hash=entry_hash
        )
    )
    return seq


def find_entry(session: Session, *, idempotency_key: str) -> StoredTransaction | None:
    """The entry stored under an idempotency key, with its postings."""
    created_hold = holds_t.alias("created_hold")
    row = session.execute(
        select(
            transactions_t,
            chain_links_t.c.seq.label("chain_seq"),
            chain_links_t.c.hash.label("chain_hash"),
            func.coalesce(transactions_t.c.hold_id, created_hold.c.id).label("any_hold_id"),
        )
        .outerjoin(chain_links_t, chain_links_t.c.transaction_id == transactions_t.c.id)
        .outerjoin(created_hold, created_hold.c.created_transaction_id == transactions_t.c.id)
        .where(transactions_t.c.idempotency_key == idempotency_key)
    ).one_or_none()
    return None if row is None else _stored(session, row)


def _stored(session: Session, row: Row[Any]) -> StoredTransaction:
    postings = session.execute(
        select(accounts_t.c.type, accounts_t.c.owner, accounts_t.c.asset, postings_t.c.amount_units)
        .join(accounts_t, accounts_t.c.id == postings_t.c.account_id)
        .where(postings_t.c.transaction_id == row.id)
    ).all()
    return StoredTransaction(
        id=row.id,
        idempotency_key=row.idempotency_key,
        kind=row.kind,
        code=row.code,
        reference=row.reference,
        hold_id=row.any_hold_id,
        digest=row.digest,
        created_at_us=row.created_at_us,
        chain_seq=row.chain_seq,
        hash=row.chain_hash,
        postings=tuple(
            sorted((ref_of(p.type, p.owner, p.asset), p.amount_units) for p in postings)
        ),
    )


def lane_heads(session: Session) -> list[tuple[int, int, bytes]]:
    """(lane, seq, hash) of every lane head, by lane."""
    return [
        (row.id, row.seq, row.hash)
        for row in session.execute(
            select(chain_head_t.c.id, chain_head_t.c.seq, chain_head_t.c.hash).order_by(
                chain_head_t.c.id
            )
        )
    ]
