"""``/api/v1/tokenomics/profile``: where and how a member is notified (ADR 0037).

The member reads and changes their own channels (email, Telegram chat), language and
opted-out message kinds. ``PUT`` replaces the profile (a field left out is cleared or
set to its default); ``PATCH`` changes only the fields sent (``null`` clears one).
Marking a profile as an administrator's is an operator's act (``systok notify
profile --admin``), never a member's.

| endpoint | member token | API key |
|---|---|---|
| GET profile | own profile | admin:read with ``?member=`` |
| PUT, PATCH profile | own profile | 403 (a member changes their own channels) |
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Depends
from pydantic import BaseModel, ConfigDict, Field

from systok import clock
from systok.api import schemas as s
from systok.api.deps import Work
from systok.api.edge import BodyGate
from systok.api.member_auth import Principal, acting_member
from systok.api.routes.common import MemberQuery, Reader, caller, gate, tokenomics_router
from systok.core.language import DEFAULT_LANGUAGE, Language
from systok.notify import service
from systok.notify.schemas import MessageKind, Profile, ProfileChange
from systok.notify.service import EMAIL_MAX, EMAIL_PATTERN, TELEGRAM_CHAT_PATTERN

router = tokenomics_router()
MEMBER_ONLY = gate(None, members=True)
Owner = Annotated[Principal, Depends(caller(MEMBER_ONLY))]

KindName = Literal[
    "weekly_reward",
    "vesting_released",
    "vesting_cancelled",
    "inactivity_warning",
    "redistribution",
    "transfer_received",
    "purchase_confirmed",
    "stabilisation_proposal",
]
assert set(KindName.__args__) == {k.value for k in MessageKind}  # type: ignore[attr-defined]


def _responses(described: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    return {code: {"model": s.ErrorOut, "description": text} for code, text in described.items()}


COMMON = {
    401: "No credentials, or a token or key that is invalid, expired or revoked.",
    404: "The member is unknown (UnknownMember).",
    503: "A dependency is unavailable (the platform's JWKS).",
}
READ = _responses(
    {
        **COMMON,
        403: "A key without admin:read, or a member naming another member.",
        422: "query.member is required with an API key, or is malformed.",
    }
)
WRITE = _responses(
    {
        **COMMON,
        403: "An API key (a member changes their own profile), or a member naming another.",
        413: "The request body is too large.",
        422: "A field is invalid; `fields` names it (body.email, body.telegram_chat_id, "
        "body.language, body.opt_outs).",
    }
)


class ProfileOut(BaseModel):
    """A member's notification profile (the defaults when never set)."""

    model_config = ConfigDict(populate_by_name=True)

    member: str
    email: str | None = Field(description="Where emails go; null: no email.")
    telegram_chat_id: str | None = Field(description="The Telegram chat; null: no Telegram.")
    language: Language = Field(description="The language of messages.")
    opt_outs: list[KindName] = Field(description="Message kinds the member declined.")


class ProfileIn(BaseModel):
    """The profile as the member wants it (PUT: all of it; PATCH: the fields sent)."""

    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(
        default=None, max_length=EMAIL_MAX, pattern=EMAIL_PATTERN, examples=["anna@example.org"]
    )
    telegram_chat_id: str | None = Field(
        default=None,
        pattern=TELEGRAM_CHAT_PATTERN,
        description="The chat id the bot writes to (the member must have started the bot).",
        examples=["123456789"],
    )
    language: Language = Field(default=DEFAULT_LANGUAGE, description="ru (default) or en.")
    opt_outs: list[KindName] = Field(default_factory=list, max_length=len(MessageKind))


def _out(found: Profile) -> ProfileOut:
    return ProfileOut(
        member=found.member_id,
        email=found.email,
        telegram_chat_id=found.telegram_chat_id,
        language=found.language,
        opt_outs=sorted(k.value for k in found.opt_outs),
    )


def _change(body: ProfileIn, fields: set[str]) -> ProfileChange:
    return ProfileChange(
        changed=frozenset(fields),
        email=body.email,
        telegram_chat_id=body.telegram_chat_id,
        language=body.language,
        opt_outs=tuple(body.opt_outs),
    )


@router.get(
    "/profile", response_model=ProfileOut, responses=READ, summary="The member's notifications"
)
def get_profile(work: Work, principal: Reader, member: MemberQuery = None) -> ProfileOut:
    """Channels, language and opt-outs; a member who set nothing gets the defaults."""
    member_id = acting_member(principal, member)
    return _out(work(lambda session: service.profile(session, member_id)))


@router.put("/profile", response_model=ProfileOut, responses=WRITE, summary="Replace the profile")
def put_profile(
    body: ProfileIn, work: Work, principal: Owner, member: MemberQuery = None
) -> ProfileOut:
    """Store the profile as sent; fields left out are cleared (language: ru)."""
    return _store(work, principal, member, _change(body, set(ProfileIn.model_fields)))


@router.patch("/profile", response_model=ProfileOut, responses=WRITE, summary="Change some fields")
def patch_profile(
    body: ProfileIn, work: Work, principal: Owner, member: MemberQuery = None
) -> ProfileOut:
    """Change only the fields sent; ``null`` clears a channel."""
    return _store(work, principal, member, _change(body, set(body.model_fields_set)))


def _store(
    work: Work, principal: Principal, member: str | None, change: ProfileChange
) -> ProfileOut:
    """PUT and PATCH differ only in which fields count as sent (``change.changed``)."""
    member_id = acting_member(principal, member)
    return _out(
        work(
            lambda session: service.update_profile(
                session,
                member_id,
                change,
                now_us=clock.now_us(),
                field_name=lambda name: f"body.{name}",
            )
        )
    )


BODY_GATES = [
    BodyGate("PUT", "/tokenomics/profile", MEMBER_ONLY),
    BodyGate("PATCH", "/tokenomics/profile", MEMBER_ONLY),
]
"""Checked by the edge before a body is read (paths below the API prefix)."""
