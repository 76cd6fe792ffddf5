"""API keys on each request: read the key from the headers, check it and its scope.

Clients send ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. A missing,
unknown or revoked key is 401; a valid key without the endpoint's scope is 403. Keys
themselves (create, list, revoke, the hash check) live in ``systok.access.service``.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from systok.access.schemas import ApiKeyInfo
from systok.access.service import (
    KNOWN_SCOPES,
    SCOPE_ADMIN_READ,
    SCOPE_EVENTS_WRITE,
    SCOPE_PURCHASES_WRITE,
    SCOPE_STATS_READ,
    SCOPE_TRANSFERS_WRITE,
    authenticate,
)
from systok.api.deps import unit_of_work
from systok.api.edge import gate_result
from systok.errors import MissingScope

__all__ = [
    "SCOPE_ADMIN_READ",
    "SCOPE_EVENTS_WRITE",
    "SCOPE_PURCHASES_WRITE",
    "SCOPE_STATS_READ",
    "SCOPE_TRANSFERS_WRITE",
    "key_from_headers",
    "require_scope",
    "scoped_key",
]


def key_from_headers(request: Request) -> str | None:
    """The key of ``Authorization: Bearer <key>``, else of ``X-API-Key``."""
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.headers.get("x-api-key", "").strip() or None


def require_scope(scope: str) -> Callable[[Request], ApiKeyInfo]:
    """A FastAPI dependency: the request's key, which must be active and have ``scope``."""
    assert scope in KNOWN_SCOPES, scope

    def dependency(request: Request) -> ApiKeyInfo:
        checked = gate_result(request)
        if isinstance(checked, ApiKeyInfo) and scope in checked.scopes:
            return checked  # the edge checked this key before reading the body
        return scoped_key(request, key_from_headers(request), scope)

    return dependency


def scoped_key(request: Request, key: str | None, scope: str | None) -> ApiKeyInfo:
    """The active key ``key``, which must have ``scope`` (None: no key may call here).

    The lookup is its own short transaction, so a refused request never opens the
    endpoint's.

    Raises:
        Unauthenticated: no key, or an unknown or revoked one.
        MissingScope: the key lacks the scope, or the endpoint takes no keys.
    """
    info = unit_of_work(request)(lambda session: authenticate(session, key))
    if scope is None:
        raise MissingScope(f"API key {info.name!r}: this endpoint takes member tokens only")
    if scope not in info.scopes:
        raise MissingScope(f"API key {info.name!r} lacks the scope {scope!r}")
    return info
