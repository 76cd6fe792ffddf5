"""Members as ingestion keeps them, for ``systok members …`` and ``systok events
unattributed``: units of work that take the caller's session and never commit.

A member's freeze is the economy's; ``member_details`` reads it through the economy's
own member functions, so the commands see one record without reaching into its tables.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from systok.economy.members import require_member as economy_member
from systok.errors import AliasNotFound, SystokError, UnknownMember
from systok.ingest import repository as repo
from systok.ingest.schemas import MemberDetails, MemberSummary, WaitingAlias
from systok.ingest.storable import SOURCE_LENGTH_MAX, normalized_alias, normalized_identifier


def require_member(session: Session, member_id: str) -> Any:
    """The member's row (``id``, ``created_at_us``).

    Raises:
        UnknownMember: no member has this platform id.
    """
    row = repo.find_member(session, member_id)
    if row is None:
        raise UnknownMember(f"unknown member {member_id!r}: no member has this platform id")
    return row


def _summary(session: Session, member_id: str, created_at_us: int, today: int) -> MemberSummary:
    level, paid = repo.profile_on(session, member_id, today)
    return MemberSummary(
        id=member_id,
        created_at_us=created_at_us,
        aliases=repo.aliases_of(session, [member_id]).get(member_id, []),
        level_today=level,
        paid_member_today=paid,
    )


def member_summaries(
    session: Session, *, limit: int, after: str | None, today: int
) -> list[MemberSummary]:
    """Members by id, at most ``limit``, after ``after``, with ``today``'s profile."""
    return [
        _summary(session, row.id, row.created_at_us, today)
        for row in repo.list_members(session, limit, after)
    ]


def member_details(session: Session, member_id: str, today: int) -> MemberDetails:
    """One member: aliases, today's profile, the whole history and the freeze.

    Raises:
        UnknownMember: no member has this platform id.
    """
    row = require_member(session, member_id)
    qualifications, memberships = repo.member_history(session, row.id)
    return MemberDetails(
        summary=_summary(session, row.id, row.created_at_us, today),
        qualifications=qualifications,
        memberships=memberships,
        frozen_reason=economy_member(session, row.id).frozen_reason,
    )


def remove_alias(session: Session, source: str, name: str) -> tuple[str, str, str]:
    """Unlink ``source:name``; returns (source, the alias as it was stored, its member).

    Raises:
        SystokError: the source or name is not one ids may be.
        AliasNotFound: no member has the alias.
    """
    try:
        key = normalized_identifier(source, SOURCE_LENGTH_MAX)
        spelled = normalized_alias(key, name)
    except ValueError as error:
        raise SystokError(f"alias {ascii(source)[:40]}:{ascii(name)[:80]}: {error}") from None
    # The stored spelling first; then the name exactly as given, for a row stored
    # before aliases had one spelling (migration 0012 leaves a clashing one).
    for candidate in dict.fromkeys((spelled, name)):
        owner = repo.remove_alias(session, key, candidate)
        if owner is not None:
            return key, candidate, owner
    raise AliasNotFound(f"no member has the alias {key}:{spelled}")


def waiting_aliases(session: Session, source: str | None = None) -> list[WaitingAlias]:
    """Aliases that events name and no member has, most events first."""
    return repo.unattributed_aliases(session, source)
