"""Member tokens: only the platform's signature, issuer, audience and a live token open
the member API; configuration that would weaken that is refused at start-up."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import threading
import time

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from systok.api.app import create_app
from systok.api.member_auth import MemberTokens
from systok.errors import ConfigurationError, Unauthenticated
from systok.policy_files import default_policy
from tests.api.conftest import serve
from tests.api.economy import (
    AUDIENCE,
    ISSUER,
    Economy,
    member_settings,
    mint,
    public_pem,
    seed_members,
)

# Events and tokens are made relative to the clock: CI reruns these at frozen dates.
pytestmark = pytest.mark.clock


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _hs256_with_public_key(sub: str) -> str:
    """A token "signed" with HMAC keyed by the public PEM (PyJWT refuses to mint one)."""
    now = int(time.time())
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": sub, "iss": ISSUER, "aud": AUDIENCE, "exp": now + 600}
    payload = _b64(json.dumps(claims).encode())
    signature = hmac.new(public_pem().encode(), f"{header}.{payload}".encode(), hashlib.sha256)
    return f"{header}.{payload}.{_b64(signature.digest())}"


def _balance(econ: Economy, token: str):
    return econ.client.get(
        "/api/v1/tokenomics/balance", headers={"Authorization": f"Bearer {token}"}
    )


def test_bad_tokens_are_refused(econ: Economy):
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    refused = {
        "expired": mint("m1", exp=now - 3600, iat=now - 7200),
        "not yet valid": mint("m1", nbf=now + 3600),
        "wrong audience": mint("m1", aud="another-service"),
        "wrong issuer": mint("m1", iss="https://evil.example.org"),
        "no exp": mint("m1", exp=None),
        "no sub": mint(None),
        "empty sub": mint(" "),
        "other signer": mint("m1", key=other_key),
        "alg none": jwt.encode({"sub": "m1", "iss": "x", "aud": AUDIENCE}, None, algorithm="none"),
        # Algorithm confusion: the public key used as an HMAC secret.
        "hs256 with the public key": _hs256_with_public_key("m1"),
        "garbage": "a.b.c",
    }
    for why, token in refused.items():
        response = _balance(econ, token)
        assert (response.status_code, response.json()["error"]) == (401, "Unauthenticated"), why
    assert _balance(econ, mint("m1")).status_code == 200


def test_weakening_configuration_is_refused():
    with pytest.raises(ConfigurationError, match="HS256"):
        MemberTokens(member_settings(jwt_algorithms="RS256 HS256"))
    with pytest.raises(ConfigurationError, match="ISSUER"):
        MemberTokens(member_settings(jwt_issuer=None))
    with pytest.raises(ConfigurationError, match="PEM"):
        MemberTokens(member_settings(jwt_public_key="not a key"))
    assert not MemberTokens(member_settings(jwt_public_key=None)).configured


def test_a_remembered_token_is_refused_once_it_expires():
    """ADR 0046: a verified token is remembered, but exp is checked on every request."""
    tokens = MemberTokens(member_settings(jwt_leeway_seconds=0))
    now = int(time.time())
    token = mint("m1", iat=now, exp=now + 60)
    assert tokens.member_id(token) == "m1"
    assert tokens.member_id(token) == "m1"  # remembered: no signature check this time
    with (
        time_machine.travel(now + 61, tick=False),
        pytest.raises(Unauthenticated, match="expired"),
    ):
        tokens.member_id(token)
    forged = token[: token.rindex(".") + 1] + _b64(b"x" * 256)
    with pytest.raises(Unauthenticated, match=r"[Ss]ignature"):
        tokens.member_id(forged)  # the same claims with another signature: verified anew


def test_without_a_key_member_tokens_are_refused(engine):
    settings = member_settings(jwt_public_key=None)
    app = create_app(engine, settings, default_policy(settings))
    seed_members(engine)
    with serve(app, engine) as server:
        response = server.client.get(
            "/api/v1/tokenomics/balance", headers={"Authorization": f"Bearer {mint('m1')}"}
        )
    assert response.status_code == 401 and "no verification key" in response.json()["detail"]


def test_jwks_url_with_an_ec_key(engine):
    """The platform publishes its keys as a JWKS; tokens name theirs by ``kid``."""
    signing = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(signing.public_key()))
    jwks = json.dumps({"keys": [jwk | {"kid": "k1", "use": "sig", "alg": "ES256"}]}).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(jwks)

        def log_message(self, *args):
            pass

    keys_server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=keys_server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{keys_server.server_port}/jwks.json"
        settings = member_settings(jwt_public_key=None, jwt_jwks_url=url)
        app = create_app(engine, settings, default_policy(settings))
        seed_members(engine)
        with serve(app, engine) as server:
            good = mint("m1", key=signing, algorithm="ES256", headers=None)
            token = jwt.encode(
                jwt.decode(good, options={"verify_signature": False}),
                signing,
                algorithm="ES256",
                headers={"kid": "k1"},
            )
            ok = server.client.get(
                "/api/v1/tokenomics/balance", headers={"Authorization": f"Bearer {token}"}
            )
            unknown_kid = jwt.encode(
                jwt.decode(good, options={"verify_signature": False}),
                signing,
                algorithm="ES256",
                headers={"kid": "k9"},
            )
            refused = server.client.get(
                "/api/v1/tokenomics/balance", headers={"Authorization": f"Bearer {unknown_kid}"}
            )
    finally:
        keys_server.shutdown()
    assert ok.status_code == 200, ok.text
    assert ok.json()["member"] == "m1"
    assert refused.status_code == 401
