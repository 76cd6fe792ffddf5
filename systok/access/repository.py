"""All SQL of API keys. Functions take the caller's session; nothing commits."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from systok.access.schemas import ApiKeyInfo, StoredKey
from systok.db.kit import api_keys_t
from systok.db.tables import ApiKey


def _stored(row: ApiKey) -> StoredKey:
    info = ApiKeyInfo(
        row.name,
        row.key_prefix,
        frozenset(row.scopes.split()),
        row.created_at_us,
        row.revoked_at_us,
    )
    return StoredKey(info, row.key_sha256)


def name_used(session: Session, name: str) -> bool:
    """Whether any key, active or revoked, has this name (names are never reused)."""
    return (
        session.execute(select(api_keys_t.c.id).where(api_keys_t.c.name == name)).first()
        is not None
    )


def insert_key(
    session: Session, *, name: str, prefix: str, key_sha256: str, scopes: str, now_us: int
) -> ApiKeyInfo | None:
    """Store a new key; None when a concurrent create took the name first."""
    row = ApiKey(
        name=name,
        key_prefix=prefix,
        key_sha256=key_sha256,
        scopes=scopes,
        created_at_us=now_us,
        revoked_at_us=None,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        return None
    return _stored(row).info


def all_keys(session: Session) -> list[ApiKeyInfo]:
    """Every key, active and revoked, oldest first."""
    rows = session.execute(select(ApiKey).order_by(ApiKey.id)).scalars()
    return [_stored(row).info for row in rows]


def revoke_key(session: Session, name: str, now_us: int) -> ApiKeyInfo | None:
    """Revoke an active key from ``now_us`` on; the key's info afterwards, None if unknown."""
    session.execute(
        update(api_keys_t)
        .where(api_keys_t.c.name == name, api_keys_t.c.revoked_at_us.is_(None))
        .values(revoked_at_us=now_us)
    )
    row = session.execute(select(ApiKey).where(ApiKey.name == name)).scalar_one_or_none()
    return None if row is None else _stored(row).info


def key_by_prefix(session: Session, prefix: str) -> StoredKey | None:
    """The key whose prefix this is (one index lookup)."""
    row = session.execute(select(ApiKey).where(ApiKey.key_prefix == prefix)).scalar_one_or_none()
    return None if row is None else _stored(row)
