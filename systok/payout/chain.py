"""Solana transactions of a payout, built and sized here; nothing is sent from this module.

A payout batch is one legacy transaction signed by one key, the *payer*, which is also
the mint authority: a memo naming the run, then for each member an optional
idempotent creation of their associated token account (ATA) and a ``mint_to`` of their
amount. Tokens are minted when they leave custody, so the mint's supply is exactly what
the ledger's ``wallet`` accounts hold (ADR 0007).

How many members fit is decided by the transaction's exact size, never by
a constant: a transaction may have at most 1 232 bytes on the wire, LiteSVM does not
enforce that limit (INTEGRATIONS.md §3), and the size depends on the memo's length and
on how many members need an account created. The size is computed by arithmetic and
the bytes are encoded by hand in ``payout.wire`` (ADR 0047): building ``solders``
objects per candidate cost more than the chain's own execution of the payout.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import Message
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.transaction import Transaction

from systok.errors import ConfigurationError
from systok.payout.errors import BatchTooLarge, PayoutError
from systok.payout.wire import BatchSize, Programs, encode_message, sign_message

TX_SIZE_MAX = 1232
"""Bytes of a transaction on the wire (IPv6 MTU minus headers): the cluster refuses more."""
MEMO_BYTES_MAX = 200
"""A memo longer than this is refused before it eats the batch's room."""

TOKEN_PROGRAM_ID = Pubkey.from_string("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
TOKEN_2022_PROGRAM_ID = Pubkey.from_string("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb")
ASSOCIATED_TOKEN_PROGRAM_ID = Pubkey.from_string("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
MEMO_PROGRAM_ID = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
SYSTEM_PROGRAM_ID = Pubkey.from_string("11111111111111111111111111111111")
TOKEN_PROGRAMS = {"spl-token": TOKEN_PROGRAM_ID, "token-2022": TOKEN_2022_PROGRAM_ID}
MINT_SEED = "systok-stk-mint"
"""The mint's address is derived from the payer and this seed: no second key file."""
MINT_LEN = 82
_MINT_TO = 7
_INITIALIZE_MINT2 = 20
_ATA_CREATE_IDEMPOTENT = 1


# --- keys ------------------------------------------------------------------------------


def load_keypair(path: Path) -> Keypair:
    """Read a key file in the Solana CLI format (a JSON array of 64 bytes).

    The key's bytes never leave this function except inside the ``Keypair``; error
    messages name the file, never its content.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, list) or len(raw) != 64:
            raise ValueError("not a JSON array of 64 numbers")
        return Keypair.from_bytes(bytes(raw))
    except FileNotFoundError:
        raise ConfigurationError(f"Solana key file {path} does not exist") from None
    except OSError as error:
        raise ConfigurationError(
            f"Solana key file {path} cannot be read: {error.strerror or type(error).__name__}"
        ) from None
    except (ValueError, TypeError) as error:
        raise ConfigurationError(
            f"Solana key file {path} is not a Solana CLI key file: {type(error).__name__}"
        ) from None


def ensure_keypair(path: Path) -> Keypair:
    """Load the key file, or create one (mode 0600) if it is absent: the embedded default."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        keypair = Keypair()
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(list(bytes(keypair)), handle)
        return keypair
    return load_keypair(path)


def parse_address(text: str) -> Pubkey:
    """A base58 Solana address, or a clear refusal."""
    try:
        address = Pubkey.from_string(text.strip())
    except ValueError:
        raise PayoutError(f"{text!r} is not a Solana address (base58, 32 bytes)") from None
    return address


# --- addresses and instructions -------------------------------------------------------


def mint_address(payer: Pubkey, token_program: Pubkey = TOKEN_PROGRAM_ID) -> Pubkey:
    """The STK mint's address: derived from the payer, so it can always be found again."""
    return Pubkey.create_with_seed(payer, MINT_SEED, token_program)


def token_account(owner: Pubkey, mint: Pubkey, token_program: Pubkey = TOKEN_PROGRAM_ID) -> Pubkey:
    """The associated token account of ``owner`` for ``mint`` (what wallets show)."""
    address, _ = Pubkey.find_program_address(
        [bytes(owner), bytes(token_program), bytes(mint)], ASSOCIATED_TOKEN_PROGRAM_ID
    )
    return address


def memo_instruction(signer: Pubkey, text: str) -> Instruction:
    """The memo program's instruction (the signer is listed so the memo names it)."""
    return Instruction(MEMO_PROGRAM_ID, text.encode(), [AccountMeta(signer, True, True)])


def mint_to_instruction(
    mint: Pubkey, destination: Pubkey, authority: Pubkey, amount: int, token_program: Pubkey
) -> Instruction:
    """SPL Token ``MintTo`` (instruction 7, amount as u64 little-endian)."""
    data = bytes([_MINT_TO]) + amount.to_bytes(8, "little")
    return Instruction(
        token_program,
        data,
        [
            AccountMeta(mint, False, True),
            AccountMeta(destination, False, True),
            AccountMeta(authority, True, False),
        ],
    )


def create_token_account_instruction(
    payer: Pubkey, owner: Pubkey, mint: Pubkey, token_program: Pubkey, account: Pubkey | None = None
) -> Instruction:
    """Create ``owner``'s ATA if it does not exist (idempotent: never fails if it does)."""
    return Instruction(
        ASSOCIATED_TOKEN_PROGRAM_ID,
        bytes([_ATA_CREATE_IDEMPOTENT]),
        [
            AccountMeta(payer, True, True),
            AccountMeta(account or token_account(owner, mint, token_program), False, True),
            AccountMeta(owner, False, False),
            AccountMeta(mint, False, False),
            AccountMeta(SYSTEM_PROGRAM_ID, False, False),
            AccountMeta(token_program, False, False),
        ],
    )


def create_mint_transaction(
    payer: Keypair, decimals: int, rent_lamports: int, token_program: Pubkey, blockhash: Hash
) -> Transaction:
    """Create the seed-derived mint account and initialise it with the payer as authority."""
    from solders.system_program import CreateAccountWithSeedParams, create_account_with_seed

    authority = payer.pubkey()
    mint = mint_address(authority, token_program)
    create = create_account_with_seed(
        CreateAccountWithSeedParams(
            from_pubkey=authority,
            to_pubkey=mint,
            base=authority,
            seed=MINT_SEED,
            lamports=rent_lamports,
            space=MINT_LEN,
            owner=token_program,
        )
    )
    instructions = [create, initialize_mint_instruction(mint, decimals, authority, token_program)]
    message = Message.new_with_blockhash(instructions, authority, blockhash)
    return Transaction([payer], message, blockhash)


def initialize_mint_instruction(
    mint: Pubkey, decimals: int, authority: Pubkey, token_program: Pubkey
) -> Instruction:
    """SPL Token ``InitializeMint2``: decimals, mint authority, no freeze authority."""
    data = bytes([_INITIALIZE_MINT2, decimals]) + bytes(authority) + bytes([0]) + bytes(32)
    return Instruction(token_program, data, [AccountMeta(mint, False, True)])


# --- batches ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Transfer:
    """One member's payout in a batch: where to, how much, and whether to create the ATA.

    ``account`` is the owner's token account, derived once (a program-address search
    per member per packing attempt would dominate a large payout).
    """

    member_id: str
    owner: Pubkey
    account: Pubkey
    amount_units: int
    create_account: bool


@dataclass(frozen=True)
class ChainToken:
    """The token that payouts mint: its mint, program and authority (the payer)."""

    payer: Keypair
    mint: Pubkey
    token_program: Pubkey = TOKEN_PROGRAM_ID

    @cached_property
    def programs(self) -> Programs:
        """The batch's fixed keys as bytes (``payout.wire``), computed once per token."""
        return Programs(
            bytes(self.payer.pubkey()),
            bytes(self.mint),
            bytes(self.token_program),
            bytes(MEMO_PROGRAM_ID),
            bytes(ASSOCIATED_TOKEN_PROGRAM_ID),
            bytes(SYSTEM_PROGRAM_ID),
        )


def make_transfer(
    token: ChainToken, member_id: str, owner: Pubkey, amount_units: int, create_account: bool
) -> Transfer:
    """A transfer with its token account derived for ``token``."""
    seeds = token.programs
    account, _ = Pubkey.find_program_address(
        [bytes(owner), seeds.token_program, seeds.mint], ASSOCIATED_TOKEN_PROGRAM_ID
    )
    return Transfer(member_id, owner, account, amount_units, create_account)


def batch_instructions(
    token: ChainToken, transfers: Sequence[Transfer], memo: str
) -> list[Instruction]:
    """The batch as ``solders`` instructions: the readable form of ``payout.wire``'s bytes.

    Not used to sign (too slow for 100 000 members); ``tests/payout/test_wire.py``
    compiles it with ``solders`` and requires the hand-encoded bytes to be equal.
    """
    payer = token.payer.pubkey()
    instructions = [memo_instruction(payer, memo)]
    for transfer in transfers:
        if transfer.create_account:
            instructions.append(
                create_token_account_instruction(
                    payer, transfer.owner, token.mint, token.token_program, transfer.account
                )
            )
        instructions.append(
            mint_to_instruction(
                token.mint, transfer.account, payer, transfer.amount_units, token.token_program
            )
        )
    return instructions


@dataclass(frozen=True)
class SignedBatch:
    """A batch's signed transaction: its signature (its identity) and its wire bytes."""

    signature: Signature
    raw: bytes

    def __bytes__(self) -> bytes:
        return self.raw


def sign_batch(
    token: ChainToken, transfers: Sequence[Transfer], memo: str, blockhash: Hash
) -> SignedBatch:
    """The signed transaction of a batch, encoded by ``payout.wire`` (no solders objects)."""
    message = encode_message(token.programs, transfers, memo, blockhash)
    if 1 + 64 + len(message) > TX_SIZE_MAX:  # packing prevents it; never sign one too large
        raise BatchTooLarge(f"batch {memo!r} would be {1 + 64 + len(message)} bytes")
    signature, raw = sign_message(token.payer, message)
    return SignedBatch(signature, raw)


def pack_batches(
    token: ChainToken, transfers: Sequence[Transfer], memo_for: str
) -> list[list[Transfer]]:
    """Split transfers into as few transactions as fit, in the given order.

    Greedy: each transaction takes members until the next one would not fit. The size
    is kept as a running sum (``wire.BatchSize``: keys as a set, instruction bytes),
    so each member costs a few additions, not a serialisation of the whole batch.
    ``memo_for`` is the memo's longest form (with the largest batch number) so that the
    final memo never makes a packed batch too large.
    """
    memo_len = len(memo_for.encode())
    if memo_len > MEMO_BYTES_MAX:
        raise BatchTooLarge(f"memo {memo_for!r} is longer than {MEMO_BYTES_MAX} bytes")
    programs = token.programs
    batches: list[list[Transfer]] = []
    current: list[Transfer] = []
    size = BatchSize(programs, memo_len)
    for transfer in transfers:
        if type(transfer.amount_units) is not int or transfer.amount_units <= 0:
            raise PayoutError(
                f"payout to {transfer.member_id}: amount {transfer.amount_units!r} "
                "must be a positive integer of base units"
            )
        if transfer.amount_units >= 2**64:
            raise PayoutError(f"payout to {transfer.member_id} does not fit a u64")
        if size.add_if_within(transfer, TX_SIZE_MAX):
            current.append(transfer)
            continue
        if not current:
            raise BatchTooLarge(f"the payout to {transfer.member_id} does not fit a transaction")
        batches.append(current)
        current = [transfer]
        size = BatchSize(programs, memo_len)
        if not size.add_if_within(transfer, TX_SIZE_MAX):
            raise BatchTooLarge(f"the payout to {transfer.member_id} does not fit a transaction")
    if current:
        batches.append(current)
    return batches


def token_amount_of(data: bytes) -> int:
    """The amount of an SPL token account from its raw data (u64 at byte 64)."""
    if len(data) < 72:
        raise PayoutError("account data is not a token account")
    return int.from_bytes(data[64:72], "little")


@dataclass(frozen=True)
class MintState:
    """A mint as its account data says (the base layout, shared by Token-2022)."""

    decimals: int
    supply_units: int
    mint_authority: Pubkey | None
    freeze_authority: Pubkey | None
    initialized: bool


def mint_state_of(data: bytes) -> MintState:
    """Read a mint's decimals, supply and authorities from its raw data.

    Layout: COption<Pubkey> mint authority (4 + 32 bytes), u64 supply, u8 decimals,
    bool initialized, COption<Pubkey> freeze authority; Token-2022 extensions follow.
    """
    if len(data) < MINT_LEN:
        raise PayoutError(f"account data is not a mint ({len(data)} bytes, a mint has {MINT_LEN})")
    return MintState(
        decimals=data[44],
        supply_units=int.from_bytes(data[36:44], "little"),
        mint_authority=_option_key(data[0:36]),
        freeze_authority=_option_key(data[46:82]),
        initialized=data[45] == 1,
    )


def _option_key(raw: bytes) -> Pubkey | None:
    return Pubkey.from_bytes(raw[4:36]) if int.from_bytes(raw[0:4], "little") == 1 else None


def mint_supply_of(data: bytes) -> int:
    """The supply of an SPL mint from its raw data (u64 at byte 36)."""
    if len(data) < MINT_LEN:
        raise PayoutError("account data is not a mint")
    return int.from_bytes(data[36:44], "little")
