"""Aliases: a member's names at other sources (``discourse:ivan``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select, text, tuple_
from sqlalchemy.orm import Session

from systok.db.kit import aliases_t
from systok.ingest.repository.chunks import chunks


def linked_aliases(
    session: Session, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], str]:
    """The member of each of these ``(source, alias)`` pairs that is linked."""
    wanted = sorted(set(pairs))
    found: dict[tuple[str, str], str] = {}
    if not wanted:
        return found
    if session.get_bind().dialect.name == "postgresql":  # one statement, two arrays
        rows = session.execute(
            text(
                "SELECT source, alias, member_id FROM member_aliases WHERE (source, alias) IN "
                "(SELECT * FROM unnest(CAST(:sources AS text[]), CAST(:aliases AS text[])))"
            ),
            {"sources": [s for s, _ in wanted], "aliases": [a for _, a in wanted]},
        )
        return {(r.source, r.alias): r.member_id for r in rows}
    for chunk in chunks(wanted):
        rows = session.execute(
            select(aliases_t.c.source, aliases_t.c.alias, aliases_t.c.member_id).where(
                tuple_(aliases_t.c.source, aliases_t.c.alias).in_(chunk)
            )
        )
        found.update({(r.source, r.alias): r.member_id for r in rows})
    return found


def aliases_at_source(session: Session, source: str) -> list[str]:
    """Every alias linked at ``source``, sorted."""
    return sorted(
        session.execute(select(aliases_t.c.alias).where(aliases_t.c.source == source)).scalars()
    )


def alias_owner(session: Session, source: str, alias: str) -> str | None:
    return session.execute(
        select(aliases_t.c.member_id).where(
            aliases_t.c.source == source, aliases_t.c.alias == alias
        )
    ).scalar_one_or_none()


def insert_alias(session: Session, source: str, alias: str, member_id: str) -> None:
    session.execute(aliases_t.insert().values(source=source, alias=alias, member_id=member_id))


def remove_alias(session: Session, source: str, alias: str) -> str | None:
    """Unlink ``source:alias`` (spelled as stored); returns its member, or None if unknown.

    Only the link goes: events attributed through it stay attributed (the ledger and
    settled runs are not touched), and later events naming it wait unattributed.
    """
    removed: str | None = session.execute(
        delete(aliases_t)
        .where(aliases_t.c.source == source, aliases_t.c.alias == alias)
        .returning(aliases_t.c.member_id)
    ).scalar_one_or_none()
    return removed


def aliases_of(session: Session, member_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """Each member's ``(source, alias)`` pairs, sorted."""
    found: dict[str, list[tuple[str, str]]] = {}
    for chunk in chunks(sorted(set(member_ids))):
        rows = session.execute(
            select(aliases_t.c.member_id, aliases_t.c.source, aliases_t.c.alias)
            .where(aliases_t.c.member_id.in_(chunk))
            .order_by(aliases_t.c.member_id, aliases_t.c.source, aliases_t.c.alias)
        )
        for row in rows:
            found.setdefault(row.member_id, []).append((row.source, row.alias))
    return found
