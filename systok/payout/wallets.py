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

import secrets
from dataclasses import dataclass

from solders.keypair import Keypair
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
        raise MessageMismatch(
            "the signed message is not the one issued with this nonce; sign it exactly as given"
        )
    try:
        parsed = Signature.from_string(signature.strip())
    except ValueError:
        raise SignatureInvalid(
            f"{signature!r} is not an ed25519 signature (base58, 64 bytes)"
        ) from None
    address = parse_address(challenge.address)
    if not parsed.verify(address, challenge.message.encode()):
        raise SignatureInvalid(
            f"the signature is not {address}'s signature of the issued message "
            "(signed by another key, or over other text)"
        )
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


def sign_message(keypair: Keypair, message: str) -> str:
    """What a wallet's ``signMessage`` returns for the text (the demo's and tests' wallet)."""
    return str(keypair.sign_message(message.encode()))
