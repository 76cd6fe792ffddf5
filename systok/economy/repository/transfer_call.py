"""The one statement of a member's transfer on PostgreSQL: ``systok_member_transfer``
(ADR 0045), called in autocommit on a pooled connection of the driver.

Autocommit makes the statement its own transaction: no BEGIN and no COMMIT round trip,
and the fee account's row lock is released by the server as the statement ends. The
call goes to the driver's cursor, not through a session: the request's work here is
this one call, and a session's set-up cost more Python time per transfer than the rest
of the request (ADR 0042's profile).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from systok.db.engine import RETRY_ATTEMPTS_MAX, RETRYABLE_PG_CODES

MEMBER_TRANSFER_CALL = (
    "SELECT outcome, transaction_id, chain_seq, fee_step FROM systok_member_transfer("
    "%(key)s::text, %(code)s::text, %(reference)s::text, %(digest)s::bytea, "
    "%(created_at_us)s::bigint, %(types)s::text[], %(owners)s::text[], %(assets)s::text[], "
    "%(amounts)s::bigint[], %(sender)s::text, %(recipient)s::text, %(day)s::integer, "
    "%(paid_only)s::boolean, %(quarter)s::text, %(override_kind)s::text, "
    "%(fee_step)s::integer)"
)
"""Every parameter cast: the driver may send an int as int2 or numeric by its size."""

HANDED_OVER = "handed_over"
"""The outcome when the call raised: nothing was written; the Python path decides."""


@dataclass(frozen=True)
class MemberTransferAnswer:
    """What ``systok_member_transfer`` answered (see its SQL for the outcomes)."""

    outcome: str
    transaction_id: int | None
    chain_seq: int | None
    fee_step: int | None


def call_member_transfer(engine: Engine, params: dict[str, object]) -> MemberTransferAnswer:
    """One autocommit call of ``systok_member_transfer``; deadlocks are retried.

    Any other error (the function's hand-over, SQLSTATE ``HAND_OVER_SQLSTATE`` of
    ``systok.ledger.sql``, a function not installed yet, a lost connection, no connection
    to be had) answers ``HANDED_OVER``: the statement rolled back or never ran, so nothing
    was written and the caller's Python path answers the request with its own checks.
    """
    errors = engine.dialect.loaded_dbapi.Error
    for attempt in range(1, RETRY_ATTEMPTS_MAX + 1):
        try:
            pooled = engine.raw_connection()
        except (SQLAlchemyError, errors):  # the pool hands out the driver's own error
            # No connection (pool timeout, server gone): the Python path meets the same
            # condition and answers it the way every request does.
            return MemberTransferAnswer(HANDED_OVER, None, None, None)
        try:
            connection = pooled.driver_connection
            assert connection is not None, "a checked-out connection has its driver's"
            connection.autocommit = True
            try:
                with connection.cursor() as cursor:
                    cursor.execute(MEMBER_TRANSFER_CALL, params)
                    row = cursor.fetchone()
            finally:
                connection.autocommit = False
        except errors as error:
            code = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
            if code is None or getattr(connection, "closed", False):
                pooled.invalidate()  # a lost connection is not returned to the pool
            if code in RETRYABLE_PG_CODES and attempt < RETRY_ATTEMPTS_MAX:
                time.sleep(0.001 * 2**attempt)
                continue
            return MemberTransferAnswer(HANDED_OVER, None, None, None)
        finally:
            pooled.close()
        assert row is not None, "the function answers one row"
        return MemberTransferAnswer(*row)
    raise AssertionError("unreachable")
