"""Linking a member's Solana wallet by proof of key: a signed, single-use, expiring nonce.

The server issues a challenge: a random nonce inside a message that names the member,
the address and the expiry. The member signs the message's UTF-8 bytes with the wallet
(what Phantom's and Solflare's ``signMessage`` do) and sends back the signature; the
signature is checked with ed25519 against the address itself (an address *is* the
public key). No address is accepted without that proof, a nonce links once, and an
expired one never. A refused proof changes nothing: the nonce stays usable until it
expires, so a typo does not cost the member a new challenge.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import secrets
import string
from dataclasses import dataclass

from solders.keypair import Keypair
from solders.pubkey import Pubkey
from solders.signature import Signature
from sqlalchemy.orm import Session

from systok.core.times import us_to_iso
from systok.payout import repository as repo
from systok.payout.chain import parse_address
from systok.payout.errors import (
    AddressTaken,
    ChallengeExpired,
    ChallengeNotFound,
    ChallengeUsed,
    MessageMismatch,
    SignatureInvalid,
    UnknownMember,
)

NONCE_BYTES = 16
SIGNATURE_BYTES = 64
HEX_DIGITS = frozenset(string.hexdigits)
BASE58_ALPHABET = frozenset("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")
BASE64_ALPHABET = frozenset(string.ascii_letters + string.digits + "+/-_=")
BASE64_PADDED_CHARS, BASE64_UNPADDED_CHARS = 88, 86
OFFCHAIN_SIGNING_DOMAIN = b"\xffsolana offchain"
OFFCHAIN_VERSION = 0
OFFCHAIN_FORMATS = (0, 1, 2)  # restricted ASCII, limited UTF-8, extended UTF-8
OFFCHAIN_MAX_BYTES = 65_515


@dataclass(frozen=True)
class Challenge:
    """What the member must sign, and until when."""

    nonce: str
    member_id: str
    address: str
    message: str
    expires_at_us: int


def challenge_message(member_id: str, address: str, nonce: str, expires_at_us: int) -> str:
    """The exact text a member signs. It names everything the proof is about."""
    return (
        "SysTok: link this Solana wallet to my STK account.\n"
        f"member: {member_id}\n"
        f"address: {address}\n"
        f"nonce: {nonce}\n"
        f"expires: {us_to_iso(expires_at_us)}"
    )


def issue_challenge(
    session: Session, member_id: str, address: str, *, now_us: int, ttl_seconds: int
) -> Challenge:
    """Issue a nonce for ``member_id`` to prove they hold ``address``'s key."""
    pubkey = parse_address(address)
    if not repo.member_exists(session, member_id):
        raise UnknownMember(f"no member {member_id!r}")
    taken = repo.wallet_by_address(session, str(pubkey))
    if taken is not None and taken.member_id != member_id:
        raise AddressTaken(f"address {pubkey} is already linked to another member")
    nonce = secrets.token_hex(NONCE_BYTES)
    expires = now_us + ttl_seconds * 1_000_000
    message = challenge_message(member_id, str(pubkey), nonce, expires)
    repo.insert_challenge(
        session,
        nonce=nonce,
        member_id=member_id,
        address=str(pubkey),
        message=message,
        issued_at_us=now_us,
        expires_at_us=expires,
        used_at_us=None,
    )
    return Challenge(nonce, member_id, str(pubkey), message, expires)


def link_wallet(
    session: Session,
    member_id: str,
    nonce: str,
    signature: str,
    *,
    now_us: int,
    message: str | None = None,
) -> str:
    """Link the challenge's address to the member if ``signature`` proves the key.

    ``message`` is what the wallet says it signed (optional); when given it must be
    the issued text, so a member who signed something else is told so. Returns the
    linked address.

    Raises:
        ChallengeNotFound, ChallengeUsed, ChallengeExpired, MessageMismatch,
        SignatureInvalid, AddressTaken: with the reason in the message.
    """
    challenge = repo.get_challenge(session, nonce.strip())
    if challenge is None or challenge.member_id != member_id:
        raise ChallengeNotFound(f"no wallet challenge {nonce!r} was issued to {member_id}")
    if challenge.used_at_us is not None:
        raise ChallengeUsed(
            f"nonce {nonce} was already used at {us_to_iso(challenge.used_at_us)}: "
            "a proof links once; ask for a new challenge"
        )
    if now_us > challenge.expires_at_us:
        raise ChallengeExpired(
            f"nonce {nonce} expired at {us_to_iso(challenge.expires_at_us)}; "
            "ask for a new challenge"
        )
    if message is not None and message != challenge.message:
        extra = (
            " (it differs only by trailing line breaks: one is tolerated, not more)"
            if message.rstrip("\r\n") == challenge.message
            else ""
        )
        raise MessageMismatch(
            "the signed message is not the one issued with this nonce; sign it exactly "
            f"as given{extra}"
        )
    address = parse_address(challenge.address)
    parsed = proven_signature(signature, address, challenge.message)
    taken = repo.wallet_by_address(session, challenge.address)
    if taken is not None and taken.member_id != member_id:
        raise AddressTaken(f"address {address} is already linked to another member")
    # Mutation ahead: the proof holds.
    if not repo.use_challenge(session, challenge.nonce, now_us):
        raise ChallengeUsed(f"nonce {nonce} was used meanwhile: a proof links once")
    repo.save_wallet(
        session,
        member_id=member_id,
        address=challenge.address,
        nonce=challenge.nonce,
        signature=str(parsed),
        linked_at_us=now_us,
    )
    return str(challenge.address)


def message_of_file(text: str) -> str:
    """A message as read from a file, less exactly one trailing newline (``\n`` or ``\r\n``).

    Editors and shell redirection end a saved file with a newline that was never part
    of the issued text; a second one is kept (and then does not match), so a file that
    really differs is never silently accepted.
    """
    for ending in ("\r\n", "\n"):
        if text.endswith(ending):
            return text[: -len(ending)]
    return text


def signature_bytes(text: str) -> list[bytes]:
    """The 64 signature bytes ``text`` may encode, decided by length and alphabet.

    - hex: exactly 128 hex digits;
    - base64 (standard or URL-safe): 88 characters ending in ``=`` (padded) or 86
      (unpadded), and nothing outside base64's alphabet;
    - base58 (Solana's usual form): anything else of base58's alphabet.

    Hex and padded base64 are never base58 (64 bytes take at most 88 base58 characters,
    and ``=`` is not one of them), so those are decided at once. A rare 86-character
    string that reads as 64 bytes both in base64 and in base58 yields both; the caller
    keeps the one the key verifies (a valid ed25519 signature never verifies twice).

    Raises:
        SignatureInvalid: no encoding reads it as 64 bytes; the message names the
            accepted encodings.
    """
    value = text.strip()
    if len(value) == 2 * SIGNATURE_BYTES and set(value) <= HEX_DIGITS:
        return [bytes.fromhex(value)]
    found: list[bytes] = []
    if len(value) in (BASE64_PADDED_CHARS, BASE64_UNPADDED_CHARS) and set(value) <= BASE64_ALPHABET:
        raw = _base64_bytes(value)
        if raw is not None and len(raw) == SIGNATURE_BYTES:
            found.append(raw)
    if value and set(value) <= BASE58_ALPHABET:
        with contextlib.suppress(ValueError):
            found.append(bytes(Signature.from_string(value)))
    if found:
        return found
    raise SignatureInvalid(
        f"signature {_excerpt(value)} ({len(value)} characters) is not an ed25519 signature "
        "(64 bytes) in any accepted encoding: hex (128 hex digits), base64 (88 characters "
        "ending in '=', or 86 without padding) or base58 (about 87–88 characters of 1-9, "
        "A-Z, a-z without 0, O, I, l)"
    )


def signed_forms(address: Pubkey, message: str) -> list[tuple[str, bytes]]:
    """Every byte string a wallet may have signed for ``message``, with its name."""
    text = message.encode("utf-8")
    forms = [("the message text (signMessage)", text)]
    if not text or len(text) > OFFCHAIN_MAX_BYTES:
        return forms
    length = len(text).to_bytes(2, "little")
    head = OFFCHAIN_SIGNING_DOMAIN + bytes([OFFCHAIN_VERSION])
    for fmt in OFFCHAIN_FORMATS:
        legacy = head + bytes([fmt]) + length + text
        forms.append((f"a Solana off-chain message (format {fmt})", legacy))
        with_domain = head + bytes(32) + bytes([fmt, 1]) + bytes(address) + length + text
        forms.append(
            (f"a Solana off-chain message, application domain (format {fmt})", with_domain)
        )
    return forms


def proven_signature(signature: str, address: Pubkey, message: str) -> Signature:
    """The signature, once it verifies as ``address``'s over one of ``signed_forms``.

    Raises:
        SignatureInvalid: it decodes to no 64 bytes, or verifies over nothing accepted.
    """
    candidates = [Signature.from_bytes(raw) for raw in signature_bytes(signature)]
    for candidate in candidates:
        for _name, signed in signed_forms(address, message):
            if candidate.verify(address, signed):
                return candidate
    raise SignatureInvalid(
        f"the signature is not {address}'s signature of the issued message: neither of its "
        "text (a wallet's signMessage) nor of Solana's off-chain message format with that "
        "text (a Ledger, `solana sign-offchain-message`); signed by another key, or over "
        "other text"
    )


def _base64_bytes(value: str) -> bytes | None:
    padded = value + "=" * (-len(value) % 4)
    alphabet = b"-_" if ("-" in value or "_" in value) else b"+/"
    try:
        return base64.b64decode(padded, altchars=alphabet, validate=True)
    except (binascii.Error, ValueError):
        return None


def _excerpt(value: str) -> str:
    return repr(value if len(value) <= 24 else value[:20] + "…")


def sign_message(keypair: Keypair, message: str) -> str:
    """What a wallet's ``signMessage`` returns for the text (the demo's and tests' wallet)."""
    return str(keypair.sign_message(message.encode()))
