"""Every endpoint × every kind of caller → the expected status; nobody reaches another
member's tokens. The matrix is the specification: a new endpoint must be added here.

Callers: anonymous; member m1 for themselves; member m1 naming member m2 (``?member=m2``);
an admin key holding every scope; a key without the endpoint's scope. Reads of m2's data
by m1 are refused, and a transfer or purchase that names m2 moves nothing of m2's.
"""

from __future__ import annotations

import uuid

import pytest
from solders.keypair import Keypair
from sqlalchemy import text

from systok.clock import now_us
from systok.db.engine import run_transaction
from systok.payout.wallets import issue_challenge
from tests.api.economy import STK, Economy, balances, fund

# Events and tokens are made relative to the clock: CI reruns these at frozen dates.
pytestmark = pytest.mark.clock

ALL_SCOPES = ("admin:read", "stats:read", "transfers:write", "purchases:write", "events:write")
T = "/api/v1/tokenomics"


def wallet_proof(econ: Economy) -> dict[str, str]:
    """A fresh challenge issued to m1 and a wallet's real signature of it (a valid link)."""
    wallet = Keypair()
    issued = run_transaction(
        econ.engine,
        lambda s: issue_challenge(s, "m1", str(wallet.pubkey()), now_us=now_us(), ttl_seconds=60),
    )
    signature = wallet.sign_message(issued.message.encode())
    return {"nonce": issued.nonce, "signature": str(signature)}


# (method, path, body (or a function of the economy making one), needs Idempotency-Key,
#  scope a key needs or None,
#  expected status for: anonymous, member, other member, admin key, key without scope)
MATRIX = [
    ("GET", f"{T}/balance", None, False, "admin:read", (401, 200, 403, 200, 403)),
    ("GET", f"{T}/balance/history", None, False, "admin:read", (401, 200, 403, 200, 403)),
    ("GET", f"{T}/transactions", None, False, "admin:read", (401, 200, 403, 200, 403)),
    ("GET", f"{T}/rewards", None, False, "admin:read", (401, 200, 403, 200, 403)),
    (
        "GET",
        f"{T}/rewards/weekly?week=2026-W40",
        None,
        False,
        "admin:read",
        (401, 404, 403, 404, 403),
    ),  # no reward that week: 404 once allowed in
    (
        "GET",
        f"{T}/rewards/proof?week=2026-W40",
        None,
        False,
        "admin:read",
        (401, 404, 403, 404, 403),
    ),  # the Merkle proof: the same gate as the statement
    (
        "POST",
        f"{T}/transfer",
        {"to": "m3", "amount": "1"},
        True,
        "transfers:write",
        (401, 200, 403, 200, 403),
    ),
    (
        "POST",
        f"{T}/services/mentor_session_1h/purchase",
        None,
        True,
        "purchases:write",
        (401, 200, 403, 200, 403),
    ),
    ("GET", f"{T}/services", None, False, None, (200, 200, 200, 200, 200)),
    ("GET", f"{T}/wallet", None, False, "admin:read", (401, 200, 403, 200, 403)),
    (
        "POST",
        f"{T}/wallet/challenge",
        {"address": "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV"},
        False,
        None,
        (401, 200, 403, 403, 403),
    ),  # linking takes the member's own token: no key scope opens it
    ("POST", f"{T}/wallet/link", wallet_proof, False, None, (401, 200, 403, 403, 403)),
    ("GET", f"{T}/profile", None, False, "admin:read", (401, 200, 403, 200, 403)),
    ("PUT", f"{T}/profile", {"language": "en"}, False, None, (401, 200, 403, 403, 403)),
    ("PATCH", f"{T}/profile", {"language": "en"}, False, None, (401, 200, 403, 403, 403)),
    # a member sets their own channels: no key scope opens it (ADR 0037)
    ("GET", f"{T}/stats/supply", None, False, "stats:read", (401, 403, 403, 200, 403)),
    ("GET", f"{T}/stats/distribution", None, False, "stats:read", (401, 403, 403, 200, 403)),
    ("GET", f"{T}/stats/health", None, False, "stats:read", (401, 403, 403, 200, 403)),
    ("GET", f"{T}/price", None, False, None, (200, 200, 200, 200, 200)),
    # public; 404 for everyone: nothing was issued by the last closed quarter's close
    ("GET", f"{T}/price/quote?buy=1", None, False, None, (404, 404, 404, 404, 404)),
    (
        "GET",
        f"{T}/reports/quarterly?quarter=2025-Q3",
        None,
        False,
        None,
        (200, 200, 200, 200, 200),
    ),  # public, anonymised (ADR 0031)
    ("GET", f"{T}/backing", None, False, "admin:read", (401, 403, 403, 200, 403)),
    ("GET", f"{T}/stabilisation", None, False, "admin:read", (401, 403, 403, 200, 403)),
    ("GET", "/api/v1/health", None, False, None, (200, 200, 200, 200, 200)),
    ("GET", "/metrics", None, False, None, (200, 200, 200, 200, 200)),
]
CALLERS = ("anonymous", "member", "other member", "admin key", "key without scope")


def _call(econ: Economy, method: str, path: str, body, idempotent: bool, headers, member=None):
    headers = dict(headers)
    if callable(body):
        body = body(econ)
    if idempotent:
        headers["Idempotency-Key"] = uuid.uuid4().hex
    path, _, query = path.partition("?")
    params = dict(part.split("=", 1) for part in query.split("&") if part)
    if member:
        params["member"] = member
    return econ.client.request(method, path, json=body, headers=headers, params=params)


@pytest.mark.parametrize(("method", "path", "body", "idempotent", "scope", "expected"), MATRIX)
def test_authorization_matrix(econ: Economy, method, path, body, idempotent, scope, expected):
    fund(econ.engine, "m1", 1000 * STK)
    fund(econ.engine, "m2", 1000 * STK)
    other_scopes = tuple(s for s in ALL_SCOPES if s != scope)
    callers = {
        "anonymous": ({}, None),
        "member": (econ.as_member("m1"), None),
        "other member": (econ.as_member("m1"), "m2"),
        "admin key": (econ.as_key(*ALL_SCOPES), "m1"),
        "key without scope": (econ.as_key(*other_scopes), "m1"),
    }
    got = []
    for caller in CALLERS:
        headers, member = callers[caller]
        m2_before = {k: v for k, v in balances(econ.engine).items() if ":m2@" in k}
        m2_wallet_before = _wallet_rows(econ, "m2")
        response = _call(econ, method, path, body, idempotent, headers, member)
        got.append(response.status_code)
        if response.status_code >= 400:
            assert set(response.json()) >= {"error", "detail"}, response.text
        if response.status_code == 401:
            assert response.headers["www-authenticate"] == "Bearer"
        if caller != "admin key" and path.startswith(T) and response.status_code == 200:
            text = response.text
            assert '"member":"m2"' not in text and '"from":"m2"' not in text
        m2_after = {k: v for k, v in balances(econ.engine).items() if ":m2@" in k}
        assert m2_after == m2_before, f"{caller} moved m2's tokens via {path}"
        assert _wallet_rows(econ, "m2") == m2_wallet_before, f"{caller} changed m2's wallet"
    assert tuple(got) == expected, dict(zip(CALLERS, got, strict=True))


def _wallet_rows(econ: Economy, member_id: str) -> list[tuple[object, ...]]:
    with econ.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT 'wallet', address, linked_at_us FROM wallets WHERE member_id = :m "
                "UNION ALL SELECT 'challenge', nonce, used_at_us FROM wallet_challenges "
                "WHERE member_id = :m"
            ),
            {"m": member_id},
        ).all()
    return sorted(tuple(r) for r in rows)


def test_a_member_token_never_reads_another_member(econ: Economy):
    fund(econ.engine, "m2", 7 * STK)
    for path in ("balance", "balance/history", "transactions", "rewards"):
        response = econ.get(path, econ.as_member("m1"), member="m2")
        assert (response.status_code, response.json()["error"]) == (403, "NotYourAccount")
    own = econ.get("balance", econ.as_member("m1"), member="m1")
    assert own.status_code == 200 and own.json()["member"] == "m1"


def test_a_key_must_name_the_member_it_acts_for(econ: Economy):
    response = econ.get("balance", econ.as_key("admin:read"))
    assert (response.status_code, response.json()["error"]) == (422, "MemberParameterRequired")
    assert "query.member" in response.json()["detail"]
