"""The ends of the quarter range through the CLI (issue 13): 9998-Q4 used to exit 70
(its close built the quarter 9999-Q1); every command now answers it as still open."""

from __future__ import annotations

import pytest
import time_machine

from systok.cli.main import main
from tests.quarter.test_run import every_table
from tests.quarter.world import NOW, build


@pytest.mark.parametrize(
    ("argv", "code", "says"),
    [
        (["run", "quarter", "9998-Q4"], 1, "9998-Q4 is still open: it closes at 9999-01-01"),
        (["report", "quarterly", "9998-Q4"], 1, "quarter: 9998-Q4 is still open"),
        (["health", "--quarter", "9998-Q4"], 1, "period: 9998-Q4 is still open"),
        (["verify", "quarter", "9998-Q4"], 66, "no run of 9998-Q4 to verify"),
        (["verify", "quarter", "0001-Q1"], 66, "no policy governs 0001-W13"),
        (["report", "quarterly", "0001-Q1"], 66, "no policy governs 0001-W13"),
    ],
)
def test_the_last_and_first_quarters_are_answered_not_crashed(
    cli_on, capsys, argv: list[str], code: int, says: str
) -> None:
    """Each exit is the command's ordinary refusal (never 70, an internal error) and
    nothing is written."""
    build(cli_on)
    with time_machine.travel(NOW, tick=False):
        before = every_table(cli_on)
        assert main(argv) == code
        assert says in capsys.readouterr().err
        assert every_table(cli_on) == before
