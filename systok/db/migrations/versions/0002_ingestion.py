"""Ingestion: members, aliases, effective-dated profiles, events, quarantine, batches, cursors.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 14:40:31.938331
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_event_id", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("member_id", sa.String(length=128), nullable=True),
        sa.Column("actor_source", sa.String(length=32), nullable=True),
        sa.Column("actor_alias", sa.String(length=200), nullable=True),
        sa.Column("counterpart_member_id", sa.String(length=128), nullable=True),
        sa.Column("counterpart_source", sa.String(length=32), nullable=True),
        sa.Column("counterpart_alias", sa.String(length=200), nullable=True),
        sa.Column("occurred_at_us", sa.BigInteger(), nullable=False),
        sa.Column("occurred_day", sa.Integer(), nullable=False),
        sa.Column("received_at_us", sa.BigInteger(), nullable=False),
        sa.Column("retracted_at_us", sa.BigInteger(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("source", "source_event_id", name="uq_events_source_event"),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_events_actor_alias", ["actor_source", "actor_alias"], unique=False
        )
        batch_op.create_index(
            "ix_events_counterpart_alias", ["counterpart_source", "counterpart_alias"], unique=False
        )
        batch_op.create_index(
            "ix_events_member_day_type", ["member_id", "occurred_day", "event_type"], unique=False
        )
        batch_op.create_index("ix_events_received", ["received_at_us"], unique=False)

    op.create_table(
        "ingest_batches",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("accepted", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.Column("started_at_us", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "received = accepted + duplicates + quarantined",
            name=op.f("ck_ingest_batches_nothing_lost"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_batches")),
    )
    op.create_table(
        "ingest_cursors",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=False),
        sa.Column("updated_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_ingest_cursors")),
    )
    op.create_table(
        "members",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("created_at_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_members")),
    )
    op.create_table(
        "quarantine",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("source_event_id", sa.String(length=200), nullable=True),
        sa.Column("field", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("received_at_us", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'accepted', 'duplicate')", name=op.f("ck_quarantine_status_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
    )
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.create_index("ix_quarantine_status", ["status", "id"], unique=False)

    op.create_table(
        "member_aliases",
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("alias", sa.String(length=200), nullable=False),
        sa.Column("member_id", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_member_aliases_member_id_members")
        ),
        sa.PrimaryKeyConstraint("source", "alias", name=op.f("pk_member_aliases")),
    )
    with op.batch_alter_table("member_aliases", schema=None) as batch_op:
        batch_op.create_index("ix_member_aliases_member", ["member_id"], unique=False)

    op.create_table(
        "member_memberships",
        sa.Column("member_id", sa.String(length=128), nullable=False),
        sa.Column("starts_day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("ends_day", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "ends_day IS NULL OR ends_day > starts_day",
            name=op.f("ck_member_memberships_period_not_empty"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_member_memberships_member_id_members")
        ),
        sa.PrimaryKeyConstraint("member_id", "starts_day", name=op.f("pk_member_memberships")),
    )
    op.create_table(
        "member_qualifications",
        sa.Column("member_id", sa.String(length=128), nullable=False),
        sa.Column("valid_from_day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.CheckConstraint("level >= 1", name=op.f("ck_member_qualifications_level_positive")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_member_qualifications_member_id_members")
        ),
        sa.PrimaryKeyConstraint(
            "member_id", "valid_from_day", name=op.f("pk_member_qualifications")
        ),
    )


def downgrade() -> None:
    op.drop_table("member_qualifications")
    op.drop_table("member_memberships")
    with op.batch_alter_table("member_aliases", schema=None) as batch_op:
        batch_op.drop_index("ix_member_aliases_member")

    op.drop_table("member_aliases")
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_index("ix_quarantine_status")

    op.drop_table("quarantine")
    op.drop_table("members")
    op.drop_table("ingest_cursors")
    op.drop_table("ingest_batches")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_received")
        batch_op.drop_index("ix_events_member_day_type")
        batch_op.drop_index("ix_events_counterpart_alias")
        batch_op.drop_index("ix_events_actor_alias")

    op.drop_table("events")
