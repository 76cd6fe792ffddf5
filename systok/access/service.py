"""API keys: create, list, revoke, and authenticate them (each within the caller's unit
of work).

A key reads ``stk_<prefix>_<secret>``. The database keeps the prefix (to find the row
with one index lookup) and the SHA-256 of the whole key, never the key: a stolen
database copy cannot call the API. The secret carries 256 random bits, so one fast
hash is enough. Comparison uses ``hmac.compare_digest`` so timing reveals nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sqlalchemy.orm import Session

from systok.access import repository as repo
from systok.access.schemas import KEY_PREFIX_MARK, ApiKeyInfo
from systok.errors import ApiKeyInvalid, ApiKeyNameTaken, ApiKeyNotFound, Unauthenticated

PREFIX_HEX_LENGTH = 12
SECRET_BYTES = 32
SCOPE_EVENTS_WRITE = "events:write"
SCOPE_ADMIN_READ = "admin:read"
"""Read any member's balance, history, transactions and rewards (``?member=``)."""
SCOPE_STATS_READ = "stats:read"
"""Read the economy's supply and distribution statistics."""
SCOPE_TRANSFERS_WRITE = "transfers:write"
"""Send a transfer for the member named by ``?member=`` (a bot relaying the member)."""
SCOPE_PURCHASES_WRITE = "purchases:write"
"""Buy a service for the member named by ``?member=``."""
KNOWN_SCOPES = frozenset(
    {
        SCOPE_EVENTS_WRITE,
        SCOPE_ADMIN_READ,
        SCOPE_STATS_READ,
        SCOPE_TRANSFERS_WRITE,
        SCOPE_PURCHASES_WRITE,
    }
)
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _sha256_hex(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_api_key(
    session: Session, name: str, scopes: list[str], now_us: int
) -> tuple[ApiKeyInfo, str]:
    """Create a key; returns its info and the key, which is shown once and never stored.

    Raises:
        ApiKeyInvalid: a bad name, no scope, or an unknown scope.
        ApiKeyNameTaken: the name is used (by an active or a revoked key).
    """
    if not NAME_PATTERN.match(name):
        raise ApiKeyInvalid(
            f"key name {name!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a "
            "letter or digit"
        )
    wanted = sorted(set(scopes))
    if not wanted:
        raise ApiKeyInvalid(f"give at least one scope (known: {', '.join(sorted(KNOWN_SCOPES))})")
    unknown = [s for s in wanted if s not in KNOWN_SCOPES]
    if unknown:
        raise ApiKeyInvalid(
            f"unknown scope {', '.join(unknown)} (known: {', '.join(sorted(KNOWN_SCOPES))})"
        )
    if repo.name_used(session, name):
        raise ApiKeyNameTaken(f"an API key named {name!r} exists already (names are never reused)")
    prefix = secrets.token_hex(PREFIX_HEX_LENGTH // 2)
    key = f"{KEY_PREFIX_MARK}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    info = repo.insert_key(
        session,
        name=name,
        prefix=prefix,
        key_sha256=_sha256_hex(key),
        scopes=" ".join(wanted),
        now_us=now_us,
    )
    if info is None:  # a concurrent create with the same name
        raise ApiKeyNameTaken(f"an API key named {name!r} exists already")
    return info, key


def list_api_keys(session: Session) -> list[ApiKeyInfo]:
    """Every key, active and revoked, oldest first."""
    return repo.all_keys(session)


def revoke_api_key(session: Session, name: str, now_us: int) -> ApiKeyInfo:
    """Revoke a key from now on; revoking a revoked key changes nothing.

    Raises:
        ApiKeyNotFound: no key has this name.
    """
    info = repo.revoke_key(session, name, now_us)
    if info is None:
        raise ApiKeyNotFound(f"no API key named {name!r}")
    return info


def authenticate(session: Session, key: str | None) -> ApiKeyInfo:
    """The active key matching ``key``.

    Raises:
        Unauthenticated: no key, a malformed one, an unknown one or a revoked one (one
            message for all, so a caller learns nothing about which keys exist).
    """
    refused = Unauthenticated(
        "a valid API key is required (Authorization: Bearer <key>, or X-API-Key)"
    )
    if not key:
        raise refused
    mark, _, rest = key.partition("_")
    prefix, _, secret = rest.partition("_")
    if mark != KEY_PREFIX_MARK or len(prefix) != PREFIX_HEX_LENGTH or not secret:
        raise refused
    stored = repo.key_by_prefix(session, prefix)
    if stored is None or not hmac.compare_digest(stored.key_sha256, _sha256_hex(key)):
        raise refused
    if stored.info.revoked_at_us is not None:
        raise refused
    return stored.info
