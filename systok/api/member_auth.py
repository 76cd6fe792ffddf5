"""Who is calling: a member with the learning platform's JWT, or a client with an API key.

Members send ``Authorization: Bearer <JWT>``. The token must be signed by the platform
(its PEM public key, ``SYSTOK_JWT_PUBLIC_KEY``/``_FILE`` — several PEM blocks in a row
are all accepted, for a rotation — or its JWKS, ``SYSTOK_JWT_JWKS_URL``, fetched again
at once, rate-limited, when a token names a new ``kid``: ADR 0014) with an asymmetric
algorithm from ``SYSTOK_JWT_ALGORITHMS``,
and carry the configured ``iss`` and ``aud``, an ``exp`` and a ``sub``: the member's
platform id (``members.id``). Symmetric algorithms and ``none`` are refused at start-up,
so a public key can never be used as an HMAC secret (algorithm confusion).

Admins and integrations send an API key (``stk_…``, as ``Bearer`` or ``X-API-Key``)
whose scopes name what they may do (``systok apikey create NAME --scope …``).

A member acts only for themselves. A key with the endpoint's scope acts for the member
named by the ``member`` query parameter (support reading a balance, the Telegram bot
relaying a member's transfer). Refusals: no or bad credentials 401; a valid caller
without the right (a member on an admin endpoint, a key without the scope, a member
naming another member) 403.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi import Request

from systok import clock
from systok.access.schemas import KEY_PREFIX_MARK, ApiKeyInfo
from systok.api.auth import scoped_key
from systok.api.edge import FieldRefused
from systok.api.jwks import JwksKeys
from systok.config import Settings
from systok.errors import ConfigurationError, NotYourAccount, Unauthenticated

ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
HEADERS_KEPT = 64
"""Distinct token headers whose parse a ``MemberTokens`` keeps (one per signing key)."""
VERIFIED_KEPT = 4096
"""Tokens a ``MemberTokens`` remembers as verified (then it forgets them all and starts
over): a member's client sends the same token with every request until it expires."""


class MemberParameterRequired(FieldRefused):
    """An API key called a member endpoint without saying which member it acts for."""


@dataclass(frozen=True)
class Principal:
    """The verified caller: exactly one of a member id (JWT ``sub``) or an API key."""

    member_id: str | None = None
    key: ApiKeyInfo | None = None

    @property
    def label(self) -> str:
        """For logs and metrics: ``member`` or ``key:<name>``."""
        return "member" if self.key is None else f"key:{self.key.name}"


class MemberTokens:
    """Verifies members' JWTs with the configured key or JWKS; built once per app."""

    def __init__(
        self, settings: Settings, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        """``monotonic`` times the JWKS cache and its refetches (tests pass their own)."""
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.leeway = settings.jwt_leeway_seconds
        self.max_lifetime_seconds = settings.jwt_max_lifetime_seconds
        self.algorithms = sorted(set(settings.jwt_algorithms.replace(",", " ").split()))
        refused = [a for a in self.algorithms if a not in ASYMMETRIC_ALGORITHMS]
        if refused:
            raise ConfigurationError(
                f"SYSTOK_JWT_ALGORITHMS: {', '.join(refused)} refused; member tokens must be "
                f"signed asymmetrically ({', '.join(sorted(ASYMMETRIC_ALGORITHMS))})"
            )
        self._keys: list[Any] = []
        self._jwks: JwksKeys | None = None
        self._headers: dict[str, dict[str, Any]] = {}
        self._verified: dict[str, tuple[str, int]] = {}
        pem = settings.jwt_public_key
        if settings.jwt_public_key_file is not None:
            pem = _read_key_file(settings.jwt_public_key_file)
        if pem:
            self._keys = load_public_keys(pem)
        elif settings.jwt_jwks_url:
            self._jwks = JwksKeys(
                settings.jwt_jwks_url,
                timeout_seconds=settings.http_timeout_seconds,
                cache_seconds=settings.jwt_jwks_cache_seconds,
                refetch_seconds=settings.jwt_jwks_refetch_seconds,
                monotonic=monotonic,
            )
        if self.configured and not (self.issuer and self.audience):
            raise ConfigurationError(
                "member tokens need SYSTOK_JWT_ISSUER and SYSTOK_JWT_AUDIENCE: without them a "
                "token the platform issued for another service would open this one"
            )

    @property
    def offline(self) -> bool:
        """Whether verifying a token needs no I/O: keys from PEM, not a JWKS to fetch."""
        return self._jwks is None

    @property
    def configured(self) -> bool:
        """Whether member tokens are accepted at all (a key or a JWKS URL is set)."""
        return bool(self._keys) or self._jwks is not None

    def member_id(self, token: str) -> str:
        """The verified ``sub`` of a member token.

        A token verified once against the configured PEM keys is remembered (at most
        ``VERIFIED_KEPT``) with its ``sub`` and ``exp``: the same bytes under the same
        keys verify the same way, and of the time-bound checks only ``exp`` can turn a
        pass into a refusal, so it alone is checked again. This saves the signature
        check and the parse on every request but the first of a token (ADR 0046).
        Tokens checked against a JWKS are not remembered: a key the platform withdraws
        must stop verifying when the set is fetched again.

        Raises:
            Unauthenticated: not configured, malformed, badly signed, expired, not yet
                valid, or with a wrong issuer or audience (the reason is in the detail).
            MemberAuthUnavailable: the JWKS could not be fetched.
        """
        if not self.configured:
            raise Unauthenticated(
                "member tokens are not accepted here: no verification key is configured"
            )
        known = self._verified.get(token)
        if known is not None:
            if known[1] > clock.now_us() / 1_000_000 - self.leeway:  # PyJWT's exp rule
                return known[0]
            self._verified.pop(token, None)  # expired: verified again, refused with reason
        try:
            if self._jwks is not None:
                keys = self._jwks.keys_for(self._header(token).get("kid"))
            else:
                keys = self._keys
            claims = self._decode(token, keys)
        except jwt.PyJWTError as error:
            raise Unauthenticated(f"member token refused: {error}") from None
        self._refuse_long_lived(claims)
        subject = claims.get("sub")
        if not isinstance(subject, str) or not subject.strip():
            raise Unauthenticated("member token refused: sub must name the member")
        if self._jwks is None:
            if len(self._verified) >= VERIFIED_KEPT:
                self._verified.clear()
            self._verified[token] = (subject, int(claims["exp"]))
        return subject

    def _header(self, token: str) -> dict[str, Any]:
        """The token's unverified header (it picks the key), parsed once per distinct header.

        Every token the platform signs with one key carries the same header segment, so
        parsing it again for each request is wasted work (ADR 0046). Only headers that
        parse are kept, at most ``HEADERS_KEPT`` of them (made-up ones cannot grow the
        cache); nothing here is trusted: ``jwt.decode`` verifies the whole token after.
        """
        segment = token.partition(".")[0]
        header = self._headers.get(segment)
        if header is None:
            header = jwt.get_unverified_header(token)
            if len(self._headers) >= HEADERS_KEPT:
                self._headers.clear()
            self._headers[segment] = header
        return header

    def _decode(self, token: str, keys: list[Any]) -> dict[str, Any]:
        """The verified claims, with the first key whose signature matches.

        Several keys are tried only when several are configured (PEM blocks during a
        rotation); a claim that fails (expired, wrong audience …) fails with any key.
        """
        algorithm = self._header(token).get("alg")
        if algorithm not in self.algorithms:
            raise jwt.InvalidAlgorithmError(
                f"alg {algorithm!r} is not accepted (SYSTOK_JWT_ALGORITHMS: "
                f"{' '.join(self.algorithms)})"
            )
        fitting = [key for key in keys if key_fits(key, algorithm)]
        if not fitting:
            raise jwt.InvalidKeyError(f"no configured key is of the kind alg {algorithm} needs")
        refused: jwt.PyJWTError = jwt.InvalidSignatureError("no verification key")
        for key in fitting:
            try:
                claims: dict[str, Any] = jwt.decode(
                    token,
                    key,
                    algorithms=self.algorithms,
                    audience=self.audience,
                    issuer=self.issuer,
                    leeway=self.leeway,
                    options={"require": ["exp", "iss", "aud", "sub"]},
                )
            except (jwt.InvalidSignatureError, jwt.InvalidKeyError) as error:
                refused = error  # signed with another of the keys, or of another type
                continue
            return claims
        if len(keys) > 1:
            raise jwt.InvalidSignatureError(
                f"the signature matches none of the configured keys ({len(fitting)} of "
                f"{len(keys)} fit alg {algorithm})"
            )
        raise refused

    def _refuse_long_lived(self, claims: dict[str, Any]) -> None:
        """A token may live at most ``SYSTOK_JWT_MAX_LIFETIME_SECONDS``: ``exp − iat`` and
        ``exp − now`` both within it (plus the leeway), so a stolen token issued for
        the year 3000 opens nothing."""
        exp = claims["exp"]  # required, and an int: jwt.decode checked both
        longest = self.max_lifetime_seconds + self.leeway
        issued = claims.get("iat")
        if isinstance(issued, int | float) and exp - issued > longest:
            raise Unauthenticated(
                f"member token refused: it lives {int(exp - issued)} s from iat to exp; at most "
                f"{self.max_lifetime_seconds} s (SYSTOK_JWT_MAX_LIFETIME_SECONDS)"
            )
        if exp - clock.now_us() / 1_000_000 > longest:
            raise Unauthenticated(
                f"member token refused: exp is more than {self.max_lifetime_seconds} s away "
                "(SYSTOK_JWT_MAX_LIFETIME_SECONDS)"
            )


def key_fits(key: Any, algorithm: str) -> bool:
    """Whether ``key`` is of the kind ``algorithm`` verifies with (RS/PS: RSA, ES: EC,
    EdDSA: Ed25519/Ed448); PyJWT raises a bare TypeError on a mismatch."""
    if algorithm.startswith(("RS", "PS")):
        return isinstance(key, rsa.RSAPublicKey)
    if algorithm.startswith("ES"):
        return isinstance(key, ec.EllipticCurvePublicKey)
    if algorithm == "EdDSA":
        return isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey)
    return False


PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----.+?-----END \1-----", re.DOTALL)


def load_public_keys(pem: str) -> list[Any]:
    """Every PEM public key in ``pem``: one block, or several in a row (a rotation: the
    platform's new key next to the one still signing live tokens).

    Raises:
        ConfigurationError: no PEM block, or a block that is not a public key (the
            message says which, counting from 1).
    """
    blocks = [match.group(0) for match in PEM_BLOCK.finditer(pem)]
    if not blocks:
        raise ConfigurationError(
            "SYSTOK_JWT_PUBLIC_KEY is not a PEM public key: no -----BEGIN …----- block"
        )
    keys = []
    for number, block in enumerate(blocks, start=1):
        try:
            keys.append(load_pem_public_key(block.encode("utf-8")))
        except (ValueError, UnsupportedAlgorithm) as error:
            raise ConfigurationError(
                f"SYSTOK_JWT_PUBLIC_KEY is not a PEM public key (block {number} of "
                f"{len(blocks)}): {error}"
            ) from None
    return keys


def _read_key_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigurationError(f"SYSTOK_JWT_PUBLIC_KEY_FILE {path}: {error}") from None


def _credentials(request: Request) -> tuple[str | None, bool]:
    """``(credentials, is_api_key)`` from ``Authorization: Bearer`` or ``X-API-Key``."""
    authorization = request.headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return value, value.startswith(f"{KEY_PREFIX_MARK}_")
    header_key = request.headers.get("x-api-key", "").strip()
    if header_key:
        return header_key, True
    return None, False


def identify_needs_io(request: Request) -> bool:
    """Whether ``identify`` may wait on I/O for this request: an API key (looked up in
    the database) or a member token verified against a JWKS (which may be fetched).

    A member token checked against PEM keys is CPU work only (one signature check), so
    a route's dependency runs it on the event loop instead of hopping to the thread
    pool (ADR 0046).
    """
    credentials, is_key = _credentials(request)
    if credentials is None:
        return False
    tokens: MemberTokens = request.app.state.member_tokens
    return is_key or not tokens.offline


def identify(request: Request, *, key_scope: str | None, members: bool) -> Principal:
    """Authenticate the request and check the caller may use this endpoint at all.

    Args:
        key_scope: the scope an API key needs here; None: keys may not call it.
        members: whether member tokens may call it.
    """
    credentials, is_key = _credentials(request)
    if credentials is None:
        raise Unauthenticated(
            "send a member token (Authorization: Bearer <JWT>) or an API key "
            "(Authorization: Bearer stk_…, or X-API-Key)"
        )
    if is_key:
        return Principal(key=scoped_key(request, credentials, key_scope))
    tokens: MemberTokens = request.app.state.member_tokens
    member_id = tokens.member_id(credentials)
    if not members:
        raise NotYourAccount("member tokens cannot call this endpoint; it needs an API key")
    return Principal(member_id=member_id)


def acting_member(principal: Principal, member: str | None) -> str:
    """The member a request acts for: the token's own, or the one a key names.

    Raises:
        NotYourAccount: a member named somebody else.
        MemberParameterRequired: a key named nobody.
    """
    if principal.member_id is not None:
        if member is not None and member != principal.member_id:
            raise NotYourAccount("a member sees and moves only their own tokens")
        return principal.member_id
    if not member:
        raise MemberParameterRequired(
            "query.member", "required with an API key (the member this request acts for)"
        )
    return member
