"""``systok demo``: the weekly run on a synthetic community, end to end, at a small size."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from systok.cli.main import main
from systok.config import get_settings

ROOT_ROW = re.compile(r"│ \d{4}-W\d{2} │ [0-9a-f]{64} │")
"""A row of the published roots (not a top earner whose points happen to start with 20)."""


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("SYSTOK_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("SYSTOK_DATABASE_URL", raising=False)
    monkeypatch.delenv("SYSTOK_POLICY", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_demo_runs_every_week_and_verifies(capsys, isolated):
    assert (
        main(["demo", "--members", "40", "--free-users", "200", "--weeks", "3", "--seed", "7"]) == 0
    )
    out = capsys.readouterr().out
    assert "people imported: 240" in out
    assert "quarantined with a reason" in out
    assert "funds after the weeks" in out and "pool:rewards@STK" in out
    assert "top earners" in out and "published roots" in out
    assert "ledger audit ok" in out and "every week verified by replay" in out
    assert len(list((isolated / "reports").glob("rewards-*.csv"))) == 3
    # The same seed gives the same community and the same roots.
    roots = [line for line in out.splitlines() if ROOT_ROW.match(line)]
    assert (
        main(["demo", "--members", "40", "--free-users", "200", "--weeks", "3", "--seed", "7"]) == 0
    )
    again = [line for line in capsys.readouterr().out.splitlines() if ROOT_ROW.match(line)]
    assert roots == again and len(roots) == 3
