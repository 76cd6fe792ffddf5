"""API keys: create, list, revoke, and check them on each request.

A key reads ``stk_<prefix>_<secret>``. The database keeps the prefix (to find the row
with one index lookup) and the SHA-256 of the whole key, never the key: a stolen
database copy cannot call the API. The secret carries 256 random bits, so one fast
hash is enough. Comparison uses ``hmac.compare_digest`` so timing reveals nothing.

Clients send ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. A missing,
unknown or revoked key is 401; a valid key without the endpoint's scope is 403.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from systok.api.edge import gate_result
from systok.db.engine import run_transaction
from systok.db.kit import api_keys_t
from systok.db.tables import ApiKey
from systok.errors import SystokError

KEY_PREFIX_MARK = "stk"
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


class Unauthenticated(SystokError):
    """No API key, or one that is unknown or revoked."""

    status_code = 401
    headers = {"WWW-Authenticate": "Bearer"}  # noqa: RUF012 - read-only class constant


class MissingScope(SystokError):
    """The API key is valid but lacks the scope this endpoint needs."""

    status_code = 403


class ApiKeyInvalid(SystokError):
    """A key name or scope given to ``systok apikey create`` is refused."""

    status_code = 422
    exit_code = 65  # EX_DATAERR


class ApiKeyNameTaken(SystokError):
    """Another key (active or revoked) already has this name."""

    status_code = 409


class ApiKeyNotFound(SystokError):
    """No key has this name."""

    status_code = 404
    exit_code = 66  # EX_NOINPUT


@dataclass(frozen=True)
class ApiKeyInfo:
    """What may be shown about a key (never the key itself)."""

    name: str
    key_prefix: str
    scopes: frozenset[str]
    created_at_us: int
    revoked_at_us: int | None

    @property
    def display_prefix(self) -> str:
        """How the key starts, to recognise it: ``stk_1a2b3c4d5e6f_…``."""
        return f"{KEY_PREFIX_MARK}_{self.key_prefix}_…"


def _sha256_hex(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _info(row: ApiKey) -> ApiKeyInfo:
    return ApiKeyInfo(
        row.name,
        row.key_prefix,
        frozenset(row.scopes.split()),
        row.created_at_us,
        row.revoked_at_us,
    )


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
    if session.execute(select(api_keys_t.c.id).where(api_keys_t.c.name == name)).first():
        raise ApiKeyNameTaken(f"an API key named {name!r} exists already (names are never reused)")
    prefix = secrets.token_hex(PREFIX_HEX_LENGTH // 2)
    key = f"{KEY_PREFIX_MARK}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    row = ApiKey(
        name=name,
        key_prefix=prefix,
        key_sha256=_sha256_hex(key),
        scopes=" ".join(wanted),
        created_at_us=now_us,
        revoked_at_us=None,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # a concurrent create with the same name
        raise ApiKeyNameTaken(f"an API key named {name!r} exists already") from None
    return _info(row), key


def list_api_keys(session: Session) -> list[ApiKeyInfo]:
    """Every key, active and revoked, oldest first."""
    rows = session.execute(select(ApiKey).order_by(ApiKey.id)).scalars()
    return [_info(row) for row in rows]


def revoke_api_key(session: Session, name: str, now_us: int) -> ApiKeyInfo:
    """Revoke a key from now on; revoking a revoked key changes nothing.

    Raises:
        ApiKeyNotFound: no key has this name.
    """
    session.execute(
        update(api_keys_t)
        .where(api_keys_t.c.name == name, api_keys_t.c.revoked_at_us.is_(None))
        .values(revoked_at_us=now_us)
    )
    row = session.execute(select(ApiKey).where(ApiKey.name == name)).scalar_one_or_none()
    if row is None:
        raise ApiKeyNotFound(f"no API key named {name!r}")
    return _info(row)


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
    row = session.execute(select(ApiKey).where(ApiKey.key_prefix == prefix)).scalar_one_or_none()
    if row is None or not hmac.compare_digest(row.key_sha256, _sha256_hex(key)):
        raise refused
    if row.revoked_at_us is not None:
        raise refused
    return _info(row)


def key_from_headers(request: Request) -> str | None:
    """The key of ``Authorization: Bearer <key>``, else of ``X-API-Key``."""
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.headers.get("x-api-key", "").strip() or None


def require_scope(scope: str) -> Callable[[Request], ApiKeyInfo]:
    """A FastAPI dependency: the request's key, which must be active and have ``scope``.

    The lookup is its own short read-only transaction, so a refused request never
    opens the write transaction of the endpoint.
    """
    assert scope in KNOWN_SCOPES, scope

    def dependency(request: Request) -> ApiKeyInfo:
        checked = gate_result(request)
        if isinstance(checked, ApiKeyInfo) and scope in checked.scopes:
            return checked  # the edge checked this key before reading the body
        engine: Engine = request.app.state.engine
        key = key_from_headers(request)
        info = run_transaction(engine, lambda session: authenticate(session, key))
        if scope not in info.scopes:
            raise MissingScope(f"API key {info.name!r} lacks the scope {scope!r}")
        return info

    return dependency
