"""The hand-encoded batch transaction: its arithmetic size and its bytes are Solana's own.

Packing trusts ``wire.BatchSize`` to keep every transaction within 1 232 bytes and
signing trusts ``wire.encode_message`` to be what ``solders`` would compile; both are
checked here against ``solders``' ``Message``/``Transaction`` for random member counts,
new-or-existing mixes, memo lengths, repeated recipients and both token programs.
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from solders.hash import Hash
from solders.keypair import Keypair
from solders.message import Message
from solders.transaction import Transaction

from systok.payout.chain import (
    TOKEN_2022_PROGRAM_ID,
    TOKEN_PROGRAM_ID,
    TX_SIZE_MAX,
    ChainToken,
    batch_instructions,
    make_transfer,
    mint_address,
    pack_batches,
    sign_batch,
)
from systok.payout.errors import BatchTooLarge
from systok.payout.wire import (
    batch_size,
    compact_u16,
    compact_u16_len,
    encode_message,
    sign_message,
)

PAYER = Keypair.from_seed(hashlib.sha256(b"wire-payer").digest())
OWNERS = [
    Keypair.from_seed(hashlib.sha256(f"wire-{n}".encode()).digest()).pubkey() for n in range(64)
]


def token_for(program):
    return ChainToken(PAYER, mint_address(PAYER.pubkey(), program), program)


def reference(token, transfers, memo, blockhash):
    """What solders compiles and signs for the same batch."""
    instructions = batch_instructions(token, transfers, memo)
    message = Message.new_with_blockhash(instructions, token.payer.pubkey(), blockhash)
    return bytes(Transaction([token.payer], message, blockhash))


batches = st.lists(
    st.tuples(
        st.integers(0, len(OWNERS) - 1),  # owner (repeats allowed: keys are deduplicated)
        st.integers(1, 2**64 - 1),  # amount
        st.booleans(),  # create the account
    ),
    min_size=0,
    max_size=40,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batch=batches,
    memo=st.text(max_size=60),
    program=st.sampled_from([TOKEN_PROGRAM_ID, TOKEN_2022_PROGRAM_ID]),
    seed=st.binary(min_size=32, max_size=32),
)
def test_size_and_bytes_equal_solders_compilation(batch, memo, program, seed):
    token = token_for(program)
    transfers = [
        make_transfer(token, f"m{i}", OWNERS[owner], amount, create)
        for i, (owner, amount, create) in enumerate(batch)
    ]
    blockhash = Hash(seed)
    expected = reference(token, transfers, memo, blockhash)
    signature, raw = sign_message(PAYER, encode_message(token.programs, transfers, memo, blockhash))
    assert raw == expected
    assert batch_size(token.programs, transfers, memo) == len(expected)
    assert str(signature) == str(Transaction.from_bytes(expected).signatures[0])
    if len(expected) <= TX_SIZE_MAX:
        assert sign_batch(token, transfers, memo, blockhash).raw == expected
    else:
        with pytest.raises(BatchTooLarge):
            sign_batch(token, transfers, memo, blockhash)


@settings(max_examples=40, deadline=None)
@given(
    creates=st.lists(st.booleans(), min_size=1, max_size=120),
    memo_len=st.integers(0, 200),
)
def test_packed_batches_are_full_and_each_within_the_limit(creates, memo_len):
    token = token_for(TOKEN_PROGRAM_ID)
    owners = [Keypair().pubkey() for _ in creates]
    transfers = [
        make_transfer(token, f"m{i}", owner, 1 + i, create)
        for i, (owner, create) in enumerate(zip(owners, creates, strict=True))
    ]
    memo = "x" * memo_len
    packed = pack_batches(token, transfers, memo)
    assert [t for b in packed for t in b] == transfers
    for number, batch in enumerate(packed):
        raw = reference(token, batch, memo, Hash.default())
        assert len(raw) == batch_size(token.programs, batch, memo) <= TX_SIZE_MAX
        if number + 1 < len(packed):
            more = reference(token, [*batch, packed[number + 1][0]], memo, Hash.default())
            assert len(more) > TX_SIZE_MAX, "greedy: the next member would not have fit"


@given(st.integers(0, 2**16 - 1))
def test_compact_u16_length_is_its_encoding(value):
    encoded = compact_u16(value)
    assert len(encoded) == compact_u16_len(value)
    decoded = sum((b & 0x7F) << (7 * i) for i, b in enumerate(encoded))
    assert decoded == value
