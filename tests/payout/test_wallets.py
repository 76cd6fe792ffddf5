"""Wallet linking: only a signature of the issued nonce message by the address's key links."""

from __future__ import annotations

import base64

import pytest
from solders.keypair import Keypair
from solders.signature import Signature

from systok.db.engine import run_transaction
from systok.ingest import repository as ingest_repo
from systok.payout import repository as repo
from systok.payout.errors import (
    AddressTaken,
    ChallengeExpired,
    ChallengeNotFound,
    ChallengeUsed,
    MessageMismatch,
    PayoutError,
    SignatureInvalid,
    UnknownMember,
)
from systok.payout.wallets import (
    issue_challenge,
    link_wallet,
    message_of_file,
    sign_message,
    signature_bytes,
)
from tests.ledger.conftest import snapshot
from tests.payout.conftest import NOW_US, TTL_SECONDS

WALLET = Keypair()


@pytest.fixture
def issued(engine):
    def work(session):
        ingest_repo.ensure_member(session, "m1", 0)
        ingest_repo.ensure_member(session, "m2", 0)
        return issue_challenge(
            session, "m1", str(WALLET.pubkey()), now_us=NOW_US, ttl_seconds=TTL_SECONDS
        )

    return run_transaction(engine, work)


def attempt(engine, nonce, signature, *, member="m1", now=NOW_US + 1, message=None):
    return run_transaction(
        engine,
        lambda s: link_wallet(s, member, nonce, signature, now_us=now, message=message),
    )


def linked(engine):
    return [(w.member_id, w.address) for w in run_transaction(engine, repo.list_wallets)]


def test_the_message_names_member_address_nonce_and_expiry(issued):
    assert "member: m1" in issued.message
    assert f"address: {WALLET.pubkey()}" in issued.message
    assert f"nonce: {issued.nonce}" in issued.message
    assert "expires: " in issued.message


def test_a_valid_signature_links(engine, issued):
    address = attempt(engine, issued.nonce, sign_message(WALLET, issued.message))
    assert address == str(WALLET.pubkey())
    assert linked(engine) == [("m1", str(WALLET.pubkey()))]


def test_another_keys_signature_is_refused_and_changes_nothing(engine, issued):
    before = snapshot(engine)
    with pytest.raises(SignatureInvalid, match=r"not .* signature of the issued message"):
        attempt(engine, issued.nonce, sign_message(Keypair(), issued.message))
    assert linked(engine) == []
    assert snapshot(engine) == before
    # The nonce is still good: a refusal does not burn it.
    attempt(engine, issued.nonce, sign_message(WALLET, issued.message))
    assert linked(engine) == [("m1", str(WALLET.pubkey()))]


def test_a_signature_over_another_message_is_refused(engine, issued):
    other = issued.message.replace("m1", "m2")
    with pytest.raises(SignatureInvalid):
        attempt(engine, issued.nonce, sign_message(WALLET, other))
    with pytest.raises(MessageMismatch, match="not the one issued"):
        attempt(engine, issued.nonce, sign_message(WALLET, other), message=other)
    assert linked(engine) == []


def test_a_replayed_nonce_is_refused(engine, issued):
    proof = sign_message(WALLET, issued.message)
    attempt(engine, issued.nonce, proof)
    with pytest.raises(ChallengeUsed, match="already used"):
        attempt(engine, issued.nonce, proof)


def test_an_expired_nonce_is_refused(engine, issued):
    late = issued.expires_at_us + 1
    with pytest.raises(ChallengeExpired, match="expired"):
        attempt(engine, issued.nonce, sign_message(WALLET, issued.message), now=late)
    assert linked(engine) == []


def test_a_nonce_of_another_member_or_unknown_is_refused(engine, issued):
    proof = sign_message(WALLET, issued.message)
    with pytest.raises(ChallengeNotFound):
        attempt(engine, issued.nonce, proof, member="m2")
    with pytest.raises(ChallengeNotFound):
        attempt(engine, "00" * 16, proof)


def test_bad_inputs_get_specific_errors(engine, issued):
    with pytest.raises(SignatureInvalid, match="not an ed25519 signature"):
        attempt(engine, issued.nonce, "not-base58!")
    with pytest.raises(PayoutError, match="not a Solana address"):
        run_transaction(
            engine, lambda s: issue_challenge(s, "m1", "xyz", now_us=NOW_US, ttl_seconds=60)
        )
    with pytest.raises(UnknownMember):
        run_transaction(
            engine,
            lambda s: issue_challenge(
                s, "nobody", str(WALLET.pubkey()), now_us=NOW_US, ttl_seconds=60
            ),
        )


def test_an_address_links_to_one_member_only(engine, issued):
    attempt(engine, issued.nonce, sign_message(WALLET, issued.message))
    with pytest.raises(AddressTaken):
        run_transaction(
            engine,
            lambda s: issue_challenge(s, "m2", str(WALLET.pubkey()), now_us=NOW_US, ttl_seconds=60),
        )


# --- what wallets really send (INTEGRATIONS.md §3.1b) ----------------------------------
# Phantom's / Solflare's signMessage return 64 raw bytes that the app encodes as it likes;
# a Ledger signs Solana's off-chain message: b"\xffsolana offchain", version 0, then the
# format byte and a little-endian u16 length (solana-labs/solana sdk/src/offchain_message.rs)
# or, in the newer layout, a 32-byte application domain, the format, the signer count and
# the signers before the length (anza-xyz/agave docs/src/proposals/off-chain-message-signing.md).


def raw_signature(message: str, keypair=WALLET) -> bytes:
    return bytes(keypair.sign_message(message.encode()))


def legacy_offchain(message: str, fmt: int = 1) -> bytes:
    text = message.encode()
    return b"\xffsolana offchain" + bytes([0, fmt]) + len(text).to_bytes(2, "little") + text


def spec_offchain(message: str, fmt: int = 1, signer=WALLET) -> bytes:
    text = message.encode()
    header = b"\xffsolana offchain" + bytes([0]) + bytes(32) + bytes([fmt, 1])
    return header + bytes(signer.pubkey()) + len(text).to_bytes(2, "little") + text


ENCODINGS = {
    "base58": lambda raw: str(Signature.from_bytes(raw)),
    "base64": lambda raw: base64.b64encode(raw).decode(),
    "base64 unpadded": lambda raw: base64.b64encode(raw).decode().rstrip("="),
    "base64url": lambda raw: base64.urlsafe_b64encode(raw).decode(),
    "hex": lambda raw: raw.hex(),
    "HEX": lambda raw: raw.hex().upper(),
}


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
def test_a_signature_links_in_every_encoding(engine, issued, encoding):
    signature = ENCODINGS[encoding](raw_signature(issued.message))
    assert attempt(engine, issued.nonce, f" {signature}\n") == str(WALLET.pubkey())
    assert linked(engine) == [("m1", str(WALLET.pubkey()))]


@pytest.mark.parametrize(
    "signed",
    [
        lambda m: legacy_offchain(m, 1),  # solana sign-offchain-message: LimitedUtf8 (has \n)
        lambda m: legacy_offchain(m, 0),
        lambda m: legacy_offchain(m, 2),
        lambda m: spec_offchain(m, 1),  # a Ledger with the default application domain
    ],
)
def test_a_ledger_offchain_message_signature_links(engine, issued, signed):
    raw = bytes(WALLET.sign_message(signed(issued.message)))
    assert attempt(engine, issued.nonce, base64.b64encode(raw).decode()) == str(WALLET.pubkey())


def test_an_offchain_message_of_other_text_or_signer_is_refused(engine, issued):
    before = snapshot(engine)
    other = Keypair()
    cases = [
        bytes(WALLET.sign_message(legacy_offchain(issued.message + "!"))),
        bytes(WALLET.sign_message(spec_offchain(issued.message, signer=other))),
        bytes(other.sign_message(legacy_offchain(issued.message))),
    ]
    for raw in cases:
        with pytest.raises(SignatureInvalid, match="off-chain message format"):
            attempt(engine, issued.nonce, raw.hex())
    assert snapshot(engine) == before


@pytest.mark.parametrize(
    "bad",
    [
        "ab" * 63,  # hex of 63 bytes
        "ab" * 65,
        base64.b64encode(bytes(63)).decode(),  # 84 characters
        base64.b64encode(bytes(64)).decode()[:-3] + "!==",
        "0" * 88,  # not base58 (0), not base64 of 64 bytes with padding
        "",
    ],
)
def test_a_signature_in_no_encoding_names_the_encodings(engine, issued, bad):
    before = snapshot(engine)
    with pytest.raises(SignatureInvalid, match=r"hex \(128 hex digits\), base64 .* base58"):
        attempt(engine, issued.nonce, bad)
    assert snapshot(engine) == before


def test_each_encoding_is_read_one_way():
    raw = raw_signature("x")
    for name, encode in ENCODINGS.items():
        assert signature_bytes(encode(raw)) == [raw], name


def test_a_message_file_may_end_with_one_newline(engine, issued):
    signature = sign_message(WALLET, issued.message)
    for twice in (issued.message + "\n\n", issued.message + "\r\n\r\n"):
        with pytest.raises(MessageMismatch, match="trailing line breaks"):
            attempt(engine, issued.nonce, signature, message=message_of_file(twice))
    address = attempt(
        engine, issued.nonce, signature, message=message_of_file(issued.message + "\n")
    )
    assert address == str(WALLET.pubkey())
    assert message_of_file("a\r\n") == "a" and message_of_file("a") == "a"
