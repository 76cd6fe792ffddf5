"""Members link their Solana wallet over HTTP: challenge, sign with the wallet's key, link.

Real HTTP on loopback (uvicorn), real ed25519 signatures (a ``solders`` Keypair plays
the wallet). Every refusal — another key's signature, a replayed nonce, another
member's nonce, other text, an expired nonce, an address another member holds — leaves
the wallets and the challenges exactly as they were, and the nonce usable if it was.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from sqlalchemy import text

from tests.api.economy import Economy

W = "/api/v1/tokenomics/wallet"
ENCODINGS = {
    "base58": str,
    "base64": lambda raw: base64.b64encode(bytes(raw)).decode(),
    "hex": lambda raw: bytes(raw).hex(),
}


def wallets_state(econ: Economy) -> dict[str, list[tuple[object, ...]]]:
    """Linked wallets and every challenge's use: what a refused link must not change."""
    with econ.engine.connect() as connection:
        wallets = connection.execute(
            text("SELECT member_id, address, nonce, signature, linked_at_us FROM wallets")
        ).all()
        challenges = connection.execute(
            text("SELECT nonce, member_id, address, used_at_us FROM wallet_challenges")
        ).all()
    return {"wallets": sorted(map(tuple, wallets)), "challenges": sorted(map(tuple, challenges))}


def challenge(econ: Economy, member: str, wallet: Keypair) -> dict[str, str]:
    response = econ.client.post(
        f"{W}/challenge", json={"address": str(wallet.pubkey())}, headers=econ.as_member(member)
    )
    assert response.status_code == 200, response.text
    issued: dict[str, str] = response.json()
    return issued


def sign(wallet: Keypair, message: str, encoding: str = "base58") -> str:
    """What a wallet's signMessage returns for the text, in the given encoding."""
    return ENCODINGS[encoding](wallet.sign_message(message.encode("utf-8")))


def link(econ: Economy, member: str, body: dict[str, object]):
    return econ.client.post(f"{W}/link", json=body, headers=econ.as_member(member))


def refused(response, status: int, error: str, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error, body
    if field is not None:
        assert [f["field"] for f in body["fields"]] == [field], body


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_a_member_links_their_wallet_with_a_real_signature(econ: Economy, encoding):
    wallet = Keypair()
    before = econ.client.get(W, headers=econ.as_member("m1"))
    assert before.status_code == 200
    assert before.json() == {"member": "m1", "linked": False, "address": None, "linked_at": None}

    issued = challenge(econ, "m1", wallet)
    assert (issued["member"], issued["address"]) == ("m1", str(wallet.pubkey()))
    assert issued["nonce"] in issued["message"] and str(wallet.pubkey()) in issued["message"]

    signature = sign(wallet, issued["message"], encoding)
    body = {"nonce": issued["nonce"], "signature": signature, "message": issued["message"]}
    response = link(econ, "m1", body)
    assert response.status_code == 200, response.text
    linked = response.json()
    assert (linked["member"], linked["address"]) == ("m1", str(wallet.pubkey()))

    shown = econ.client.get(W, headers=econ.as_member("m1")).json()
    assert shown == {
        "member": "m1",
        "linked": True,
        "address": str(wallet.pubkey()),
        "linked_at": linked["linked_at"],
    }
    [row] = wallets_state(econ)["wallets"]
    assert row[:2] == ("m1", str(wallet.pubkey()))
    by_key = econ.client.get(W, headers=econ.as_key("admin:read"), params={"member": "m1"})
    assert by_key.json()["address"] == str(wallet.pubkey())


def test_refused_proofs_change_nothing_and_keep_the_nonce_usable(econ: Economy):
    wallet, impostor = Keypair(), Keypair()
    issued = challenge(econ, "m1", wallet)
    message = issued["message"]
    before = wallets_state(econ)

    wrong_key = link(econ, "m1", {"nonce": issued["nonce"], "signature": sign(impostor, message)})
    refused(wrong_key, 422, "SignatureInvalid", "body.signature")
    assert wallets_state(econ) == before

    other_text = sign(wallet, message + " and more")
    response = link(econ, "m1", {"nonce": issued["nonce"], "signature": other_text})
    refused(response, 422, "SignatureInvalid", "body.signature")
    assert wallets_state(econ) == before

    mismatch = link(
        econ,
        "m1",
        {"nonce": issued["nonce"], "signature": sign(wallet, message), "message": "hello"},
    )
    refused(mismatch, 422, "MessageMismatch", "body.message")
    assert wallets_state(econ) == before

    unknown = link(econ, "m1", {"nonce": "0" * 32, "signature": sign(wallet, message)})
    refused(unknown, 404, "ChallengeNotFound", "body.nonce")
    assert wallets_state(econ) == before

    good = link(econ, "m1", {"nonce": issued["nonce"], "signature": sign(wallet, message)})
    assert good.status_code == 200, "the refusals above did not burn the nonce"
    linked = wallets_state(econ)

    replay = link(econ, "m1", {"nonce": issued["nonce"], "signature": sign(wallet, message)})
    refused(replay, 409, "ChallengeUsed")
    assert wallets_state(econ) == linked, "a replayed proof links nothing again"


def test_another_members_nonce_links_nothing(econ: Economy):
    wallet = Keypair()
    issued_to_m2 = challenge(econ, "m2", wallet)
    before = wallets_state(econ)
    proof = {"nonce": issued_to_m2["nonce"], "signature": sign(wallet, issued_to_m2["message"])}

    stolen = link(econ, "m1", proof)
    refused(stolen, 404, "ChallengeNotFound", "body.nonce")
    assert wallets_state(econ) == before
    assert econ.client.get(W, headers=econ.as_member("m1")).json()["linked"] is False

    naming_m2 = econ.client.post(
        f"{W}/link", json=proof, headers=econ.as_member("m1"), params={"member": "m2"}
    )
    refused(naming_m2, 403, "NotYourAccount")
    assert wallets_state(econ) == before

    assert link(econ, "m2", proof).status_code == 200, "m2's own nonce still works for m2"


def test_an_expired_nonce_is_refused(econ: Economy):
    wallet = Keypair()
    issued = challenge(econ, "m1", wallet)
    before = wallets_state(econ)
    later = datetime.now(UTC) + timedelta(seconds=901)  # the default TTL is 900 s
    with time_machine.travel(later, tick=True):
        response = link(
            econ, "m1", {"nonce": issued["nonce"], "signature": sign(wallet, issued["message"])}
        )
    refused(response, 410, "ChallengeExpired")
    assert wallets_state(econ) == before


def test_addresses_are_checked_before_a_challenge_is_issued(econ: Economy):
    before = wallets_state(econ)
    # The largest key has the longest base58 text (44 characters); one more digit can
    # only spell a number wider than 32 bytes. (A random key + "x" is sometimes valid:
    # a key whose text is 43 characters long grows into another 32-byte key.)
    too_long = str(Pubkey(bytes([255] * 32))) + "x"
    for address in ("not-an-address", "1" * 44, too_long):
        response = econ.client.post(
            f"{W}/challenge", json={"address": address}, headers=econ.as_member("m1")
        )
        refused(response, 422, "RequestInvalid", "body.address")
    assert wallets_state(econ) == before

    wallet = Keypair()
    issued = challenge(econ, "m2", wallet)
    assert link(
        econ, "m2", {"nonce": issued["nonce"], "signature": sign(wallet, issued["message"])}
    )
    taken = econ.client.post(
        f"{W}/challenge", json={"address": str(wallet.pubkey())}, headers=econ.as_member("m1")
    )
    refused(taken, 409, "AddressTaken", "body.address")


def test_keys_cannot_link_and_strangers_are_refused_before_the_body(econ: Economy):
    body = {"address": str(Keypair().pubkey())}
    as_admin = econ.client.post(f"{W}/challenge", json=body, headers=econ.as_key("admin:read"))
    refused(as_admin, 403, "MissingScope")
    anonymous = econ.client.post(f"{W}/link", json={"nonce": "0" * 32, "signature": "x" * 88})
    refused(anonymous, 401, "Unauthenticated")
    unknown = econ.client.get(W, headers=econ.as_key("admin:read"), params={"member": "nobody"})
    refused(unknown, 404, "UnknownMember")
    assert wallets_state(econ) == {"wallets": [], "challenges": []}
