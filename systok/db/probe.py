"""What the database server itself says, for ``systok doctor``'s checks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, text


def database_now(engine: Engine) -> datetime:
    """The server's ``now()``: doctor compares it with this machine's clock."""
    with engine.connect() as connection:
        now = connection.execute(text("SELECT now()")).scalar_one()
    assert isinstance(now, datetime)
    return now
