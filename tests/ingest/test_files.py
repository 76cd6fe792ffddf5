"""``systok members import`` and ``systok events import`` through the real entry point."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text

from systok.cli.main import main
from systok.db.engine import run_transaction

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def test_example_files_import_and_reimport_as_duplicates(cli_on, capsys):
    assert main(["members", "import", str(EXAMPLES / "members.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "accepted 3, duplicate 0, quarantined 0" in out
    assert main(["events", "import", str(EXAMPLES / "events.jsonl")]) == 3, "a line quarantined"
    out = capsys.readouterr().out
    assert "accepted 6, duplicate 0, quarantined 1" in out
    assert "unknown event type 'SectionRead'" in out
    assert main(["events", "import", str(EXAMPLES / "events.jsonl")]) == 3
    assert "accepted 0, duplicate 6, quarantined 1" in capsys.readouterr().out
    assert main(["members", "import", str(EXAMPLES / "members.jsonl")]) == 0
    assert "accepted 0, duplicate 3, quarantined 0" in capsys.readouterr().out

    attributed = run_transaction(
        cli_on,
        lambda s: s.execute(
            text("SELECT count(*) FROM events WHERE member_id IS NULL")
        ).scalar_one(),
    )
    assert attributed == 0, "every alias in the example is linked"
    capsys.readouterr()
    assert main(["events", "quarantine", "list", "--json"]) == 0
    quarantined = json.loads(capsys.readouterr().out)
    assert quarantined and all(q["source"] == "posthog" for q in quarantined)
    assert all("unknown event type 'SectionRead'" in q["reason"] for q in quarantined)


def test_member_history_is_effective_dated_and_a_later_line_replaces_it(cli_on, tmp_path, capsys):
    path = tmp_path / "members.jsonl"
    lines = [
        {
            "id": "m042",
            "aliases": {"discourse": "ivan", "posthog": "d-7f3"},
            "qualification": [
                {"level": 2, "from": "2025-01-01"},
                {"level": 3, "from": "2025-03-10"},
            ],
            "membership": [
                {"from": "2025-01-01", "to": "2025-04-01"},
                {"from": "2025-05-01", "to": None},
            ],
        },
        {
            "id": "m042",
            "qualification": [{"level": 4, "from": "2025-01-01"}],
            "membership": [{"from": "2025-01-01", "to": None}],
        },
        {"id": "m043", "membership": [{"from": "2025-05-01", "to": "2025-04-01"}]},
        {"id": "m044", "aliases": {"discourse": "ivan"}},
        {"id": ""},
        "{oops",
    ]
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    )
    assert main(["members", "import", str(path)]) == 3, "four lines quarantined"
    out = capsys.readouterr().out
    assert "6 lines — accepted 2, duplicate 0, quarantined 4" in out
    assert "line 3: history: membership[0]: 'to' must be after 'from'" in out
    assert "line 4: aliases.discourse: alias discourse:ivan already belongs to member 'm042'" in out
    assert "line 5: id:" in out and "line 6: malformed JSON" in out
    history = run_transaction(
        cli_on,
        lambda s: (
            [
                tuple(r)
                for r in s.execute(
                    text(
                        "SELECT valid_from_day, level FROM member_qualifications WHERE member_id = 'm042'"
                    )
                )
            ],
            [
                tuple(r)
                for r in s.execute(
                    text(
                        "SELECT starts_day, ends_day FROM member_memberships WHERE member_id = 'm042'"
                    )
                )
            ],
            s.execute(text("SELECT count(*) FROM members WHERE id = 'm044'")).scalar_one(),
        ),
    )
    assert history == ([(20089, 4)], [(20089, None)], 0)


def test_missing_file_is_one_clear_line(cli_on, capsys):
    assert main(["events", "import", "/nonexistent.jsonl"]) == 66
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err


def test_a_past_day_sees_the_profile_in_force_then(cli_on, tmp_path, capsys):
    from systok.core.times import parse_date_day
    from systok.ingest.repository import profile_on

    path = tmp_path / "m.jsonl"
    path.write_text(
        json.dumps(
            {
                "id": "m1",
                "qualification": [
                    {"level": 1, "from": "2025-01-01"},
                    {"level": 3, "from": "2025-03-10"},
                ],
                "membership": [
                    {"from": "2025-01-01", "to": "2025-04-01"},
                    {"from": "2025-05-01", "to": None},
                ],
            }
        )
    )
    assert main(["members", "import", str(path)]) == 0
    on = {
        d: run_transaction(cli_on, lambda s, d=d: profile_on(s, "m1", parse_date_day(d)))
        for d in (
            "2024-12-31",
            "2025-03-09",
            "2025-03-10",
            "2025-03-31",
            "2025-04-01",
            "2025-05-01",
            "2030-01-01",
        )
    }
    assert on == {
        "2024-12-31": (None, False),
        "2025-03-09": (1, True),
        "2025-03-10": (3, True),
        "2025-03-31": (3, True),
        "2025-04-01": (3, False),
        "2025-05-01": (3, True),
        "2030-01-01": (3, True),
    }


def test_a_new_member_without_history_is_accepted_not_a_duplicate(cli_on, tmp_path, capsys):
    path = tmp_path / "bare.jsonl"
    path.write_text(json.dumps({"id": "bare"}))
    assert main(["members", "import", str(path)]) == 0
    assert "accepted 1, duplicate 0" in capsys.readouterr().out
    assert main(["members", "import", str(path)]) == 0
    assert "accepted 0, duplicate 1" in capsys.readouterr().out


def test_member_lines_with_unstorable_or_lookalike_names_are_refused_or_normalised(
    cli_on, tmp_path, capsys
):
    """NUL ids and long alias sources were database errors on PostgreSQL (SQLite stored
    them); a bidi control is refused; an NFD alias is stored in NFC, like event members."""
    import unicodedata

    from sqlalchemy import text

    from systok.ingest.files import import_member_lines

    nfd = unicodedata.normalize("NFD", "zoë")
    lines = [
        json.dumps({"id": "m\u0000x"}),
        json.dumps({"id": "m1", "aliases": {"s" * 40: "name"}}),
        json.dumps({"id": "m2", "aliases": {"posthog": "ev\u202eil"}}),
        json.dumps({"id": "m3", "aliases": {"discourse": nfd}}),
        json.dumps({"id": "m4", "aliases": {"posthog": 5, "x" * 80: 7}}),
        '{"id": "m5", "n": ' + "9" * 5000 + "}",
    ]
    report = import_member_lines(cli_on, enumerate(lines, start=1))
    assert (report.accepted, report.quarantined) == (1, 5)
    reasons = {number: (field, reason) for number, field, reason in report.problems}
    assert reasons[1][0] == "id" and "NUL (U+0000)" in reasons[1][1]
    assert reasons[2][0] == "aliases" and "longer than 32" in reasons[2][1]
    assert "U+202E" in reasons[3][1]
    assert "digits" in reasons[6][1]
    with cli_on.connect() as connection:
        alias = connection.execute(
            text("SELECT alias FROM member_aliases WHERE member_id = 'm3'")
        ).scalar_one()
        kept = connection.execute(text("SELECT COUNT(*) FROM quarantine")).scalar_one()
    assert alias == unicodedata.normalize("NFC", "zoë")
    assert kept == 5
