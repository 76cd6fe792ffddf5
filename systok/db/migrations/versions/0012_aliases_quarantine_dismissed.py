"""One spelling of aliases; quarantine entries can be dismissed (issue 15, ADR 0017).

Discourse usernames are case-insensitive, but a members file once stored
``discourse:Ivan`` as written while webhooks name ``ivan``: the link never matched and
the events waited unattributed. Aliases are now spelled one way on every path
(``systok.ingest.storable.normalized_alias``). This migration respells what is stored:

- a ``discourse`` alias row is lowercased (NFC, like the code). If the lowercased
  spelling already belongs to the same member, the mixed-case row is dropped; if it
  belongs to *another* member the row is left as it is (it never matched anything) for
  an operator to remove with ``systok members alias remove discourse <Name>``;
- ``discourse`` names in events (actor and counterpart) are lowercased;
- events waiting for a respelled name are attributed to its member, and those members'
  daily counters are recounted from their events (the counters must equal the recount).
  The ledger and settled runs are not touched.

The quarantine gains status ``dismissed`` with ``dismissed_at_us`` and
``dismissed_reason``: an entry an operator closed (``systok events quarantine
dismiss``), kept and counted, never retried.

The logic is written out here rather than imported, so the migration keeps doing what
it did when the code moves on. Downgrade drops the dismissal columns (dismissed rows
become ``open`` again); the respelling is not undone (the old spellings are not kept).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 02:00:00
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

SOURCE = "discourse"

aliases_t = sa.table(
    "member_aliases", sa.column("source"), sa.column("alias"), sa.column("member_id")
)
events_t = sa.table(
    "events",
    sa.column("member_id"),
    sa.column("actor_source"),
    sa.column("actor_alias"),
    sa.column("counterpart_member_id"),
    sa.column("counterpart_source"),
    sa.column("counterpart_alias"),
    sa.column("occurred_day"),
    sa.column("event_type"),
    sa.column("retracted_at_us"),
)
counts_t = sa.table(
    "event_day_counts",
    sa.column("member_id"),
    sa.column("day"),
    sa.column("event_type"),
    sa.column("count"),
)


def _spelling(name: str) -> str:
    """``normalized_alias`` for Discourse as of this migration: stripped, NFC, lowercased."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name.strip()).lower())


def upgrade() -> None:
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dismissed_at_us", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("dismissed_reason", sa.Text(), nullable=True))
        batch_op.drop_constraint(op.f("ck_quarantine_status_known"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_quarantine_status_known"),
            "status IN ('open', 'accepted', 'duplicate', 'conflict', 'dismissed')",
        )
    _respell_discourse_aliases(op.get_bind())


def _respell_discourse_aliases(connection: sa.Connection) -> None:
    owners = {
        alias: member_id
        for alias, member_id in connection.execute(
            sa.select(aliases_t.c.alias, aliases_t.c.member_id).where(aliases_t.c.source == SOURCE)
        )
    }
    respelled = _respell_alias_rows(connection, owners) | _respell_event_names(connection)
    touched: set[str] = set()
    for spelling in sorted(respelled):
        member_id = owners.get(spelling)
        if member_id is None:
            continue
        for source_column, alias_column, member_column in (
            (events_t.c.actor_source, events_t.c.actor_alias, events_t.c.member_id),
            (
                events_t.c.counterpart_source,
                events_t.c.counterpart_alias,
                events_t.c.counterpart_member_id,
            ),
        ):
            result = connection.execute(
                sa.update(events_t)
                .where(source_column == SOURCE, alias_column == spelling, member_column.is_(None))
                .values({member_column.name: member_id})
            )
            if result.rowcount:
                touched.add(member_id)
    for member_id in sorted(touched):
        _recount_member(connection, member_id)


def _respell_alias_rows(connection: sa.Connection, owners: dict[str, str]) -> set[str]:
    """Lowercase the alias rows (``owners`` follows); returns the spellings that changed."""
    respelled: set[str] = set()
    for alias, member_id in sorted(owners.items()):
        spelling = _spelling(alias)
        if spelling == alias:
            continue
        where = sa.and_(aliases_t.c.source == SOURCE, aliases_t.c.alias == alias)
        holder = owners.get(spelling)
        if holder is None:
            connection.execute(sa.update(aliases_t).where(where).values(alias=spelling))
            owners[spelling] = member_id
        elif holder == member_id:
            connection.execute(sa.delete(aliases_t).where(where))
        else:
            continue  # another member's name: left for an operator (see the docstring)
        del owners[alias]
        respelled.add(spelling)
    return respelled


def _respell_event_names(connection: sa.Connection) -> set[str]:
    """Lowercase the Discourse names events carry; returns the spellings that changed."""
    respelled: set[str] = set()
    for source_column, alias_column in (
        (events_t.c.actor_source, events_t.c.actor_alias),
        (events_t.c.counterpart_source, events_t.c.counterpart_alias),
    ):
        names = connection.execute(
            sa.select(alias_column)
            .where(source_column == SOURCE, alias_column.is_not(None))
            .distinct()
        ).scalars()
        for name in list(names):
            spelling = _spelling(name)
            if spelling != name:
                connection.execute(
                    sa.update(events_t)
                    .where(source_column == SOURCE, alias_column == name)
                    .values({alias_column.name: spelling})
                )
                respelled.add(spelling)
    return respelled


def _recount_member(connection: sa.Connection, member_id: str) -> None:
    """The member's daily counters from their events: attributed, not retracted, not a
    self-interaction (the rule of ``systok.ingest.repository.day_counts.counted_key``)."""
    connection.execute(sa.delete(counts_t).where(counts_t.c.member_id == member_id))
    rows = connection.execute(
        sa.select(events_t.c.occurred_day, events_t.c.event_type, sa.func.count())
        .where(
            events_t.c.member_id == member_id,
            events_t.c.retracted_at_us.is_(None),
            sa.or_(
                events_t.c.counterpart_member_id.is_(None),
                events_t.c.counterpart_member_id != events_t.c.member_id,
            ),
        )
        .group_by(events_t.c.occurred_day, events_t.c.event_type)
    ).all()
    if rows:
        connection.execute(
            sa.insert(counts_t),
            [
                {"member_id": member_id, "day": day, "event_type": kind, "count": int(n)}
                for day, kind, n in rows
            ],
        )


def downgrade() -> None:
    op.execute("UPDATE quarantine SET status = 'open' WHERE status = 'dismissed'")
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_quarantine_status_known"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_quarantine_status_known"),
            "status IN ('open', 'accepted', 'duplicate', 'conflict')",
        )
        batch_op.drop_column("dismissed_reason")
        batch_op.drop_column("dismissed_at_us")
