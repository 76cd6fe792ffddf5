"""``systok policy``: check, diff and show, through the real entry point."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from systok.cli.main import main
from systok.config import get_settings
from systok.policy_files import load_policy

POLICIES = Path(__file__).resolve().parents[2] / "policies"
DEFAULT_FILE = POLICIES / "stk-2025-12.toml"
VARIANT_FILE = POLICIES / "stk-2025-04.toml"


@pytest.fixture(autouse=True)
def shipped_policies(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Use the repository's policies, unpinned, and a wide terminal for Rich tables."""
    monkeypatch.setenv("SYSTOK_POLICY_DIR", str(POLICIES))
    monkeypatch.delenv("SYSTOK_POLICY", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def broken_copy(tmp_path: Path) -> Path:
    text = DEFAULT_FILE.read_text(encoding="utf-8")
    edits = [
        ("share_bps = 500    # Liquidity", "share_bps = 0    # Liquidity"),
        ("weight = 10       #", "weight = -10       #"),
        ("[events.PageView]", "[events.PageVisit]"),
        ('coefficient = "2.2"', 'coefficient = "1.7"'),
        ("min_counted_events = 1", "min_counted_events = 1\nmax_events = 3"),
    ]
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "stk-2025-12.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_check_accepts_the_shipped_policies(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["policy", "check", str(DEFAULT_FILE), str(VARIANT_FILE)])
    out = capsys.readouterr().out
    assert code == 0
    assert f"ok: {DEFAULT_FILE} stk-2025-12 " in out
    assert f"ok: {VARIANT_FILE} stk-2025-04 " in out


def test_check_without_files_checks_the_policy_folder(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "check"]) == 0
    assert capsys.readouterr().out.count("ok: ") == 2


def test_check_prints_every_problem_and_exits_65(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = broken_copy(tmp_path)
    code = main(["policy", "check", str(DEFAULT_FILE), str(broken)])
    out = capsys.readouterr().out
    assert code == 65
    assert "ok: " in out  # the good file is still reported
    lines = [line for line in out.splitlines() if line.startswith(f"{broken}: ")]
    assert len(lines) == 5, out
    for key_path in (
        "funds.split: shares sum to 9500 bps",
        "events.ClubLikeGiven.weight: must be ≥ 0",
        "events.PageVisit: unknown event type",
        "scoring.levels.5.coefficient: must be greater than",
        "scoring.active_week.max_events: unknown key",
    ):
        assert any(line.startswith(f"{broken}: {key_path}") for line in lines), key_path


def test_check_reports_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["policy", "check", str(tmp_path / "nope.toml")])
    assert code == 66
    assert "does not exist" in capsys.readouterr().out


def test_diff_lists_known_differences(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "diff", "stk-2025-04", "stk-2025-12"]) == 0
    out = capsys.readouterr().out
    assert "scoring.model: rank_ladder → weighted_daily_caps" in out
    assert "emission.kind: quarterly_decay → halving" in out
    assert "emission.yearly_amount: (absent) → 1000000000" in out
    assert "events.ExerciseSave.weight" not in out


def test_diff_of_a_policy_with_itself(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "diff", "stk-2025-12", str(DEFAULT_FILE)]) == 0
    assert "no differences" in capsys.readouterr().out


def test_show_default_and_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "show"]) == 0
    out = capsys.readouterr().out
    for expected in (
        "stk-2025-12",
        "ClubLikeReceived",
        "Практик",
        "1.10",
        "course_basic",
        "2739726 STK",
        "velocity",
        "Transfer fee",
    ):
        assert expected in out, expected
    assert main(["policy", "show", "stk-2025-04"]) == 0
    out = capsys.readouterr().out
    assert "rank_ladder" in out and "21000000 STK" in out


def test_unknown_policy_name_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "show", "stk-1999-01"]) == 66
    assert "no policy 'stk-1999-01'" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["check", "show", "diff"])
def test_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", command, "--help"]) == 0
    assert "Usage" in capsys.readouterr().out


def test_console_script_exit_code(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "systok"
    if not script.exists():
        pytest.skip("the systok console script is not installed in this environment")
    ok = subprocess.run(
        [str(script), "policy", "check", str(DEFAULT_FILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    refused = subprocess.run(
        [str(script), "policy", "check", str(broken_copy(tmp_path))],
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode == 65
    assert "funds.split: shares sum to 9500 bps" in refused.stdout


def test_show_marks_declared_sections(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "show", "stk-2025-04"]) == 0
    out = capsys.readouterr().out
    assert "Declared, not enforced yet" in out
    assert "eligibility.membership_period_months" in out  # ADR 0036
    assert "funds.split.startup.vesting_days" not in out  # the vest stage (ADR 0033)
    assert "backing.reserve_assets" not in out  # held_as (ADR 0036)
    assert "Ingestion: future skew" in out  # enforced: no mark on its line
    assert "Ingestion — declared" not in out


def test_show_json_lists_declared_sections(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "show", "--json", "stk-2025-04"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["version"] == "stk-2025-04"
    assert set(document["declared"]) == {
        "eligibility.membership_period_months",
    }  # slashing (ADR 0027), health (ADR 0028), the sale (ADR 0029), stabilisation
    # (ADR 0030), the quarterly report (ADR 0031), fund vesting (ADR 0033), reserve assets
    # and the schedule (ADR 0036) are enforced
    assert document["content_hash"] == load_policy("stk-2025-04").content_hash
    assert document["policy"]["transfer_fee"]["rate_bps"] == 50
