"""``systok price quote`` and ``GET /tokenomics/price/quote``: the bonding curve beside the
directive price, on seed 001's price world (ADR 0035)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from sqlalchemy import Engine

from systok.cli.main import main
from tests.backing.helpers import STK, every_table_count, mint


@pytest.fixture(autouse=True)
def _after_2026() -> Iterator[None]:
    """2026-Q3 is the last closed quarter."""
    with time_machine.travel(datetime(2026, 11, 2, 12, tzinfo=UTC), tick=True):
        yield


def seed_001(capsys: pytest.CaptureFixture[str], engine: Engine) -> None:
    """1 500 000 RUB backing from Q2's subscriptions (half of 3 000 000), 499 500 from Q3's
    (half of 999 000); 1 000 000 STK minted in Q2, 500 000 in Q3, all to the treasury."""
    for amount, quarter in (("3000000", "2026-Q2"), ("999000", "2026-Q3")):
        argv = ["backing", "record", "subscription", amount, "--quarter", quarter]
        assert main([*argv, "--reference", f"subs-{quarter}"]) == 0
    capsys.readouterr()
    mint(engine, 1_000_000 * STK, datetime(2026, 5, 1, tzinfo=UTC), "mint-q2")
    mint(engine, 500_000 * STK, datetime(2026, 8, 1, tzinfo=UTC), "mint-q3")


def test_quote_15_000_stk_through_the_cli(
    cli_on: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    """B₀ = 199 950 000 kopecks, S = 1 500 000 STK: cost 2 009 531 kopecks (20 095.31 RUB,
    hand computation in tests/core/test_bonding_curve.py), average 1.34, next 1.35,
    directive 1.33; nothing is written."""
    seed_001(capsys, cli_on)
    before = every_table_count(cli_on)
    assert main(["price", "quote", "--buy", "15000", "--json"]) == 0
    quote = json.loads(capsys.readouterr().out)
    assert (quote["quarter"], quote["buy"], quote["cost"]) == (
        "2026-Q3",
        "15000.000000",
        "20095.31",
    )
    assert (quote["average_price"], quote["marginal_price"], quote["directive_price"]) == (
        "1.34",
        "1.35",
        "1.33",
    )
    assert quote["cost_units"] == 2_009_531 and quote["treasury_units"] == 1_500_000 * STK
    assert quote["set"] is False
    assert main(["price", "quote", "--buy", "15000", "--quarter", "2026-Q3"]) == 0
    assert "20095.31 RUB" in capsys.readouterr().out
    assert every_table_count(cli_on) == before


@pytest.mark.parametrize(
    ("buy", "code"),
    [("0", 65), ("-5", 65), ("ten", 65), ("1.0000001", 65), ("1500000.000001", 1)],
)
def test_bad_buy_is_refused_naming_buy(
    cli_on: Engine, capsys: pytest.CaptureFixture[str], buy: str, code: int
) -> None:
    seed_001(capsys, cli_on)
    before = every_table_count(cli_on)
    assert main(["price", "quote", "--buy", buy]) == code
    assert "buy:" in capsys.readouterr().err
    assert every_table_count(cli_on) == before


def test_no_price_no_quote(cli_on: Engine, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["price", "quote", "--buy", "1", "--quarter", "2026-Q1"]) == 66
    assert "quarter" in capsys.readouterr().err
