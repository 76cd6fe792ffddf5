"""One spelling of aliases on every path; unattributed events listed; dead aliases removed
(issue 15, point 3). Every case runs on SQLite and PostgreSQL (the ``engine`` fixtures)."""

from __future__ import annotations

import json
import unicodedata
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from systok.cli.main import main
from systok.db import migrate
from systok.db.engine import make_engine, run_transaction
from systok.ingest import repository as repo
from systok.ingest.service import Ingestor, link_alias
from systok.ingest.sources import platform
from systok.ingest.sources.discourse_webhook import discourse_alias
from systok.ingest.storable import normalized_alias
from systok.policy_files import load_policy
from tests.ingest.counters import day_count_mismatches

POLICY = load_policy("stk-2025-12")
NOW_US = 1_769_515_200_000_000  # 2026-01-27T12:00:00Z


def like(event_id: str, member: str, counterpart: str | None = None) -> str:
    record = {
        "source": "discourse",
        "id": event_id,
        "type": "ClubLikeReceived" if counterpart else "ClubPostCreated",
        "member": member,
        "occurred_at": "2026-01-27T10:00:00Z",
    }
    if counterpart:
        record["counterpart"] = counterpart
    return json.dumps(record)


def ingest(engine: Engine, *lines: str) -> None:
    run_transaction(
        engine,
        lambda s: Ingestor(s, policy=POLICY, clock=lambda: NOW_US).ingest(
            list(lines), source="discourse", live=False
        ),
    )


def owners(engine: Engine, *keys: str) -> dict[str, str | None]:
    """Each event's (by source id) member, as stored."""
    rows = run_transaction(
        engine,
        lambda s: dict(
            tuple(r) for r in s.execute(text("SELECT source_event_id, member_id FROM events"))
        ),
    )
    return {key: rows.get(key) for key in keys}


def stored_aliases(engine: Engine) -> list[tuple[str, str, str]]:
    """Sorted in Python: the order must not depend on the database's collation."""
    return run_transaction(
        engine,
        lambda s: sorted(
            tuple(r) for r in s.execute(text("SELECT source, alias, member_id FROM member_aliases"))
        ),
    )


def test_the_one_spelling():
    nfd = unicodedata.normalize("NFD", "Иван")
    assert normalized_alias("discourse", f"  {nfd}  ") == "иван"
    assert normalized_alias("discourse", "Ivan") == "ivan"
    assert normalized_alias("posthog", "D-8F2c") == "D-8F2c", "other sources keep their case"
    assert discourse_alias("Ivan") == "discourse:ivan"
    with pytest.raises(ValueError, match="empty"):
        normalized_alias("discourse", "   ")


def test_every_path_links_and_finds_one_spelling(cli_on, tmp_path):
    engine = cli_on
    # Events first: references in several spellings wait, as one alias each.
    ingest(
        engine,
        like("p1", "discourse:IVAN"),
        like("p2", "discourse:ivan", counterpart="discourse:Olga"),
        like("p3", "discourse:Petr"),
        like("p4", "discourse:" + unicodedata.normalize("NFD", "Мария")),
    )
    waiting = {(w.source, w.alias) for w in run_transaction(engine, repo.unattributed_aliases)}
    assert waiting == {
        ("discourse", "ivan"),
        ("discourse", "olga"),
        ("discourse", "petr"),
        ("discourse", "мария"),
    }

    # A members file, link_alias, and the profiles pull each link a mixed-case name.
    members = tmp_path / "members.jsonl"
    members.write_text(json.dumps({"id": "m1", "aliases": {"discourse": "Ivan"}}))
    assert main(["members", "import", str(members)]) == 0
    run_transaction(engine, lambda s: link_alias(s, "m2", "discourse", "OLGA", now=NOW_US))
    run_transaction(
        engine,
        lambda s: platform._store_page(
            s,
            policy=POLICY,
            clock=lambda: NOW_US,
            members=[
                {"id": "m3", "aliases": {"discourse": "PETR"}},
                {"id": "m4", "aliases": {"discourse": "МАРИЯ"}},
            ],
            cursor_us=None,
        ),
    )
    assert stored_aliases(engine) == [
        ("discourse", "ivan", "m1"),
        ("discourse", "olga", "m2"),
        ("discourse", "petr", "m3"),
        ("discourse", "мария", "m4"),
    ]
    assert owners(engine, "p1", "p2", "p3", "p4") == {
        "p1": "m1",
        "p2": "m1",
        "p3": "m3",
        "p4": "m4",
    }
    counterpart = run_transaction(
        engine,
        lambda s: s.execute(
            text("SELECT counterpart_member_id FROM events WHERE source_event_id = 'p2'")
        ).scalar_one(),
    )
    assert counterpart == "m2"
    assert run_transaction(engine, repo.unattributed_aliases) == []

    # Later events in any spelling find the member at once (webhook, batch, file).
    ingest(engine, like("p5", "discourse:Ivan"), like("p6", discourse_alias("IVAN")))
    assert owners(engine, "p5", "p6") == {"p5": "m1", "p6": "m1"}
    assert run_transaction(engine, day_count_mismatches) == []

    # The same alias in another spelling for another member is the same alias: refused.
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"id": "m9", "aliases": {"discourse": "iVaN"}}))
    assert main(["members", "import", str(other)]) == 3
    assert ("discourse", "ivan", "m1") in stored_aliases(engine)


def cli_json(capsys, *argv: str, code: int = 0):
    assert main([*argv, "--json"]) == code, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_unattributed_lists_waiting_aliases_and_a_dead_alias_is_removed(cli_on, capsys, tmp_path):
    engine = cli_on
    members = tmp_path / "members.jsonl"
    members.write_text(json.dumps({"id": "m1", "aliases": {"discourse": "Ivan", "posthog": "d-1"}}))
    assert main(["members", "import", str(members)]) == 0
    ingest(
        engine,
        like("p1", "discourse:ivan"),
        like("p2", "discourse:ghost"),
        like("p3", "discourse:Ghost", counterpart="discourse:ghost"),
        like("p4", "m1", counterpart="discourse:nobody"),
    )
    capsys.readouterr()
    waiting = cli_json(capsys, "events", "unattributed")
    assert [
        (w["source"], w["alias"], w["events"], w["as_actor"], w["as_counterpart"]) for w in waiting
    ] == [
        ("discourse", "ghost", 3, 2, 1),
        ("discourse", "nobody", 1, 0, 1),
    ]
    assert (
        waiting[0]["first_seen_at"] == waiting[0]["last_seen_at"] == "2026-01-27T12:00:00.000000Z"
    )

    listed = cli_json(capsys, "members", "list")
    assert [(m["id"], m["aliases"]) for m in listed] == [("m1", ["discourse:ivan", "posthog:d-1"])]
    shown = cli_json(capsys, "members", "show", "m1")
    assert shown["aliases"] == ["discourse:ivan", "posthog:d-1"] and shown["frozen_reason"] is None
    assert main(["members", "show", "m999"]) == 66
    assert "unknown member 'm999'" in capsys.readouterr().err

    ledger_before = run_transaction(
        engine, lambda s: s.execute(text("SELECT count(*) FROM transactions")).scalar_one()
    )
    removed = cli_json(capsys, "members", "alias", "remove", "discourse", "IVAN")
    assert (removed["alias"], removed["member"]) == ("ivan", "m1")
    assert cli_json(capsys, "members", "show", "m1")["aliases"] == ["posthog:d-1"]
    assert owners(engine, "p1") == {"p1": "m1"}, "attributed events stay attributed"
    ledger_after = run_transaction(
        engine, lambda s: s.execute(text("SELECT count(*) FROM transactions")).scalar_one()
    )
    assert ledger_after == ledger_before, "the ledger is not touched"
    ingest(engine, like("p5", "discourse:Ivan"))
    assert owners(engine, "p5") == {"p5": None}, "a later event waits for the alias again"
    assert ("discourse", "ivan") in {
        (w["source"], w["alias"]) for w in cli_json(capsys, "events", "unattributed")
    }
    assert run_transaction(engine, day_count_mismatches) == []
    assert main(["members", "alias", "remove", "discourse", "ivan"]) == 66
    assert "no member has the alias discourse:ivan" in capsys.readouterr().err


# --- migration 0012: stored mixed-case names ------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def at_0011(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh database migrated to 0011 only (before the one spelling)."""
    if request.param == "sqlite":
        db = make_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
        migrate.upgrade(db, "0011")
        yield db
        db.dispose()
        return
    server = make_url(request.getfixturevalue("postgres_server_url"))
    admin = make_engine(
        server.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    name = f"systok_m12_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    db = make_engine(server.set(database=name).render_as_string(hide_password=False))
    try:
        migrate.upgrade(db, "0011")
        yield db
    finally:
        db.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_migration_0012_lowercases_stored_names_and_attributes_waiting_events(at_0011):
    engine = at_0011
    event_sql = text(
        "INSERT INTO events (source, source_event_id, event_type, member_id, actor_source, "
        "actor_alias, counterpart_member_id, counterpart_source, counterpart_alias, "
        "occurred_at_us, occurred_day, received_at_us, payload) VALUES "
        "('discourse', :id, :type, :member, 'discourse', :actor, NULL, :csource, :calias, "
        ":at, :day, :at, '{}')"
    )
    at, day = NOW_US, NOW_US // 86_400_000_000
    with engine.begin() as c:
        for member in ("m1", "m2", "m3"):
            c.execute(text("INSERT INTO members VALUES (:m, 0)"), {"m": member})
        c.execute(
            text("INSERT INTO member_aliases VALUES (:s, :a, :m)"),
            [
                {"s": "discourse", "a": "Ivan", "m": "m1"},
                {"s": "discourse", "a": "PETR", "m": "m2"},
                {"s": "discourse", "a": "petr", "m": "m2"},
                {"s": "discourse", "a": "Olga", "m": "m2"},
                {"s": "discourse", "a": "olga", "m": "m3"},
                {"s": "posthog", "a": "D-1", "m": "m1"},
            ],
        )
        rows = [
            ("e1", "ClubPostCreated", None, "ivan", None, None),  # webhook spelling, waiting
            ("e2", "ClubPostCreated", None, "IVAN", None, None),
            ("e3", "ClubLikeReceived", None, "Ghost", "discourse", "Ivan"),
            ("e4", "ClubPostCreated", "m1", "Ivan", None, None),  # attributed already
        ]
        for key, kind, member, actor, csource, calias in rows:
            c.execute(
                event_sql,
                {
                    "id": key,
                    "type": kind,
                    "member": member,
                    "actor": actor,
                    "csource": csource,
                    "calias": calias,
                    "at": at,
                    "day": day,
                },
            )
        c.execute(
            text("INSERT INTO event_day_counts VALUES ('m1', :day, 'ClubPostCreated', 1)"),
            {"day": day},
        )

    migrate.upgrade(engine)

    assert stored_aliases(engine) == [
        ("discourse", "Olga", "m2"),  # clashes with m3's olga: left for an operator
        ("discourse", "ivan", "m1"),
        ("discourse", "olga", "m3"),
        ("discourse", "petr", "m2"),
        ("posthog", "D-1", "m1"),  # other sources keep their case
    ]
    events = run_transaction(
        engine,
        lambda s: {
            r[0]: tuple(r[1:])
            for r in s.execute(
                text(
                    "SELECT source_event_id, member_id, actor_alias, counterpart_member_id, "
                    "counterpart_alias FROM events"
                )
            )
        },
    )
    assert events == {
        "e1": ("m1", "ivan", None, None),
        "e2": ("m1", "ivan", None, None),
        "e3": (None, "ghost", "m1", "ivan"),
        "e4": ("m1", "ivan", None, None),
    }
    assert run_transaction(engine, day_count_mismatches) == []
    counts = run_transaction(
        engine,
        lambda s: [
            tuple(r)
            for r in s.execute(text("SELECT member_id, event_type, count FROM event_day_counts"))
        ],
    )
    assert counts == [("m1", "ClubPostCreated", 3)]

    migrate.downgrade(engine, "0011")
    migrate.upgrade(engine)
    assert run_transaction(engine, day_count_mismatches) == []
