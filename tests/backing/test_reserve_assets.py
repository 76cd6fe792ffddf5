"""``backing.reserve_assets`` enforced: an inflow records the reserve asset its money is
held in (ADR 0036); the book shows the fund by asset; migration 0024 fills old rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import Engine, text

from systok.backing.service import backing_book
from systok.cli.main import main
from systok.core.quarters import Quarter
from systok.db import migrate
from systok.db.engine import make_engine, run_transaction
from systok.policy_files import default_policy
from tests.backing.helpers import every_table_count


@pytest.fixture(autouse=True)
def _after_2026() -> Iterator[None]:
    with time_machine.travel(datetime(2027, 1, 10, 12, tzinfo=UTC), tick=True):
        yield


def record(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["backing", "record", "--json", *argv])
    captured = capsys.readouterr()
    return code, captured.out if code == 0 else captured.err


def test_held_as_is_recorded_listed_and_summed_by_asset(
    cli_on: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    """A donation of 1 000 RUB held as BTC (the fund's half: 500 RUB = 50 000 kopecks), a
    grant of 300 RUB as sol (lower case accepted; the fund's whole: 30 000), a subscription
    of 200 RUB not converted (the fund's half: 10 000 kopecks in RUB)."""
    code, out = record(
        capsys, "donation", "1000", "--quarter", "2026-Q3", "--reference", "d", "--held-as", "BTC"
    )
    assert code == 0 and json.loads(out)["held_as"] == "BTC"
    assert (
        record(
            capsys, "grant", "300", "--quarter", "2026-Q3", "--reference", "g", "--held-as", "sol"
        )[0]
        == 0
    )
    code, out = record(capsys, "subscription", "200", "--quarter", "2026-Q3", "--reference", "s")
    assert code == 0 and json.loads(out)["held_as"] == "RUB"
    assert main(["backing", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [row["held_as"] for row in listed] == ["BTC", "SOL", "RUB"]
    policy = default_policy()
    book = run_transaction(cli_on, lambda s: backing_book(s, policy, Quarter(2026, 3)))
    assert book.fund_by_asset() == {"BTC": 50_000, "RUB": 10_000, "SOL": 30_000}


def test_an_asset_the_policy_does_not_list_is_refused(
    cli_on: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    before = every_table_count(cli_on)
    code, err = record(
        capsys, "donation", "10", "--quarter", "2026-Q3", "--reference", "x", "--held-as", "DOGE"
    )
    assert code == 65
    assert "held_as" in err and "BTC, SOL, USDC, XAU" in err
    assert every_table_count(cli_on) == before


def test_the_same_reference_held_otherwise_is_a_conflict(
    cli_on: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("donation", "10", "--quarter", "2026-Q3", "--reference", "r")
    assert record(capsys, *args, "--held-as", "USDC")[0] == 0
    assert json.loads(record(capsys, *args, "--held-as", "usdc")[1])["replayed"] is True
    before = every_table_count(cli_on)
    code, err = record(capsys, *args)
    assert code == 1 and "held_as differs" in err
    assert every_table_count(cli_on) == before


def test_migration_0024_holds_old_rows_in_the_quote_asset(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    migrate.upgrade(engine, "0021_stabilisation")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO backing_inflows (kind, asset, amount_units, quarter, reference, "
                "recorded_at_us) VALUES ('donation', 'RUB', 100, '2026-Q3', 'old', 1)"
            )
        )
    migrate.upgrade(engine, "0024_reserve_assets")
    with engine.connect() as connection:
        held = connection.execute(text("SELECT held_as FROM backing_inflows")).scalar_one()
    assert held == "RUB"
    engine.dispose()


def test_the_quarterly_report_shows_the_fund_by_asset(
    cli_on: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    """A 1 000 RUB donation held as XAU (the fund's half, 50 000 kopecks) and a 400 RUB
    grant not converted (the fund's whole, 40 000); 10 STK issued; Q3 priced."""
    from systok.backing.service import set_price
    from systok.reports.service import quarterly_report
    from tests.backing.helpers import LATER_US, STK, mint

    assert (
        record(
            capsys,
            "donation",
            "1000",
            "--quarter",
            "2026-Q3",
            "--reference",
            "d",
            "--held-as",
            "XAU",
        )[0]
        == 0
    )
    assert record(capsys, "grant", "400", "--quarter", "2026-Q3", "--reference", "g")[0] == 0
    mint(cli_on, 10 * STK, datetime(2026, 8, 1, tzinfo=UTC), "mint-q3")
    policy = default_policy()
    q3 = Quarter(2026, 3)
    run_transaction(cli_on, lambda s: set_price(s, policy, q3, now_us=LATER_US))
    report = run_transaction(
        cli_on, lambda s: quarterly_report(s, policy, q3, now=datetime(2027, 1, 10, tzinfo=UTC))
    )
    assert report.price is not None
    assert [(h.asset, h.backing_units) for h in report.price.backing_by_asset] == [
        ("RUB", 40_000),
        ("XAU", 50_000),
    ]
