"""Wallet linking: only a signature of the issued nonce message by the address's key links."""

from __future__ import annotations

import pytest
from solders.keypair import Keypair

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
from systok.payout.wallets import issue_challenge, link_wallet, sign_message
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
