"""A payout batch's legacy transaction, sized by arithmetic and encoded by hand.

Why not ``solders.Message`` and ``Transaction``: building a 20-member batch from
``Instruction``/``AccountMeta`` objects, compiling and signing it cost about 0.5 ms per
transaction, and packing called that once per *candidate* (every member of a 100 000
payout re-serialised its whole batch): 13 of the 22 seconds of the bench's payout went
there, against under 5 seconds for the chain to execute it. The layout of a legacy
transaction is fixed and small (Solana's ``Message::new_with_blockhash`` and the wire
format of a transaction), so it is written out here:

- transaction: compact-u16 signature count (1), one 64-byte signature, the message;
- message: header (required signatures, read-only signed, read-only unsigned), compact-u16
  key count and the 32-byte keys, the 32-byte blockhash, compact-u16 instruction count and
  each instruction (program index u8, compact-u16 account count, account indices u8,
  compact-u16 data length, data).

The keys are deduplicated and ordered as Solana compiles them: the payer first, then the
other writable signers, read-only signers, writable non-signers, read-only non-signers,
each group by key bytes (the compiler's ``BTreeMap``). ``tests/payout/test_wire.py``
proves with hypothesis that the arithmetic size equals ``len`` of the bytes and that the
bytes equal ``solders``' own compilation, for any mix of new and existing recipients.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from solders.hash import Hash
from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature

SIGNATURE_BYTES = 64
KEY_BYTES = 32
HEADER_BYTES = 3
MINT_TO_DATA = 7
"""SPL Token ``MintTo``'s instruction number; its data is this byte and the u64 amount."""
ATA_CREATE_IDEMPOTENT_DATA = b"\x01"
MINT_TO_BYTES = 1 + 1 + 3 + 1 + 9
"""A ``MintTo`` in a message: program index, 3 account indices, 9 bytes of data."""
CREATE_BYTES = 1 + 1 + 6 + 1 + 1
"""An ATA create-idempotent in a message: program index, 6 account indices, 1 data byte."""


class Recipient(Protocol):
    """What encoding needs of a transfer (``chain.Transfer`` has it)."""

    @property
    def owner(self) -> Pubkey: ...
    @property
    def account(self) -> Pubkey: ...
    @property
    def amount_units(self) -> int: ...
    @property
    def create_account(self) -> bool: ...


@dataclass(frozen=True)
class Programs:
    """The fixed keys of a payout batch, as bytes: payer (mint authority), mint, programs."""

    payer: bytes
    mint: bytes
    token_program: bytes
    memo_program: bytes
    ata_program: bytes
    system_program: bytes


def compact_u16_len(value: int) -> int:
    """Bytes of Solana's compact-u16 (7 bits per byte) for ``value``."""
    return 1 if value < 0x80 else 2 if value < 0x4000 else 3


def compact_u16(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def memo_instruction_bytes(memo_len: int) -> int:
    """The memo in a message: program index, one account (the payer), the text."""
    return 1 + 1 + 1 + compact_u16_len(memo_len) + memo_len


def wire_size(keys: int, instructions: int, instruction_bytes: int) -> int:
    """Bytes on the wire of a one-signature legacy transaction with these counts."""
    return (
        1
        + SIGNATURE_BYTES
        + HEADER_BYTES
        + compact_u16_len(keys)
        + KEY_BYTES * keys
        + KEY_BYTES
        + compact_u16_len(instructions)
        + instruction_bytes
    )


class BatchSize:
    """The size of one batch's transaction as members are added, without building it.

    Keys are counted as a set of their bytes, exactly as the compiler deduplicates them;
    the instructions as a count and a byte sum.
    """

    def __init__(self, programs: Programs, memo_len: int) -> None:
        self.programs = programs
        self.keys: set[bytes] = {programs.payer, programs.memo_program}
        self.instructions = 1
        self.instruction_bytes = memo_instruction_bytes(memo_len)

    def add_if_within(self, recipient: Recipient, limit: int) -> bool:
        """Take one more member if the transaction stays within ``limit`` bytes."""
        p = self.programs
        create = recipient.create_account
        wanted = {bytes(recipient.account), p.mint, p.token_program}
        if create:
            wanted |= {bytes(recipient.owner), p.ata_program, p.system_program}
        new = wanted - self.keys
        instructions = self.instructions + 1 + create
        instruction_bytes = self.instruction_bytes + MINT_TO_BYTES + CREATE_BYTES * create
        if wire_size(len(self.keys) + len(new), instructions, instruction_bytes) > limit:
            return False
        self.keys |= new
        self.instructions, self.instruction_bytes = instructions, instruction_bytes
        return True

    @property
    def size(self) -> int:
        return wire_size(len(self.keys), self.instructions, self.instruction_bytes)


def batch_size(programs: Programs, recipients: Sequence[Recipient], memo: str) -> int:
    """Bytes on the wire of the batch's transaction (the blockhash does not change it)."""
    size = BatchSize(programs, len(memo.encode()))
    for recipient in recipients:
        size.add_if_within(recipient, 1 << 62)
    return size.size


def encode_message(
    programs: Programs, recipients: Sequence[Recipient], memo: str, blockhash: Hash
) -> bytes:
    """The message bytes: what ``Message.new_with_blockhash`` makes of the batch.

    The payer is the only signer. Writable: the mint and each member's token account.
    Read-only: the memo and token programs, and with a creation the owner, the ATA and
    system programs. A key in both is writable, as the compiler's union of flags says.
    """
    p = programs
    accounts = [bytes(r.account) for r in recipients]
    creating = [r for r in recipients if r.create_account]
    writable = {p.mint, *accounts} if recipients else set()
    readonly = {p.memo_program}
    if recipients:
        readonly.add(p.token_program)
    if creating:
        readonly |= {p.ata_program, p.system_program, *(bytes(r.owner) for r in creating)}
    writable.discard(p.payer)
    readonly -= writable
    readonly.discard(p.payer)
    keys = [p.payer, *sorted(writable), *sorted(readonly)]
    index = {key: i.to_bytes(1, "little") for i, key in enumerate(keys)}
    memo_data = memo.encode()
    payer = index[p.payer]
    parts = [index[p.memo_program], b"\x01", payer, compact_u16(len(memo_data)), memo_data]
    if recipients:
        mint, token = index[p.mint], index[p.token_program]
        mint_to_head = token + b"\x03" + mint
        mint_to_tail = payer + b"\x09" + bytes([MINT_TO_DATA])
        for r, account_key in zip(recipients, accounts, strict=True):
            account = index[account_key]
            if r.create_account:
                parts.append(
                    index[p.ata_program]
                    + b"\x06"
                    + payer
                    + account
                    + index[bytes(r.owner)]
                    + mint
                    + index[p.system_program]
                    + token
                    + b"\x01"
                    + ATA_CREATE_IDEMPOTENT_DATA
                )
            parts += [mint_to_head, account, mint_to_tail, r.amount_units.to_bytes(8, "little")]
    header = bytes([1, 0, len(readonly)])
    instructions = 1 + len(recipients) + len(creating)
    return b"".join(
        [header, compact_u16(len(keys)), *keys, bytes(blockhash), compact_u16(instructions), *parts]
    )


def sign_message(payer: Keypair, message: bytes) -> tuple[Signature, bytes]:
    """The payer's signature and the transaction's bytes (one signature, then the message)."""
    signature = payer.sign_message(message)
    return signature, b"\x01" + bytes(signature) + message
