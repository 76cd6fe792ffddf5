"""Transactions of a payout: encoders, packing against 1 232 bytes, the embedded chain."""

from __future__ import annotations

import itertools

import pytest
from solders.keypair import Keypair
from spl.token.instructions import create_idempotent_associated_token_account, mint_to
from spl.token.models import MintToParams

from systok.payout.adapters import LitesvmAdapter
from systok.payout.chain import (
    TOKEN_2022_PROGRAM_ID,
    TOKEN_PROGRAM_ID,
    TX_SIZE_MAX,
    create_token_account_instruction,
    make_transfer,
    mint_to_instruction,
    pack_batches,
    sign_batch,
)
from systok.payout.embedded import EmbeddedChain, Rejected
from systok.payout.errors import BatchTooLarge, PayoutError
from systok.payout.wire import batch_size

MEMO = "SysTok 2026-W05 stk-2025-12 batch 99/99"


def transfers(adapter, count, *, create):
    token = adapter.token()
    return [make_transfer(token, f"m{n}", Keypair().pubkey(), 1 + n, create) for n in range(count)]


def test_hand_encoded_instructions_equal_spl_tokens_builders(adapter):
    token = adapter.token()
    owner = Keypair().pubkey()
    transfer = make_transfer(token, "m1", owner, 123_456, True)
    assert mint_to_instruction(
        token.mint, transfer.account, token.payer.pubkey(), 123_456, TOKEN_PROGRAM_ID
    ) == mint_to(
        MintToParams(
            program_id=TOKEN_PROGRAM_ID,
            mint=token.mint,
            dest=transfer.account,
            mint_authority=token.payer.pubkey(),
            amount=123_456,
        )
    )
    assert create_token_account_instruction(
        token.payer.pubkey(), owner, token.mint, TOKEN_PROGRAM_ID
    ) == create_idempotent_associated_token_account(token.payer.pubkey(), owner, token.mint)


@pytest.mark.parametrize(("create", "per_transaction"), [(False, 20), (True, 10)])
def test_batches_are_as_large_as_fit_and_never_larger(adapter, create, per_transaction):
    token = adapter.token()
    planned = transfers(adapter, 45, create=create)
    batches = pack_batches(token, planned, MEMO)
    sizes = [len(b) for b in batches]
    assert sizes[:-1] == [per_transaction] * (len(sizes) - 1)
    assert sum(sizes) == 45 and 0 < sizes[-1] <= per_transaction
    assert [t for b in batches for t in b] == planned, "every member once, in order"
    for batch, following in itertools.pairwise(batches):
        assert batch_size(token.programs, batch, MEMO) <= TX_SIZE_MAX
        more = batch_size(token.programs, [*batch, following[0]], MEMO)
        assert more > TX_SIZE_MAX, "one more would not fit"
    blockhash, _ = adapter.latest_blockhash()
    for batch in batches:
        raw = bytes(sign_batch(token, batch, MEMO, blockhash))
        assert len(raw) == batch_size(token.programs, batch, MEMO) <= TX_SIZE_MAX


def test_mixed_batches_pack_by_size_not_by_count(adapter):
    token = adapter.token()
    planned = [make_transfer(token, f"m{n}", Keypair().pubkey(), 1, n % 2 == 0) for n in range(30)]
    batches = pack_batches(token, planned, MEMO)
    assert 10 < len(batches[0]) < 20


def test_bad_batches_are_refused(adapter):
    token = adapter.token()
    with pytest.raises(BatchTooLarge, match="longer than 200 bytes"):
        pack_batches(token, transfers(adapter, 1, create=False), "x" * 201)
    zero = make_transfer(token, "m0", Keypair().pubkey(), 0, False)
    with pytest.raises(PayoutError, match="must be a positive integer"):
        pack_batches(token, [zero], MEMO)


def test_the_embedded_chain_outlives_the_process_and_old_transactions_cannot_land(tmp_path):
    state = tmp_path / "chain.json"
    payer = Keypair()
    first = LitesvmAdapter(EmbeddedChain(state), payer)
    first.ensure_mint(6)
    token = first.token()
    paid = transfers(first, 3, create=True)
    blockhash, _ = first.latest_blockhash()
    landed = bytes(sign_batch(token, paid, MEMO, blockhash))
    assert first.send(landed) is None
    unsent = bytes(sign_batch(token, paid[:1], MEMO + " again", blockhash))

    second = LitesvmAdapter(EmbeddedChain(state), payer)
    assert second.token_balances([t.account for t in paid]) == [1, 2, 3]
    assert second.mint_supply() == 6
    assert [m.memo for m in second.history()][-1] == MEMO
    outcome = second.chain.process(unsent)
    assert isinstance(outcome, Rejected) and outcome.blockhash_unknown, "signed before restart"
    assert second.block_height() > first.latest_blockhash()[1]


def test_a_token_2022_mint_works_the_same(chain, payer):
    adapter = LitesvmAdapter(chain, payer, token_program=TOKEN_2022_PROGRAM_ID)
    adapter.ensure_mint(6)
    token = adapter.token()
    paid = transfers(adapter, 2, create=True)
    blockhash, _ = adapter.latest_blockhash()
    assert adapter.send(bytes(sign_batch(token, paid, MEMO, blockhash))) is None
    assert adapter.token_balances([t.account for t in paid]) == [1, 2]


def test_a_mint_with_other_decimals_is_refused(chain, payer):
    LitesvmAdapter(chain, payer).ensure_mint(6)
    with pytest.raises(PayoutError, match="has 6 decimals; the policy's STK scale is 2"):
        LitesvmAdapter(chain, payer).ensure_mint(2)
