"""``systok run``, ``report csv`` and ``explain`` through the real entry point."""

from __future__ import annotations

from systok.cli.main import main
from tests.accrual.test_weekly_run import setup_community
from tests.ledger.test_audit import tamper


def test_run_report_explain(cli_on, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path))
    setup_community(cli_on)

    assert main(["run", "week", "2026-W05", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "dry run of 2026-W05" in out and "1 members would be rewarded" in out
    assert "1440.000000" in out  # no earlier runs yet: streak 1, 960 × 1.5 × 1.00
    assert main(["run", "status"]) == 0
    assert "2026-W05" not in capsys.readouterr().out, "a dry run leaves no run behind"

    for week in ("2026-W02", "2026-W03", "2026-W04", "2026-W05"):
        assert main(["run", "week", week]) == 0
    out = capsys.readouterr().out
    assert "stage done" in out and "Merkle root" in out

    assert main(["report", "csv", "2026-W05"]) == 0
    assert capsys.readouterr().out == "date,user_id,points,amount\n2026-02-01,m1,1584,1584.000000\n"

    assert main(["explain", "m1", "2026-W05"]) == 0
    out = capsys.readouterr().out
    assert "1584 points → 1584.000000 STK" in out
    assert "ClubPostCreated" in out and "consistency:" in out

    tamper(
        cli_on,
        "UPDATE accrual_rewards SET units = units + 1 WHERE member_id = 'm1' "
        "AND run_id = (SELECT id FROM accrual_runs WHERE week = '2026-W05')",
    )
    assert main(["explain", "m1", "2026-W05"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # Rich wraps long lines
    assert "warning: re-scoring gives 1584 points, 1584.000000 STK, not what was" in out

    assert main(["explain", "m2", "2026-W05"]) == 1
    assert "earned nothing" in capsys.readouterr().err
    assert main(["run", "week", "2099-W01"]) == 1
    assert "has not closed yet" in capsys.readouterr().err
    assert main(["run", "resume"]) == 0
    assert "nothing to resume" in capsys.readouterr().out
