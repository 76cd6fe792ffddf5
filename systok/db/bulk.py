"""Bulk inserts of many rows: COPY on PostgreSQL, executemany elsewhere.

psycopg's executemany sends one INSERT per row (pipelined); for the 100 000 rewards
of a large week that was 6 s of a settle, where COPY takes a fraction of a second
(bench/accrual.py). Rows go in as tuples in the order of ``columns``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from operator import methodcaller
from typing import Any

from sqlalchemy import Select, Table, insert
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


def copy_select_into(
    session: Session, statement: Select[Any], table: Table, columns: Sequence[str]
) -> None:
    """PostgreSQL: ``INSERT INTO table (columns) <statement>``, as COPY out and COPY in.

    The rows go through the client as COPY's text, never as Python objects: for an
    aggregate of millions of rows into a hundred thousand this keeps the SELECT's
    parallel workers (PostgreSQL never runs an INSERT … SELECT's query in parallel,
    and it took twice as long) without a row-by-row fetch and re-send. The statement
    is rendered with its values inline, since COPY takes no parameters: only values
    this code chose (numbers, the policy's names) may be bound in it.
    """
    dialect = session.get_bind().dialect
    query = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    if "%" in query:  # the driver's paramstyle would have doubled it: refuse, not guess
        raise ValueError("copy_select_into: a statement with % cannot be rendered inline")
    connection: Any = session.connection().connection.driver_connection
    names = ", ".join(f'"{name}"' for name in columns)
    with connection.cursor() as cursor:
        with cursor.copy(f"COPY ({query}) TO STDOUT") as source:
            data = b"".join(bytes(block) for block in source)
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as target:
            target.write(data)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_COPY_TEXT: dict[type, Callable[[Any], str]] = {
    str: methodcaller("translate", _COPY_ESCAPES),
    int: int.__repr__,
    type(None): "\\N".format,
}
"""COPY text of a value by its exact type, each a C-level call (no Python frame per
value): text escaped, integers in decimal, None as ``\\N``."""


def _copy_field(value: object) -> str:
    """The COPY text of a value of another type: a subclass of str or int (not bool)."""
    if isinstance(value, str):
        return str(value).translate(_COPY_ESCAPES)
    if isinstance(value, int) and not isinstance(value, bool):
        return int.__repr__(int(value))
    raise TypeError(f"insert_text_rows takes str, int or None, got {type(value).__name__}")


def _copy_line(row: Sequence[Any]) -> str:
    try:
        return "\t".join([_COPY_TEXT[value.__class__](value) for value in row]) + "\n"
    except KeyError:
        return "\t".join([_copy_field(value) for value in row]) + "\n"


def insert_text_rows(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[str | int | None]],
) -> None:
    """``insert_rows`` for rows of only text, integers and NULLs: on PostgreSQL the
    COPY text is built here, a line per row, and sent in one write, rather than
    adapted value by value by ``write_row`` (a third of storing 100 000 rewards)."""
    if session.get_bind().dialect.name != "postgresql":
        insert_rows(session, table, columns, rows)
        return
    lines = [_copy_line(row) for row in rows]
    if not lines:
        return
    connection: Any = session.connection().connection.driver_connection
    names = ", ".join(f'"{name}"' for name in columns)
    with (
        connection.cursor() as cursor,
        cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy,
    ):
        copy.write("".join(lines))
