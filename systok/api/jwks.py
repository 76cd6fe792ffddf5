"""The platform's JWKS, cached and fetched again early when a token names a new ``kid``
(ADR 0014): the keys member tokens are verified with when the platform publishes a set."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import jwt

from systok.errors import MemberAuthUnavailable


class JwksKeys:
    """The platform's JWKS, cached, fetched again early when a token names a new ``kid``.

    The set is used for ``cache_seconds``, then fetched again. A token whose ``kid`` is
    not in it makes one fetch at once (the platform has just published a new key), but
    such refetches happen at most once per ``refetch_seconds``: a flood of made-up kids
    costs one fetch, not one each. A failed fetch is not retried within
    ``refetch_seconds`` either (the platform is not hammered while it is down). A key
    the platform withdraws stops verifying when the cache expires.

    Thread-safe: the lock is held while fetching, so concurrent requests wait for the
    one fetch and then read its answer.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout_seconds: float,
        cache_seconds: float,
        refetch_seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.timeout_seconds = timeout_seconds
        self.cache_seconds = cache_seconds
        self.refetch_seconds = refetch_seconds
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._keys: dict[str, Any] = {}
        self._fetched_at: float | None = None
        self._refetched_at: float | None = None
        self._failed_at: float | None = None
        self._failure = ""

    def keys_for(self, kid: str | None) -> list[Any]:
        """The key a token names by ``kid`` (a token without one: the set's only key).

        Raises:
            jwt.InvalidTokenError: the kid is not in the set (after a refetch if one
                was allowed), or the token names none and the set has several keys.
            MemberAuthUnavailable: the set could not be fetched.
        """
        with self._lock:
            now = self._monotonic()
            if self._fetched_at is None or now - self._fetched_at >= self.cache_seconds:
                self._fetch(now)
            elif kid is not None and kid not in self._keys and self._may_refetch(now):
                self._refetched_at = now
                self._fetch(now)
            if kid is None:
                if len(self._keys) == 1:
                    return list(self._keys.values())
                raise jwt.InvalidTokenError(
                    f"the token names no kid and the platform's JWKS has {len(self._keys)} keys"
                )
            if kid not in self._keys:
                raise jwt.InvalidTokenError(
                    f"kid {kid!r} is not in the platform's JWKS (fetched again for an unknown "
                    f"kid at most every {self.refetch_seconds:g} s)"
                )
            return [self._keys[kid]]

    def _may_refetch(self, now: float) -> bool:
        return self._refetched_at is None or now - self._refetched_at >= self.refetch_seconds

    def _fetch(self, now: float) -> None:
        if self._failed_at is not None and now - self._failed_at < self.refetch_seconds:
            raise MemberAuthUnavailable(
                f"the platform's JWKS is unreachable: {self._failure} (tried "
                f"{now - self._failed_at:.0f} s ago; again after {self.refetch_seconds:g} s)"
            )
        try:
            response = httpx.get(self.url, timeout=self.timeout_seconds)
            response.raise_for_status()
            jwk_set = jwt.PyJWKSet.from_dict(response.json())
        except (httpx.HTTPError, ValueError, jwt.PyJWTError) as error:
            self._failed_at, self._failure = now, f"{type(error).__name__}: {error}"
            raise MemberAuthUnavailable(
                f"the platform's JWKS is unreachable: {self._failure}"
            ) from None
        self._keys = {
            jwk.key_id: jwk.key
            for jwk in jwk_set.keys
            if jwk.key_id and jwk.public_key_use in ("sig", None)
        }
        self._fetched_at, self._failed_at = now, None
