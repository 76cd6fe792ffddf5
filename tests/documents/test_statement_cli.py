"""``systok statement``, ``systok proof`` and the statements the weekly run writes.

The golden community of ``tests.accrual.test_weekly_run`` (see test_statement.py for
the hand computation): m1 is paid 1 584 STK in 2026-W05, the week's only reward, so
the proof's path is empty and the root is the leaf sha256(0x00 || "m1:1584000000").
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest

from systok.cli.main import main
from systok.core.merkle import node_hash
from tests.accrual.test_weekly_run import setup_community

pytestmark = pytest.mark.clock


def cli_json(capsys, *argv: str):
    assert main([*argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def settled_cli(cli_on, monkeypatch, tmp_path):
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path))
    setup_community(cli_on)
    for week in ("2026-W02", "2026-W03", "2026-W04", "2026-W05"):
        assert main(["run", "week", week]) == 0
    return tmp_path


@pytest.mark.usefixtures("poppler")
def test_statement_and_proof_commands(settled_cli, capsys):
    out = settled_cli / "m1.pdf"
    assert main(["statement", "m1", "2026-W05", "--lang", "en", "-o", str(out)]) == 0
    assert "1584.000000 STK" in capsys.readouterr().out
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, check=True).stdout
    assert "1 584.000000 STK" in " ".join(text.decode().split())

    model = cli_json(capsys, "statement", "m1", "2026-W05")
    assert (model["paid"], model["points"], model["scale"]) == ("1584.000000", "1584", 6)
    assert model["comparison"]["previous_paid"] == "78.750000"

    proof = cli_json(capsys, "proof", "m1", "2026-W05")
    leaf = hashlib.sha256(b"\x00" + b"m1:1584000000").digest()
    current = leaf
    for side, sibling in ((s["side"], bytes.fromhex(s["sibling"])) for s in proof["path"]):
        current = node_hash(sibling, current) if side == "L" else node_hash(current, sibling)
    assert proof["leaf"] == leaf.hex() and proof["root"] == current.hex()
    status = cli_json(capsys, "run", "status")
    assert proof["root"] == status[0]["merkle_root"] == proof["stored_root"]


def test_statement_refusals(settled_cli, capsys):
    assert main(["statement", "m2", "2026-W05", "--json"]) == 1
    assert "m2 has no reward in 2026-W05" in capsys.readouterr().err
    assert main(["statement", "nobody", "2026-W05", "--json"]) == 66
    assert "no member with platform id 'nobody'" in capsys.readouterr().err
    assert main(["proof", "m1", "2026-W60", "--json"]) == 1
    assert "2026-W60" in capsys.readouterr().err
    assert main(["statement", "m1", "2026-W05"]) == 2
    assert "-o FILE" in capsys.readouterr().err
    assert main(["statement", "m1", "2026-W05", "--lang", "de", "--json"]) == 2


@pytest.mark.usefixtures("poppler")
def test_the_run_writes_every_members_statement(settled_cli: Path):
    folder = settled_cli / "reports" / "statements"
    written = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))
    assert written == [
        f"{week}-stk-2025-12{suffix}"
        for week in ("2026-W02", "2026-W03", "2026-W04", "2026-W05")
        for suffix in ("", "/m1.pdf")
    ], "one statement per rewarded member and week, no temporary files left"
    pdf = folder / "2026-W05-stk-2025-12" / "m1.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout
    flat = " ".join(text.decode().split())
    assert "1 584,000000 STK" in flat and "выплачено" in flat  # written once paid
    assert "ожидает выплаты" not in flat


@pytest.mark.usefixtures("poppler")
def test_statements_speak_the_members_profile_language(cli_on, monkeypatch, tmp_path, capsys):
    """m1 chose English in their notification profile: the run's statement and
    ``systok statement`` without ``--lang`` are English; ``--lang ru`` still overrides."""
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path))
    setup_community(cli_on)
    assert main(["notify", "profile", "m1", "--lang", "en"]) == 0
    for week in ("2026-W02", "2026-W03", "2026-W04", "2026-W05"):
        assert main(["run", "week", week]) == 0
    capsys.readouterr()

    def text_of(pdf: Path) -> str:
        out = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True)
        return " ".join(out.stdout.decode().split())

    written = tmp_path / "reports" / "statements" / "2026-W05-stk-2025-12" / "m1.pdf"
    assert "1 584.000000 STK" in text_of(written) and "ожидает" not in text_of(written)
    own = tmp_path / "own.pdf"
    assert main(["statement", "m1", "2026-W05", "-o", str(own)]) == 0
    assert "1 584.000000 STK" in text_of(own)
    russian = tmp_path / "ru.pdf"
    assert main(["statement", "m1", "2026-W05", "--lang", "ru", "-o", str(russian)]) == 0
    assert "1 584,000000 STK" in text_of(russian)


def test_statement_to_a_missing_folder_is_refused_cleanly(settled_cli, capsys):
    """``-o`` into a folder that does not exist: exit 73 (EX_CANTCREAT) naming the
    option and the reason, not 70; nothing is written, no partial file left. (A path
    that is a directory is a usage error, 2, before anything is read.)"""
    missing = settled_cli / "missing" / "x.pdf"
    assert main(["statement", "m1", "2026-W05", "-o", str(missing)]) == 73
    err = capsys.readouterr().err
    assert "-o/--output: cannot write" in err and "x.pdf" in err
    assert not missing.parent.exists()
    folder = settled_cli / "a-folder.pdf"
    folder.mkdir()
    assert main(["statement", "m1", "2026-W05", "-o", str(folder)]) == 2
    assert "is a directory" in capsys.readouterr().err
    assert sorted(p.name for p in settled_cli.iterdir() if p.name.startswith(".")) == []
