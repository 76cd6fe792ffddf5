"""Payout fixtures: the embedded chain, its adapter, and members with linked wallets."""

from __future__ import annotations

import pytest
from solders.keypair import Keypair

from systok.db.engine import run_transaction
from systok.ingest import repository as ingest_repo
from systok.payout.adapters import LitesvmAdapter
from systok.payout.embedded import EmbeddedChain
from systok.payout.service import PayoutService
from systok.payout.wallets import issue_challenge, link_wallet, sign_message

NOW_US = 1_800_000_000_000_000
TTL_SECONDS = 600


@pytest.fixture
def chain() -> EmbeddedChain:
    return EmbeddedChain()


@pytest.fixture
def payer() -> Keypair:
    return Keypair()


@pytest.fixture
def adapter(chain, payer) -> LitesvmAdapter:
    return LitesvmAdapter(chain, payer)


def link(engine, member_id: str, keypair: Keypair | None = None) -> Keypair:
    """Create the member if needed and link a fresh (or the given) wallet by proof."""
    keypair = keypair or Keypair()

    def work(session):
        ingest_repo.ensure_member(session, member_id, 0)
        challenge = issue_challenge(
            session, member_id, str(keypair.pubkey()), now_us=NOW_US, ttl_seconds=TTL_SECONDS
        )
        link_wallet(
            session,
            member_id,
            challenge.nonce,
            sign_message(keypair, challenge.message),
            now_us=NOW_US + 1,
        )

    run_transaction(engine, work)
    return keypair


def service(engine, adapter, **kwargs) -> PayoutService:
    kwargs.setdefault("poll_seconds", 0)
    kwargs.setdefault("timeout_seconds", 5)
    kwargs.setdefault("sleep", lambda _: None)
    return PayoutService(engine, adapter, scale=6, **kwargs)
