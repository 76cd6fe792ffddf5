"""The systemd units and cron lines in deploy/ are valid and run real commands.

``systemd-analyze verify`` parses each unit as systemd would (the ExecStart paths are
pointed at this checkout's console script, which the verifier requires to exist). Every
command the units and the crontab run must be a command this SysTok has: its ``--help``
answers 0. The Monday timer must fire after the policy's late-event grace window.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from systok.cli.main import main
from systok.core.weeks import IsoWeek
from systok.policy_files import policy_for_week

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
INSTALLED = "/opt/systok/venv/bin/systok"
UNITS = sorted(p.name for p in DEPLOY.iterdir() if p.suffix in (".service", ".timer"))


def systok_commands() -> list[list[str]]:
    """Each ``systok …`` command line in the units and the crontab, as argv after systok."""
    found = []
    for path in DEPLOY.iterdir():
        for line in path.read_text().splitlines():
            if line.startswith("ExecStart="):
                argv = shlex.split(line.removeprefix("ExecStart="))
                assert argv[0] == INSTALLED, line
                found.append(argv[1:])
            elif path.name == "crontab.example" and "$SYSTOK " in line:
                found += [shlex.split(part) for part in line.split("$SYSTOK ")[1:]]
    return [[arg for arg in argv if arg != "&&"] for argv in found]


def test_there_are_the_three_schedules_and_the_api():
    assert {
        "systok-api.service",
        "systok-week.service",
        "systok-week.timer",
        "systok-pull.service",
        "systok-pull.timer",
        "systok-daily.service",
        "systok-daily.timer",
    } <= set(UNITS)


@pytest.mark.skipif(
    shutil.which("systemd-analyze") is None,
    reason="systemd-analyze is not installed (apt-get install systemd; .ci/run does)",
)
def test_systemd_analyze_verify_accepts_every_unit(tmp_path):
    console_script = Path(sys.executable).with_name("systok")
    assert console_script.exists()
    for name in UNITS:
        text = (DEPLOY / name).read_text().replace(INSTALLED, str(console_script))
        (tmp_path / name).write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / name) for name in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_scheduled_command_exists(capsys):
    commands = systok_commands()
    assert ["run", "week"] in commands and ["ledger", "expire-holds"] in commands
    assert ["ingest", "discourse", "--since", "2d"] in commands
    assert ["vesting", "release"] in commands
    for argv in commands:
        assert main([*argv, "--help"]) == 0, f"systok {' '.join(argv)}: not a command"
    capsys.readouterr()


def test_the_monday_timer_fires_after_the_grace_window():
    timer = (DEPLOY / "systok-week.timer").read_text()
    day, _, at, zone = re.search(r"^OnCalendar=(.+)$", timer, re.M).group(1).split()
    assert (day, zone) == ("Mon", "UTC")
    hour, minute, _ = (int(part) for part in at.split(":"))
    grace = policy_for_week(IsoWeek(2026, 53)).ingestion.weekly_grace_hours
    assert hour * 60 + minute >= grace * 60
    cron = (DEPLOY / "crontab.example").read_text()
    minute, hour = re.search(r"^(\d+) (\d+) \* \* 1 ", cron, re.M).groups()
    assert int(hour) * 60 + int(minute) >= grace * 60
