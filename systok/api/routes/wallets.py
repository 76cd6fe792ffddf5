"""``/api/v1/tokenomics/wallet``: members link their Solana wallet themselves (ADR 0007 §7).

The member asks for a challenge naming the address (``POST …/wallet/challenge``), signs
the returned message with the wallet (``signMessage`` in Phantom or Solflare, or a
Ledger's off-chain message) and sends the signature back (``POST …/wallet/link``). The
proof is checked by ``systok.payout.wallets`` — the same functions as ``systok payout
challenge``/``link`` — so the routes only translate HTTP. A refused proof changes
nothing: the nonce stays usable until it expires.

| endpoint | member token | API key |
|---|---|---|
| POST wallet/challenge, wallet/link | own wallet only | 403 (a key cannot prove a member's key) |
| GET wallet | own wallet | admin:read with ``?member=`` |
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator
from solders.pubkey import Pubkey

from systok import clock
from systok.api import schemas as s
from systok.api.deps import Work, app_settings
from systok.api.edge import BodyGate
from systok.api.member_auth import Principal, acting_member
from systok.api.routes.common import MemberQuery, Reader, caller, gate
from systok.core.times import us_to_iso
from systok.errors import SystokError
from systok.payout.errors import AddressTaken, ChallengeNotFound, MessageMismatch, SignatureInvalid
from systok.payout.wallet_service import member_wallet
from systok.payout.wallets import issue_challenge, link_wallet

BASE58_PATTERN = r"^[1-9A-HJ-NP-Za-km-z]{32,44}$"
NONCE_PATTERN = r"^[0-9a-f]{32}$"
SIGNATURE_PATTERN = r"^[0-9A-Za-z+/_=-]{64,160}$"
MESSAGE_CHARS_MAX = 4096

router = APIRouter(prefix="/tokenomics/wallet", tags=["wallets"])


# --- who may call ----------------------------------------------------------------------


MEMBER_ONLY = gate(None, members=True)
"""The gate of the linking routes: a member token; API keys are refused (403)."""
Linker = Annotated[Principal, Depends(caller(MEMBER_ONLY))]


def _responses(described: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` of every error status a route answers (one JSON shape)."""
    return {code: {"model": s.ErrorOut, "description": text} for code, text in described.items()}


UNAUTHENTICATED = "No credentials, or a member token that is invalid or expired."
UNAVAILABLE = "A dependency is unavailable (the platform's JWKS)."
LINKING_ERRORS = {
    401: UNAUTHENTICATED,
    403: "An API key (linking needs the member's own token), or a member naming another "
    "member with ?member=.",
    413: "The request body is too large.",
    503: UNAVAILABLE,
}


class _Out(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


# --- models ----------------------------------------------------------------------------


class ChallengeIn(BaseModel):
    """The address the member wants their payouts sent to."""

    model_config = ConfigDict(extra="forbid")

    address: str = Field(
        pattern=BASE58_PATTERN,
        description="The wallet's Solana address: base58 of exactly 32 bytes (else 422 "
        "naming body.address).",
        examples=["7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV"],
    )

    @field_validator("address")
    @classmethod
    def _an_address(cls, value: str) -> str:
        try:
            return str(Pubkey.from_string(value))
        except ValueError:
            raise ValueError("not a Solana address (base58 of exactly 32 bytes)") from None


class ChallengeOut(_Out):
    """What to sign, and until when."""

    nonce: str = Field(description="Send it back with the signature.")
    member: str
    address: str
    message: str = Field(
        description="Sign exactly this text (its UTF-8 bytes) with the wallet: signMessage, "
        "or Solana's off-chain message format (a Ledger)."
    )
    expires_at: s.Timestamp


class LinkIn(BaseModel):
    """The wallet's proof: its signature of the challenge's message."""

    model_config = ConfigDict(extra="forbid")

    nonce: str = Field(pattern=NONCE_PATTERN, description="The challenge's nonce.")
    signature: str = Field(
        pattern=SIGNATURE_PATTERN,
        description="The 64-byte ed25519 signature: base58 (what wallets show), base64 or "
        "hex (128 digits).",
    )
    message: str | None = Field(
        default=None,
        max_length=MESSAGE_CHARS_MAX,
        description="Optional: the text the wallet signed; when sent it must be the issued "
        "message (else 422 MessageMismatch), so a member who signed something else is told.",
    )


class LinkOut(_Out):
    """The wallet now linked: weekly payouts go to it."""

    member: str
    address: str
    linked_at: s.Timestamp


class WalletOut(_Out):
    """The member's linked wallet, if any (without one their balance stays custodial)."""

    member: str
    linked: bool
    address: str | None
    linked_at: s.Timestamp | None


# --- routes ----------------------------------------------------------------------------


@contextmanager
def _about(field: str, *errors: type[SystokError]) -> Iterator[None]:
    """Name the request field a service refusal is about (``fields`` in the answer)."""
    try:
        yield
    except errors as error:
        error.field = field  # type: ignore[attr-defined]
        raise


@router.post(
    "/challenge",
    response_model=ChallengeOut,
    responses=_responses(
        {
            **LINKING_ERRORS,
            404: "The member is unknown (UnknownMember).",
            409: "The address is already linked to another member (AddressTaken).",
            422: "The body is invalid: body.address is not a Solana address.",
        }
    ),
    summary="A nonce message for the member to sign with the wallet at `address`",
)
def post_challenge(
    request: Request, body: ChallengeIn, work: Work, principal: Linker, member: MemberQuery = None
) -> ChallengeOut:
    """Issue a single-use challenge, valid ``SYSTOK_WALLET_CHALLENGE_TTL_SECONDS``."""
    member_id = acting_member(principal, member)
    ttl = app_settings(request).wallet_challenge_ttl_seconds
    with _about("body.address", AddressTaken):
        issued = work(
            lambda session: issue_challenge(
                session, member_id, body.address, now_us=clock.now_us(), ttl_seconds=ttl
            ),
        )
    return ChallengeOut(
        nonce=issued.nonce,
        member=issued.member_id,
        address=issued.address,
        message=issued.message,
        expires_at=us_to_iso(issued.expires_at_us),
    )


@router.post(
    "/link",
    response_model=LinkOut,
    responses=_responses(
        {
            **LINKING_ERRORS,
            404: "No challenge with this nonce was issued to the member (ChallengeNotFound).",
            409: "The nonce was already used (ChallengeUsed), or the address was linked to "
            "another member meanwhile (AddressTaken).",
            410: "The nonce has expired (ChallengeExpired): ask for a new challenge.",
            422: "The signature is not the address's signature of the issued message "
            "(SignatureInvalid, body.signature), the message differs from the issued one "
            "(MessageMismatch, body.message), or the body is invalid.",
        }
    ),
    summary="Link the challenge's wallet by its signature of the message",
)
def post_link(body: LinkIn, work: Work, principal: Linker, member: MemberQuery = None) -> LinkOut:
    """Link the challenged address to the member; replaces a wallet linked before."""
    member_id = acting_member(principal, member)
    now = clock.now_us()
    with (
        _about("body.nonce", ChallengeNotFound),
        _about("body.signature", SignatureInvalid),
        _about("body.message", MessageMismatch),
    ):
        address = work(
            lambda session: link_wallet(
                session, member_id, body.nonce, body.signature, now_us=now, message=body.message
            ),
        )
    return LinkOut(member=member_id, address=address, linked_at=us_to_iso(now))


@router.get(
    "",
    response_model=WalletOut,
    responses=_responses(
        {
            401: UNAUTHENTICATED,
            403: "A key without admin:read, or a member naming another member.",
            404: "The member is unknown (UnknownMember).",
            422: "query.member is required with an API key.",
            503: UNAVAILABLE,
        }
    ),
    summary="The member's linked wallet",
)
def get_wallet(work: Work, principal: Reader, member: MemberQuery = None) -> WalletOut:
    """Where payouts go for the member; ``linked: false`` keeps the balance custodial."""
    member_id = acting_member(principal, member)
    wallet = work(lambda session: member_wallet(session, member_id))
    return WalletOut(
        member=member_id,
        linked=wallet is not None,
        address=None if wallet is None else wallet.address,
        linked_at=None if wallet is None else us_to_iso(wallet.linked_at_us),
    )


BODY_GATES = [
    BodyGate("POST", "/tokenomics/wallet/challenge", MEMBER_ONLY),
    BodyGate("POST", "/tokenomics/wallet/link", MEMBER_ONLY),
]
"""Checked by the edge before a body is read (paths below the API prefix)."""
