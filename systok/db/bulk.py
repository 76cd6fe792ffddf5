"""Bulk inserts of many rows: COPY on PostgreSQL, executemany elsewhere.

psycopg's executemany sends one INSERT per row (pipelined); for the 100 000 rewards
of a large week that was 6 s of a settle, where COPY takes a fraction of a second
(bench/accrual.py). Rows go in as tuples in the order of ``columns``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session


def insert_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert ``rows`` into ``table`` in the session's transaction (nothing on no rows)."""
    if session.get_bind().dialect.name == "postgresql":
        connection: Any = session.connection().connection.driver_connection
        names = ", ".join(f'"{name}"' for name in columns)
        with (
            connection.cursor() as cursor,
            cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    batch = [dict(zip(columns, row, strict=True)) for row in rows]
    if batch:
        session.execute(insert(table), batch)
