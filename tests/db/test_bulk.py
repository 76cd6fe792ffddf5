"""``insert_text_rows`` builds PostgreSQL's COPY text itself: the text must survive the
characters COPY escapes, and a value it cannot write must be refused, not mangled."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from systok.db.bulk import insert_text_rows
from systok.db.kit import members_t


class Name(str):
    """A str subclass (as a StrEnum value is): written as its text."""


AWKWARD = [
    ("tab\there", 1),
    ("back\\slash", 2),
    ("new\nline\rreturn", 3),
    ("\\N", 4),
    ("ünïcødé ☃", 5),
    (Name("subclass"), 2**62),
]


def test_insert_text_rows_round_trips_what_copy_escapes(engine: Engine) -> None:
    with Session(engine) as session:
        insert_text_rows(session, members_t, ("id", "created_at_us"), AWKWARD)
        session.commit()
        stored = sorted(session.execute(select(members_t.c.id, members_t.c.created_at_us)))
    assert stored == sorted((str(member), at) for member, at in AWKWARD)


@pytest.mark.parametrize("value", [True, 1.5, b"bytes"])
def test_insert_text_rows_refuses_other_types(pg_engine: Engine, value: object) -> None:
    with Session(pg_engine) as session, pytest.raises(TypeError):
        insert_text_rows(session, members_t, ("id", "created_at_us"), [("m1", value)])  # type: ignore[list-item]
