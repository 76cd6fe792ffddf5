"""``systok sale open|buy|close|status`` through ``main`` (both backends)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine

from systok.cli.main import main
from tests.sale.helpers import STK, every_table_count, mint, seed_members


@pytest.fixture(autouse=True)
def _june_2026() -> Iterator[None]:
    with time_machine.travel(datetime(2026, 6, 2, 10, 30, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def sale_cli(cli_on, monkeypatch):  # type: ignore[no-untyped-def]
    """The CLI on a database with 1 000 000 STK issued and members m1, m2, pinned to the
    policy with an initial sale."""
    from systok.config import get_settings

    monkeypatch.setenv("SYSTOK_POLICY", "stk-2025-04")
    get_settings.cache_clear()
    seed_members(cli_on, "m1", "m2")
    mint(cli_on, 1_000_000 * STK, datetime(2026, 5, 1, tzinfo=UTC), "mint-1")
    return cli_on


def cli_json(capsys, *argv: str):  # type: ignore[no-untyped-def]
    assert main([*argv, "--json"]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_sale_through_the_cli(sale_cli, capsys) -> None:  # type: ignore[no-untyped-def]
    assert cli_json(capsys, "sale", "status") == {"sale": None, "purchases": []}
    opened = cli_json(
        capsys, "sale", "open", "--share-bps", "500", "--price", "1.25", "--reference", "s1"
    )
    assert opened["cap_units"] == 50_000 * STK and opened["price_units"] == 125
    assert opened["open"] is True and opened["replayed"] is False
    bought = cli_json(capsys, "sale", "buy", "m1", "100", "--reference", "pay-1")
    assert bought["units"] == 100 * STK and bought["paid"] == "125.00"
    assert bought["unlock_at"].startswith("2027-06-02T10:30:00")
    assert bought["remaining_units"] == 49_900 * STK and bought["replayed"] is False
    assert cli_json(capsys, "sale", "buy", "m1", "100", "--reference", "pay-1")["replayed"]
    status = cli_json(capsys, "sale", "status")
    assert status["sale"]["sold_units"] == 100 * STK
    assert [p["reference"] for p in status["purchases"]] == ["pay-1"]
    closed = cli_json(capsys, "sale", "close")
    assert closed["open"] is False and closed["remaining_units"] == 49_900 * STK
    assert main(["sale", "status"]) == 0 and "sale 1 (closed)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "code", "said"),
    [
        (
            ["sale", "open", "--share-bps", "1500", "--price", "1", "--reference", "s"],
            65,
            "share_bps",
        ),
        (["sale", "open", "--share-bps", "500", "--price", "x", "--reference", "s"], 65, "price"),
        (["sale", "buy", "m1", "1", "--reference", "p"], 66, "no sale is open"),
        (["sale", "close"], 66, "no sale is open"),
    ],
)
def test_cli_refusals(sale_cli, capsys, argv, code, said) -> None:  # type: ignore[no-untyped-def]
    before = every_table_count(sale_cli)
    assert main(argv) == code
    assert said in capsys.readouterr().err
    assert every_table_count(sale_cli) == before


def test_default_policy_without_a_sale(cli_on, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["sale", "open", "--share-bps", "500", "--price", "1", "--reference", "s"]) == 65
    assert "initial_sale: policy stk-2025-12 has no [initial_sale]" in capsys.readouterr().err
