"""Assets and accounts: scales, locking accounts in id order, opening them, balances."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import bindparam, func, select, tuple_, update
from sqlalchemy.orm import Session

from systok.core.ledger import AccountRef, AccountType
from systok.db.kit import accounts_t, assets_t, dialect_insert, postings_t, transactions_t
from systok.ledger.schemas import LockedAccount


def ref_of(account_type: str, owner: str, asset: str) -> AccountRef:
    """The account named by a row's natural key."""
    return AccountRef(AccountType(account_type), asset, owner)


# --- assets ---------------------------------------------------------------------------


def asset_scales(session: Session) -> dict[str, int]:
    """Every asset the ledger knows, with its scale."""
    return {
        code: scale for code, scale in session.execute(select(assets_t.c.code, assets_t.c.scale))
    }


def insert_asset(session: Session, code: str, scale: int) -> None:
    """Register an asset (the caller checked it is new)."""
    session.execute(assets_t.insert().values(code=code, scale=scale))


# --- locking and opening --------------------------------------------------------------


def lock_accounts(
    session: Session, refs: Iterable[AccountRef], created_at_us: int
) -> dict[AccountRef, LockedAccount]:
    """Lock the accounts in id order, opening the missing ones first."""
    wanted = sorted(set(refs))
    locked = lock_existing(session, wanted)
    if len(locked) < len(wanted):
        _open_accounts(session, [ref for ref in wanted if ref not in locked], created_at_us)
        locked = lock_existing(session, wanted)
    assert len(locked) == len(wanted), "every account was opened"
    return locked


def lock_existing(session: Session, refs: Iterable[AccountRef]) -> dict[AccountRef, LockedAccount]:
    """Lock those of the accounts that exist, in id order; the missing ones are absent."""
    keys = [(ref.type.value, ref.owner, ref.asset) for ref in sorted(set(refs))]
    rows = session.execute(
        select(
            accounts_t.c.id,
            accounts_t.c.type,
            accounts_t.c.owner,
            accounts_t.c.asset,
            accounts_t.c.allow_negative,
            accounts_t.c.posted_units,
            accounts_t.c.held_units,
        )
        .where(tuple_(accounts_t.c.type, accounts_t.c.owner, accounts_t.c.asset).in_(keys))
        .order_by(accounts_t.c.id)
        .with_for_update()
    ).all()
    result = {}
    for row in rows:
        ref = ref_of(row.type, row.owner, row.asset)
        result[ref] = LockedAccount(
            row.id, ref, row.allow_negative, row.posted_units, row.held_units
        )
    return result


def _open_accounts(session: Session, refs: Sequence[AccountRef], created_at_us: int) -> None:
    """Open accounts with zero balances (no-op for those that exist meanwhile).

    Inserted in (type, owner, asset) order, the order the PostgreSQL function uses, so
    two writers opening the same accounts queue instead of deadlocking.
    """
    if not refs:
        return
    ordered = sorted(set(refs), key=lambda ref: (ref.type.value, ref.owner, ref.asset))
    # One cached statement executed for many rows, not a VALUES list compiled anew for
    # each size (compiling 2 000-row VALUES lists was most of a weekly post on SQLite).
    session.connection().execute(
        dialect_insert(session, accounts_t).on_conflict_do_nothing(
            index_elements=["type", "owner", "asset"]
        ),
        [
            {
                "type": ref.type.value,
                "owner": ref.owner,
                "asset": ref.asset,
                "allow_negative": ref.allow_negative,
                "posted_units": 0,
                "held_units": 0,
                "created_at_us": created_at_us,
            }
            for ref in ordered
        ],
    )


# --- balances -------------------------------------------------------------------------

_ADD_TO_BALANCE = (
    update(accounts_t)
    .where(accounts_t.c.id == bindparam("account_id"))
    .values(
        posted_units=accounts_t.c.posted_units + bindparam("posted_delta"),
        held_units=accounts_t.c.held_units + bindparam("held_delta"),
    )
)


def add_to_balances(session: Session, deltas: Sequence[tuple[int, int, int]]) -> None:
    """Apply (account id, posted delta, held delta) to locked accounts (one executemany)."""
    if not deltas:
        return
    session.connection().execute(
        _ADD_TO_BALANCE,
        [{"account_id": a, "posted_delta": p, "held_delta": h} for a, p, h in deltas],
    )


def read_balance(session: Session, ref: AccountRef) -> tuple[int, int] | None:
    """(posted, held) of an account, or None if it was never opened."""
    row = session.execute(
        select(accounts_t.c.posted_units, accounts_t.c.held_units).where(
            accounts_t.c.type == ref.type.value,
            accounts_t.c.owner == ref.owner,
            accounts_t.c.asset == ref.asset,
        )
    ).one_or_none()
    return None if row is None else (row.posted_units, row.held_units)


def list_balances(session: Session, asset: str | None = None) -> list[tuple[AccountRef, int, int]]:
    """Every account with (posted, held), ordered by name."""
    statement = select(
        accounts_t.c.type,
        accounts_t.c.owner,
        accounts_t.c.asset,
        accounts_t.c.posted_units,
        accounts_t.c.held_units,
    ).order_by(accounts_t.c.asset, accounts_t.c.type, accounts_t.c.owner)
    if asset is not None:
        statement = statement.where(accounts_t.c.asset == asset)
    return [
        (ref_of(r.type, r.owner, r.asset), r.posted_units, r.held_units)
        for r in session.execute(statement)
    ]


def world_posted_before(session: Session, asset: str, before_us: int) -> int:
    """The sum of ``world``'s postings in ``asset`` of entries made before ``before_us``
    (negative: what the world has issued by then)."""
    total = session.execute(
        select(func.coalesce(func.sum(postings_t.c.amount_units), 0))
        .select_from(
            postings_t.join(accounts_t, accounts_t.c.id == postings_t.c.account_id).join(
                transactions_t, transactions_t.c.id == postings_t.c.transaction_id
            )
        )
        .where(
            accounts_t.c.type == AccountType.WORLD.value,
            accounts_t.c.asset == asset,
            transactions_t.c.created_at_us < before_us,
        )
    ).scalar_one()
    return int(total)
