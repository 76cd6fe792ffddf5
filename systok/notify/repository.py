"""All SQL of notifications: profiles, the outbox, and the dispatcher's claim.

The claim is one statement: ``UPDATE … SET status = 'sending', lease … WHERE id IN
(SELECT … due … LIMIT n FOR UPDATE SKIP LOCKED) RETURNING …``. On PostgreSQL two
dispatchers' subqueries skip each other's locked rows, so no row is claimed twice; on
SQLite (one writer at a time, ``FOR UPDATE`` is not rendered) the write lock does the
same.

The claim's token is its ``lease_until_us``: every later renewal or mark names it, so a
dispatcher whose lease ran out and whose row was claimed again cannot renew, send under,
or overwrite the newer claim. It is unique per claim without a column of its own: a row
is claimed again only once ``lease_until_us < now``, and the new claim's lease is
``now + lease`` — later than every earlier one, whatever ``systok notify retry`` did to
``attempts`` (which restarts at 0 and so cannot tell two claims apart; ADR 0037).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, Subquery, and_, func, or_, select, update
from sqlalchemy.orm import Session

from systok.db.kit import dialect_insert, members_t, notify_outbox_t, notify_profiles_t
from systok.notify.schemas import Channel, OutboxMessage, OutboxStatus

_o = notify_outbox_t.c
_p = notify_profiles_t.c


def member_exists(session: Session, member_id: str) -> bool:
    """Whether the member is known."""
    found = session.execute(select(members_t.c.id).where(members_t.c.id == member_id)).first()
    return found is not None


def profile_row(session: Session, member_id: str) -> Row[Any] | None:
    """The member's stored profile, if they have one."""
    return session.execute(select(notify_profiles_t).where(_p.member_id == member_id)).one_or_none()


def profile_subquery(member_id: str) -> Subquery:
    """The member's profile (no row or one) as a subquery, for a caller that reads it in
    the same statement as its own checks (the transfer path, ADR 0042)."""
    return select(notify_profiles_t).where(_p.member_id == member_id).subquery("profile")


def admin_profile_rows(session: Session) -> list[Row[Any]]:
    """The profiles that receive administrators' messages, by member id."""
    rows = session.execute(
        select(notify_profiles_t).where(_p.admin.is_(True)).order_by(_p.member_id)
    )
    return list(rows.all())


def profile_rows_with_channels(session: Session) -> list[Row[Any]]:
    """Every profile with an email or a Telegram chat (the ones a message can reach)."""
    rows = session.execute(
        select(notify_profiles_t).where(
            or_(_p.email.is_not(None), _p.telegram_chat_id.is_not(None))
        )
    )
    return list(rows.all())


def save_profile(session: Session, values: dict[str, Any]) -> None:
    """Insert or replace a member's profile (``values`` holds every column)."""
    statement = dialect_insert(session, notify_profiles_t).values(**values)
    changed = {k: v for k, v in values.items() if k != "member_id"}
    session.execute(statement.on_conflict_do_update(index_elements=["member_id"], set_=changed))


def insert_message(session: Session, values: dict[str, Any]) -> bool:
    """Add a message unless its idempotency key is there already; True when added."""
    statement = (
        dialect_insert(session, notify_outbox_t)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(_o.id)
    )
    return session.execute(statement).first() is not None


def _due(now_us: int) -> Any:
    return or_(
        and_(_o.status == OutboxStatus.PENDING.value, _o.next_attempt_at_us <= now_us),
        and_(_o.status == OutboxStatus.SENDING.value, _o.lease_until_us < now_us),
    )


def claim_due(session: Session, *, now_us: int, lease_until_us: int, limit: int) -> list[Row[Any]]:
    """Claim up to ``limit`` due messages (oldest first) until ``lease_until_us``.

    Due: pending with its time come, or sending with a lease that ran out (a
    dispatcher that died between claiming and marking). Each claim counts an attempt.
    """
    due_ids = (
        select(_o.id)
        .where(_due(now_us))
        .order_by(_o.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    statement = (
        update(notify_outbox_t)
        .where(_o.id.in_(due_ids), _due(now_us))
        .values(
            status=OutboxStatus.SENDING.value,
            lease_until_us=lease_until_us,
            attempts=_o.attempts + 1,
        )
        .returning(*notify_outbox_t.c)
    )
    return sorted(session.execute(statement).all(), key=lambda row: int(row.id))


def _claimed(message_id: int, token_us: int) -> Any:
    return and_(
        _o.id == message_id,
        _o.status == OutboxStatus.SENDING.value,
        _o.lease_until_us == token_us,
    )


def renew_claim(
    session: Session, message_id: int, token_us: int, *, now_us: int, lease_until_us: int
) -> bool:
    """Extend a claim that is still ours and has time left, just before its send; False
    when it ran out or another dispatcher holds the row (then it must not be sent).
    The new ``lease_until_us`` is the claim's token from here on."""
    result = session.execute(
        update(notify_outbox_t)
        .where(_claimed(message_id, token_us), _o.lease_until_us > now_us)
        .values(lease_until_us=lease_until_us)
        .returning(_o.id)
    )
    return result.first() is not None


def mark_sent(session: Session, message_id: int, token_us: int, now_us: int) -> bool:
    """Record the send of a claimed message; False if the claim is no longer ours."""
    result = session.execute(
        update(notify_outbox_t)
        .where(_claimed(message_id, token_us))
        .values(status=OutboxStatus.SENT.value, sent_at_us=now_us, lease_until_us=None)
        .returning(_o.id)
    )
    return result.first() is not None


def mark_failed(
    session: Session,
    message_id: int,
    token_us: int,
    *,
    status: OutboxStatus,
    next_attempt_at_us: int,
    error: str,
) -> bool:
    """Put a claimed message back (pending, tried again later) or park it; False if
    the claim is no longer ours."""
    result = session.execute(
        update(notify_outbox_t)
        .where(_claimed(message_id, token_us))
        .values(
            status=status.value,
            next_attempt_at_us=next_attempt_at_us,
            lease_until_us=None,
            last_error=error,
        )
        .returning(_o.id)
    )
    return result.first() is not None


def message_rows(session: Session, *, status: OutboxStatus | None, limit: int) -> list[Row[Any]]:
    """Outbox messages, newest first, optionally of one status."""
    query = select(notify_outbox_t).order_by(_o.id.desc()).limit(limit)
    if status is not None:
        query = query.where(_o.status == status.value)
    return list(session.execute(query).all())


def message_row(session: Session, message_id: int) -> Row[Any] | None:
    """One outbox message, locked for the caller's unit of work."""
    return session.execute(
        select(notify_outbox_t).where(_o.id == message_id).with_for_update()
    ).one_or_none()


def requeue(session: Session, message_id: int, now_us: int) -> None:
    """Make a message due now with a fresh count of attempts (``systok notify retry``)."""
    session.execute(
        update(notify_outbox_t)
        .where(_o.id == message_id)
        .values(
            status=OutboxStatus.PENDING.value,
            attempts=0,
            next_attempt_at_us=now_us,
            lease_until_us=None,
        )
    )


def status_counts(session: Session) -> dict[str, int]:
    """How many messages are in each status."""
    rows = session.execute(select(_o.status, func.count()).group_by(_o.status)).all()
    return {str(status): int(count) for status, count in rows}


def as_message(row: Row[Any]) -> OutboxMessage:
    """An outbox row as the service hands it out."""
    return OutboxMessage(
        id=int(row.id),
        idempotency_key=row.idempotency_key,
        kind=row.kind,
        member_id=row.member_id,
        channel=Channel(row.channel),
        address=row.address,
        language=row.language,
        subject=row.subject,
        body=row.body,
        message_id=row.message_id,
        status=OutboxStatus(row.status),
        attempts=int(row.attempts),
        next_attempt_at_us=int(row.next_attempt_at_us),
        last_error=row.last_error,
        created_at_us=int(row.created_at_us),
        sent_at_us=None if row.sent_at_us is None else int(row.sent_at_us),
    )
