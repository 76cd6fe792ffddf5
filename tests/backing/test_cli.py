"""``systok backing record|list`` and ``systok price show``, through ``main``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine

from systok.cli.main import main
from tests.backing.helpers import STK, every_table_count, mint


@pytest.fixture(autouse=True)
def _after_2026() -> Iterator[None]:
    """Every quarter these tests record for has started, and 2026-Q3 has closed."""
    with time_machine.travel(datetime(2027, 1, 10, 12, tzinfo=UTC), tick=True):
        yield


def cli_json(capsys, *argv: str, code: int = 0):  # type: ignore[no-untyped-def]
    assert main([*argv, "--json"]) == code, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def record(capsys, kind: str, amount: str, quarter: str, ref: str, code: int = 0):  # type: ignore[no-untyped-def]
    # options first, then ``--``, so a negative amount is not read as an option
    argv = ["backing", "record", "--quarter", quarter, "--reference", ref, "--json"]
    argv += ["--", kind, amount]
    if code:
        assert main(argv) == code
        return capsys.readouterr().err
    assert main(argv) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_seed_001_through_the_cli(cli_on, capsys) -> None:  # type: ignore[no-untyped-def]
    first = record(capsys, "subscription", "3000000", "2026-Q2", "subs-q2")
    assert first["amount_units"] == 300_000_000 and first["scale"] == 2
    assert first["replayed"] is False and first["asset"] == "RUB"
    record(capsys, "subscription", "999000.00", "2026-Q3", "subs-q3")
    again = record(capsys, "subscription", "999000", "2026-Q3", "subs-q3")
    assert again["replayed"] is True and again["id"] == 2
    mint(cli_on, 1_000_000 * STK, datetime(2026, 5, 1, tzinfo=UTC), "mint-q2")
    mint(cli_on, 500_000 * STK, datetime(2026, 8, 1, tzinfo=UTC), "mint-q3")
    listed = cli_json(capsys, "backing", "list", "--quarter", "2026-Q3")
    assert [row["reference"] for row in listed] == ["subs-q3"]
    assert len(cli_json(capsys, "backing", "list")) == 2
    price = cli_json(capsys, "price", "show", "2026-Q3")
    assert price["price_units"] == 133 and price["price"] == "1.33"
    assert price["backing_units"] == 199_950_000 and price["issued_units"] == 1_500_000 * STK
    assert price["set"] is False and price["quote_asset"] == "RUB" and price["closed"] is True
    empty = cli_json(capsys, "price", "show", "2026-Q1")
    assert empty["price_units"] is None and empty["price"] is None
    assert cli_json(capsys, "price", "show", "2999-Q4")["closed"] is False


@pytest.mark.parametrize(
    ("argv", "code", "says"),
    [
        (["donation", "0", "2026-Q2", "x"], 65, "amount"),
        (["donation", "-3", "2026-Q2", "x"], 65, "amount"),
        (["loan", "3", "2026-Q2", "x"], 65, "kind"),
        (["donation", "3", "2026Q2", "x"], 65, "quarter"),
        (["donation", "3", "2027-Q2", "x"], 65, "quarter"),
        (["grant", "50", "2026-Q2", "gift"], 1, "kind"),
    ],
)
def test_refusals_exit_with_the_class_code_and_write_nothing(  # type: ignore[no-untyped-def]
    cli_on, capsys, argv, code, says
) -> None:
    record(capsys, "donation", "50", "2026-Q2", "gift")
    before = every_table_count(cli_on)
    err = record(capsys, *argv, code=code)
    assert says in err
    assert every_table_count(cli_on) == before


def test_a_malformed_quarter_to_price_show_is_refused(cli_on, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["price", "show", "Q3-2026"]) == 65
    assert "quarter" in capsys.readouterr().err


@pytest.mark.parametrize("amount", ["-5", "-0.01"])
def test_a_negative_amount_typed_plainly_is_refused_naming_amount(  # type: ignore[no-untyped-def]
    cli_on, capsys, amount: str
) -> None:
    """Typed as operators do (no ``--``), ``-5`` reaches the validator: exit 65 naming
    ``amount`` and why, not a usage error about an unknown option; nothing written."""
    before = every_table_count(cli_on)
    argv = ["backing", "record", "donation", amount, "--quarter", "2026-Q2", "--reference", "r"]
    assert main(argv) == 65
    assert f"amount: '{amount}' RUB is not positive" in capsys.readouterr().err
    assert every_table_count(cli_on) == before


def test_an_unknown_option_to_record_is_still_a_usage_error(cli_on, capsys) -> None:  # type: ignore[no-untyped-def]
    """Letting ``-5`` through does not make a mistyped option pass: ``--quarterr`` is not
    ``--quarter``, so the required option is missing (exit 2, a usage error)."""
    argv = ["backing", "record", "donation", "5", "--quarterr", "2026-Q2", "--reference", "r"]
    before = every_table_count(cli_on)
    assert main(argv) == 2
    assert "Missing option '--quarter'" in capsys.readouterr().err
    assert every_table_count(cli_on) == before
