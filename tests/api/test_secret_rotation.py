"""Rotating secrets without refusing anybody (ADR 0014, docs/api.md "Rotating secrets").

- the Discourse webhook: a current and a previous secret are both accepted, both MACs
  computed in the one pass over the streamed body;
- JWKS: a token signed with a key the platform has just published is accepted at once
  (an unknown ``kid`` fetches the set again), and a flood of unknown kids costs one
  fetch per ``SYSTOK_JWT_JWKS_REFETCH_SECONDS``; the stand-in JWKS server runs on
  loopback, rotates its keys and counts the fetches;
- PEM: several public keys (blocks in a row) are all accepted.
"""

from __future__ import annotations

import http.server
import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy import Engine

from systok.api.app import create_app
from systok.api.member_auth import MemberTokens
from systok.config import Settings
from systok.errors import ConfigurationError, MemberAuthUnavailable, Unauthenticated
from systok.policy_files import default_policy
from tests.api.conftest import LiveServer, discourse_headers, dumps, serve, sign, table_counts
from tests.api.economy import AUDIENCE, ISSUER, member_settings, seed_members
from tests.api.test_discourse_webhook import post

# Events and tokens are made relative to the clock: CI reruns these at frozen dates.
pytestmark = pytest.mark.clock

URL = "/api/v1/webhooks/discourse"


# --- the Discourse webhook secret -----------------------------------------------------


@contextmanager
def webhook_server(engine: Engine, **secrets: str | None) -> Iterator[LiveServer]:
    settings = Settings(_env_file=None, policy=None, **secrets)  # type: ignore[call-arg]
    app = create_app(engine, settings, default_policy(settings))
    with serve(app, engine) as server:
        yield server


def deliver(live: LiveServer, post_id: int, secret: str, *, chunked: bool = False) -> Any:
    raw = dumps({"post": post(post_id, number=1)})
    headers = discourse_headers(raw, "post_created", post_id, signature=sign(raw, secret))
    if chunked:  # no Content-Length: the body streams in 7-byte chunks
        pieces = [raw[i : i + 7] for i in range(0, len(raw), 7)]
        return live.client.post(URL, content=iter(pieces), headers=headers)
    return live.client.post(URL, content=raw, headers=headers)


def test_during_a_rotation_the_current_and_the_previous_webhook_secret_are_accepted(engine, caplog):
    rotating = {
        "discourse_webhook_secret": "new-secret",
        "discourse_webhook_secret_previous": "old-secret",
    }
    with webhook_server(engine, **rotating) as live:
        for post_id, secret in ((4701, "old-secret"), (4702, "new-secret")):
            response = deliver(live, post_id, secret)
            assert response.status_code == 200, response.text
            assert response.json()["accepted"] == 1
        streamed = deliver(live, 4703, "old-secret", chunked=True)
        assert streamed.status_code == 200 and streamed.json()["accepted"] == 1
        signed_with_previous = [
            r for r in caplog.records if "SYSTOK_DISCOURSE_WEBHOOK_SECRET_PREVIOUS" in r.message
        ]
        assert len(signed_with_previous) == 2, "each delivery with the old secret is logged"
        before = table_counts(live.engine)
        for post_id, secret in ((4704, "another-secret"), (4705, "")):
            refused = deliver(live, post_id, secret)
            assert refused.status_code == 401
            assert refused.json()["error"] == "WebhookSignatureInvalid"
        assert table_counts(live.engine) == before, "a refused delivery stores nothing"

    # The rotation is over: the previous secret is unset and no longer opens anything.
    with webhook_server(engine, discourse_webhook_secret="new-secret") as live:
        assert deliver(live, 4706, "old-secret").status_code == 401
        assert deliver(live, 4707, "new-secret").status_code == 200


def test_a_previous_secret_alone_opens_nothing(engine):
    with webhook_server(engine, discourse_webhook_secret_previous="old-secret") as live:
        response = deliver(live, 4711, "old-secret")
    assert response.status_code == 401
    assert "SYSTOK_DISCOURSE_WEBHOOK_SECRET" in response.json()["detail"]


# --- JWKS: a stand-in platform that rotates its keys ----------------------------------


class JwksStandIn:
    """The platform's JWKS endpoint on loopback: publishes ``keys``, counts the fetches,
    and answers 500 while ``down``. (The set's shape: RFC 7517 §5, ``{"keys": [...]}``.)"""

    def __init__(self) -> None:
        self.keys: dict[str, Any] = {}
        self.fetches = 0
        self.down = False
        stand_in = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stand_in.fetches += 1
                if stand_in.down:
                    self.send_response(500)
                    self.end_headers()
                    return
                body = json.dumps({"keys": list(stand_in.keys.values())}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/.well-known/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self, kid: str, private_key: Any) -> None:
        public = private_key.public_key()
        if isinstance(public, rsa.RSAPublicKey):
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public))
            alg = "RS256"
        else:
            jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(public))
            alg = "ES256"
        self.keys[kid] = jwk | {"kid": kid, "use": "sig", "alg": alg}

    def withdraw(self, kid: str) -> None:
        del self.keys[kid]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def platform() -> Iterator[JwksStandIn]:
    stand_in = JwksStandIn()
    yield stand_in
    stand_in.close()


def token(private_key: Any, kid: str | None, sub: str = "m1") -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "iat": now, "exp": now + 600}
    algorithm = "RS256" if isinstance(private_key, rsa.RSAPrivateKey) else "ES256"
    headers = {"kid": kid} if kid is not None else None
    return jwt.encode(claims, private_key, algorithm=algorithm, headers=headers)


def new_rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_a_newly_published_jwks_key_is_accepted_at_once_and_a_flood_costs_one_fetch(
    engine, platform: JwksStandIn
):
    old_key, new_key = new_rsa(), ec.generate_private_key(ec.SECP256R1())
    platform.publish("2026-11", old_key)
    settings = member_settings(jwt_public_key=None, jwt_jwks_url=platform.url)
    app = create_app(engine, settings, default_policy(settings))
    seed_members(engine)

    def balance(server: LiveServer, bearer: str) -> Any:
        return server.client.get(
            "/api/v1/tokenomics/balance", headers={"Authorization": f"Bearer {bearer}"}
        )

    with serve(app, engine) as server:
        assert balance(server, token(old_key, "2026-11")).status_code == 200
        assert platform.fetches == 1

        platform.publish("2026-12", new_key)  # the platform rotates: a new key, new kid
        fresh = balance(server, token(new_key, "2026-12"))
        assert fresh.status_code == 200, fresh.text
        assert platform.fetches == 2, "the unknown kid fetched the set once"

        flood = [balance(server, token(new_rsa(), uuid.uuid4().hex)) for _ in range(25)]
        assert {r.status_code for r in flood} == {401}
        assert "is not in the platform's JWKS" in flood[0].json()["detail"]
        assert platform.fetches == 2, "a flood of unknown kids within 30 s fetches nothing"
        assert balance(server, token(old_key, "2026-11")).status_code == 200
        assert balance(server, token(new_key, "2026-12")).status_code == 200
        assert platform.fetches == 2


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_jwks_refetches_are_rate_limited_and_withdrawn_keys_expire(platform: JwksStandIn):
    first, second, third = new_rsa(), new_rsa(), new_rsa()
    platform.publish("a", first)
    clock = FakeMonotonic()
    settings = member_settings(jwt_public_key=None, jwt_jwks_url=platform.url)
    tokens = MemberTokens(settings, monotonic=clock)

    assert tokens.member_id(token(first, "a")) == "m1"
    platform.publish("b", second)
    assert tokens.member_id(token(second, "b")) == "m1"
    assert platform.fetches == 2

    platform.publish("c", third)
    clock.now += 29.9
    with pytest.raises(Unauthenticated, match="'c' is not in the platform's JWKS"):
        tokens.member_id(token(third, "c"))
    assert platform.fetches == 2, "within 30 s of the last refetch: no fetch"
    clock.now += 0.1
    assert tokens.member_id(token(third, "c")) == "m1"
    assert platform.fetches == 3

    # The platform withdraws key a: it verifies until the cached set expires (300 s).
    platform.withdraw("a")
    clock.now += 299
    assert tokens.member_id(token(first, "a")) == "m1"
    clock.now += 1
    with pytest.raises(Unauthenticated, match="'a' is not in"):
        tokens.member_id(token(first, "a"))
    assert platform.fetches == 4

    # A token without a kid: accepted only while the set has a single key.
    with pytest.raises(Unauthenticated, match="names no kid"):
        tokens.member_id(token(second, None))

    # The platform is down: 503, and it is not asked again within 30 s.
    platform.down = True
    clock.now += 300
    with pytest.raises(MemberAuthUnavailable, match="unreachable"):
        tokens.member_id(token(second, "b"))
    for _ in range(10):
        with pytest.raises(MemberAuthUnavailable):
            tokens.member_id(token(second, "b"))
    assert platform.fetches == 5
    platform.down = False
    clock.now += 30
    assert tokens.member_id(token(second, "b")) == "m1"
    assert platform.fetches == 6


# --- PEM: several keys ------------------------------------------------------------------


def pem(private_key: Any) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def test_several_pem_keys_are_all_accepted(tmp_path):
    old_key, new_key, stranger = new_rsa(), ec.generate_private_key(ec.SECP256R1()), new_rsa()
    both = pem(old_key) + "\n" + pem(new_key)
    key_file = tmp_path / "platform-keys.pem"
    key_file.write_text(both, encoding="utf-8")
    for settings in (
        member_settings(jwt_public_key=both),
        member_settings(jwt_public_key=None, jwt_public_key_file=key_file),
    ):
        tokens = MemberTokens(settings)
        assert tokens.member_id(token(old_key, None, sub="m1")) == "m1"
        assert tokens.member_id(token(new_key, None, sub="m2")) == "m2"
        with pytest.raises(Unauthenticated, match=r"none of the configured keys \(1 of 2"):
            tokens.member_id(token(stranger, None))


def test_a_token_of_another_key_kind_is_refused_not_a_server_error():
    """An ES256 token against RSA keys only: 401 (PyJWT alone raises a TypeError, a 500)."""
    tokens = MemberTokens(member_settings(jwt_public_key=pem(new_rsa())))
    with pytest.raises(Unauthenticated, match="no configured key is of the kind alg ES256"):
        tokens.member_id(token(ec.generate_private_key(ec.SECP256R1()), None))


def test_a_bad_block_among_several_pem_keys_is_named():
    private = new_rsa().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    mixed = pem(new_rsa()) + private.decode()
    with pytest.raises(ConfigurationError, match=r"block 2 of 2"):
        MemberTokens(member_settings(jwt_public_key=mixed))
