"""What an operator hits running SysTok from cron (issue 15, point 9), through ``main``.

Every assertion reads ``--json`` or exit codes, never table art (except the one test that
is about the table's width in a pipe, and checks only that a long cell arrives whole).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from systok.cli.main import main
from systok.db.engine import run_transaction
from systok.ingest import repository as ingest_repo
from systok.ingest.service import Ingestor
from tests.accrual.test_weekly_run import POLICY

ROOT = Path(__file__).resolve().parents[2]
DAY = 20_089  # 2025-01-01: levels and memberships from then on


def cli_json(capsys, *argv: str, code: int = 0):
    assert main([*argv, "--json"]) == code, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def event(member: str, kind: str, n: int, day: str = "2026-01-27") -> str:
    return json.dumps(
        {
            "source": "t",
            "id": f"{member}-{kind}-{n}",
            "type": kind,
            "member": member,
            "occurred_at": f"{day}T{9 + n:02d}:00:00Z",
        }
    )


def setup_week(engine) -> None:
    """m1 a paying member (level 3) with learning, a vesting review and page views; m2 a
    free user with learning (scored, paid 0); m3 known, with no events."""

    def work(session):
        for member in ("m1", "m2", "m3"):
            ingest_repo.ensure_member(session, member, 0)
        ingest_repo.replace_member_history(session, "m1", [(DAY, 3)], [(DAY, None)])
        ingest_repo.replace_member_history(session, "m2", [(DAY, 1)], [])
        lines = [event("m1", "SectionCompleted", n) for n in range(2)]
        lines += [event("m1", "PeerReviewCompleted", 0), event("m1", "PageView", 0)]
        lines += [event("m2", "SectionCompleted", n) for n in range(3)]
        Ingestor(session, policy=POLICY).ingest(lines, source="t", live=False)

    run_transaction(engine, work)


@pytest.mark.clock
def test_run_explain_and_verify_tell_an_operator_the_truth(cli_on, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path))
    setup_week(cli_on)

    summary = cli_json(capsys, "run", "week", "2026-W05")
    assert summary["stage"] == "done"
    assert (summary["members"], summary["members_scored_zero"]) == (1, 1), (
        "m2 (free) scored 0 and is not counted as rewarded"
    )

    explained = cli_json(capsys, "explain", "m1", "2026-W05")
    assert len(explained["levels"]) == 7
    assert {(lv["level"], lv["multiplier"], lv["kind"]) for lv in explained["levels"]} == {
        (3, "1.5", "qualification_coefficient")
    }
    [grant] = explained["vesting"]
    assert grant["event_type"] == "PeerReviewCompleted" and grant["status"] == "held"
    assert grant["units"] == POLICY.events["PeerReviewCompleted"].weight * 15 // 10 * 10**6
    assert grant["unlock_at"] > "2026-02-01"
    lines = {
        line["event_type"]: line for day in explained["breakdown"]["days"] for line in day["lines"]
    }
    assert lines["PageView"]["ineligible_label"] == "earns nothing by policy"
    assert lines["SectionCompleted"]["ineligible_label"] is None

    free = cli_json(capsys, "explain", "m2", "2026-W05")
    [line] = [line for day in free["breakdown"]["days"] for line in day["lines"]]
    assert line["ineligible_label"] == "no paid membership that day"
    assert free["vesting"] == []

    assert main(["explain", "m999", "2026-W05"]) == 1
    err = capsys.readouterr().err
    assert "unknown member 'm999'" in err and "earned nothing" not in err
    assert main(["explain", "m3", "2026-W05"]) == 1, "a known member without events"
    assert "earned nothing" in capsys.readouterr().err

    assert cli_json(capsys, "verify", "week", "2026-W05") == {"week": "2026-W05", "verified": True}
    assert main(["verify", "week", "2026-W04"]) == 66
    err = capsys.readouterr().err
    assert "no run of 2026-W04 to verify" in err and "audit failed" not in err


def test_a_quarantine_entry_is_dismissed_kept_counted_and_never_retried(cli_on, capsys, tmp_path):
    path = tmp_path / "events.jsonl"
    good = {"source": "t", "id": "1", "type": "SectionCompleted", "member": "m1"}
    path.write_text(
        "\n".join(
            [
                json.dumps(good | {"occurred_at": "2026-01-27T09:00:00Z"}),
                json.dumps(good | {"id": "2", "type": "SectionRead", "occurred_at": "x"}),
                "{not json",
            ]
        )
    )
    run_transaction(cli_on, lambda s: ingest_repo.ensure_member(s, "m1", 0))
    report = cli_json(capsys, "events", "import", str(path), code=3)
    assert (report["received"], report["accepted"], report["quarantined"]) == (3, 1, 2)
    assert [p["line"] for p in report["problems"]] == [2, 3]

    entries = cli_json(capsys, "events", "quarantine", "list")
    first, second = (e["id"] for e in entries)
    done = cli_json(
        capsys, "events", "quarantine", "dismiss", str(first), "--reason", "a retired test feed"
    )
    assert (done["id"], done["status"], done["dismissed_reason"]) == (
        first,
        "dismissed",
        "a retired test feed",
    )
    assert [e["id"] for e in cli_json(capsys, "events", "quarantine", "list")] == [second]
    [kept] = cli_json(capsys, "events", "quarantine", "list", "--dismissed")
    assert (kept["id"], kept["status"], kept["dismissed_reason"]) == (
        first,
        "dismissed",
        "a retired test feed",
    )
    assert main(["events", "quarantine", "retry"]) == 0
    capsys.readouterr()
    counts = cli_json(capsys, "events", "quarantine", "counts")
    assert (counts["open"], counts["dismissed"]) == (1, 1), "retry leaves a dismissed entry alone"

    assert main(["events", "quarantine", "dismiss", str(first), "--reason", "again"]) == 1
    assert f"quarantine entry {first} is dismissed" in capsys.readouterr().err
    assert main(["events", "quarantine", "dismiss", "999999", "--reason", "x"]) == 66
    assert "no quarantine entry has id 999999" in capsys.readouterr().err
    assert main(["events", "quarantine", "dismiss", str(second), "--reason", "  "]) == 1
    assert "--reason" in capsys.readouterr().err
    assert cli_json(capsys, "events", "quarantine", "counts")["open"] == 1, (
        "refusals change nothing"
    )

    clean = tmp_path / "clean.jsonl"
    clean.write_text(json.dumps(good | {"id": "3", "occurred_at": "2026-01-27T10:00:00Z"}))
    assert cli_json(capsys, "events", "import", str(clean))["accepted"] == 1, "exit 0 when clean"


def test_tables_are_not_cut_at_80_columns_in_a_pipe(cli_on, tmp_path):
    """Cron and pipes: stdout is not a terminal and COLUMNS is unset; a long cell arrives
    whole on one line instead of being cut or wrapped at 80 columns."""
    long_type = "Section" + "X" * 40 + "Completed"
    path = tmp_path / "events.jsonl"
    path.write_text(
        json.dumps(
            {
                "source": "t",
                "id": "long-reason",
                "type": long_type,
                "member": "m1",
                "occurred_at": "2026-01-27T09:00:00Z",
            }
        )
    )
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    command = [sys.executable, "-m", "systok.cli"]
    imported = subprocess.run(
        [*command, "events", "import", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.returncode == 3, imported.stderr
    listed = subprocess.run(
        [*command, "events", "quarantine", "list"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert f"unknown event type '{long_type}'" in listed.stdout
    assert max(len(line) for line in listed.stdout.splitlines()) > 80


def _exit_codes_in_source() -> set[int]:
    """Every exit code the code base declares: ``exit_code = N`` and ``*_EXIT_CODE = N``,
    the internal error's 70 (systok/cli/main.py) and Click's usage error 2."""
    codes = {0, 2, 70}
    for path in (ROOT / "systok").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        codes.update(int(n) for n in re.findall(r"exit_code\s*=\s*(\d+)", text))
        codes.update(int(n) for n in re.findall(r"_EXIT_CODE\s*=\s*(\d+)", text))
    return codes


def test_docs_list_every_exit_code():
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    paragraph = text.split("Exit codes", 1)[1].split("\n\n", 1)[0].split(":", 1)[1]
    listed = {int(n) for n in re.findall(r"(?<![\w.-])(\d+)(?= )", paragraph)}
    missing = _exit_codes_in_source() - listed
    assert not missing, f"docs/cli.md's exit codes miss {sorted(missing)}"
    assert {3, 64, 66, 69} <= listed


DESIGN_FILES = re.compile(
    r"\.\./shared|shared/design|SPEC\.md|INTEGRATIONS|MEASUREMENTS|ARCHITECTURE\.md|seeds/"
)


def test_docs_cite_only_files_in_the_repository():
    cited = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if DESIGN_FILES.search(line):
                cited.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert cited == [], "\n".join(cited)
