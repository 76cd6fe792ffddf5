"""The reads of a member's transfer request: its checks in one statement (ADR 0042), and
whether a paid membership covers a day. Functions take the caller's session."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    Subquery,
    and_,
    exists,
    func,
    literal,
    select,
    true,
)
from sqlalchemy.orm import Session

from systok.db.kit import freezes_t, members_t, memberships_t, transactions_t
from systok.economy.schemas import TransferChecks


def transfer_checks(
    session: Session,
    *,
    sender_id: str,
    recipient_id: str,
    day: int,
    ledger_key: str,
    fee_step: ScalarSelect[Any],
    recipient_profile: Subquery,
) -> TransferChecks:
    """Everything ``send_transfer`` reads before and after posting, in one round trip:
    the key, both members and their freezes, the recipient's paid membership on ``day``,
    the fee override step (``fee_step``, a scalar subquery) and the recipient's
    notification profile (``recipient_profile``, no row or one, outer-joined). Each part
    is a lookup by a primary or unique key, so the statement costs what its parts did,
    minus five round trips."""
    one = select(literal(1).label("one")).subquery("one")
    row = session.execute(
        select(
            exists().where(transactions_t.c.idempotency_key == ledger_key).label("key_used"),
            exists().where(members_t.c.id == sender_id).label("sender_known"),
            _frozen_reason(sender_id).label("sender_frozen_reason"),
            exists().where(members_t.c.id == recipient_id).label("recipient_known"),
            _frozen_reason(recipient_id).label("recipient_frozen_reason"),
            exists().where(_paid_on(recipient_id, day)).label("recipient_paid"),
            fee_step.label("fee_step_bps"),
            *recipient_profile.c,
        ).select_from(one.outerjoin(recipient_profile, true()))
    ).one()
    step = row.fee_step_bps
    return TransferChecks(
        key_used=bool(row.key_used),
        sender_known=bool(row.sender_known),
        sender_frozen_reason=row.sender_frozen_reason,
        recipient_known=bool(row.recipient_known),
        recipient_frozen_reason=row.recipient_frozen_reason,
        recipient_paid=bool(row.recipient_paid),
        fee_step_bps=None if step is None else int(step),
        recipient_profile=None if row.member_id is None else row,
    )


def paid_member_on(session: Session, member_id: str, day: int) -> bool:
    """Whether a paid membership covers the UTC day (``starts_day <= day < ends_day``)."""
    count = session.execute(
        select(func.count()).select_from(memberships_t).where(_paid_on(member_id, day))
    ).scalar_one()
    return int(count) > 0


def _frozen_reason(member_id: str) -> ScalarSelect[Any]:
    return select(freezes_t.c.reason).where(freezes_t.c.member_id == member_id).scalar_subquery()


def _paid_on(member_id: str, day: int) -> ColumnElement[bool]:
    return and_(
        memberships_t.c.member_id == member_id,
        memberships_t.c.starts_day <= day,
        (memberships_t.c.ends_day.is_(None)) | (memberships_t.c.ends_day > day),
    )
