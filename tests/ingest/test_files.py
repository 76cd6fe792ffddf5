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
    assert main(["events", "import", str(EXAMPLES / "events.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "accepted 6, duplicate 0, quarantined 1" in out
    assert "unknown event type 'SectionRead'" in out
    assert main(["events", "import", str(EXAMPLES / "events.jsonl")]) == 0
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
    assert main(["members", "import", str(path)]) == 0
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
