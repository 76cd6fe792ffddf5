"""``GET /tokenomics/price`` (public) and ``GET /tokenomics/backing`` (admin:read), over
real HTTP on both backends (ADR 0026)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from systok.backing import service
from systok.backing.service import parse_inflow, record_inflow, set_price
from systok.core.quarters import Quarter
from systok.db.engine import run_transaction
from systok.errors import DatabaseUnavailable
from systok.policy_files import default_policy
from tests.api.economy import Economy
from tests.backing.helpers import LATER_US, STK, every_table_count, mint

NOW = datetime(2026, 11, 2, 12, tzinfo=UTC)  # the last closed quarter is 2026-Q3


def seed_001(econ: Economy) -> None:
    policy = default_policy()
    for kind, amount, quarter, ref in (
        ("subscription", "3000000", "2026-Q2", "subs-q2"),
        ("subscription", "999000", "2026-Q3", "subs-q3"),
        ("grant", "400", "2026-Q3", "grant-q3"),
    ):
        draft = parse_inflow(
            policy, kind=kind, amount=amount, quarter=quarter, reference=ref, note=None
        )
        run_transaction(econ.engine, lambda s, d=draft: record_inflow(s, d, now_us=LATER_US))
    mint(econ.engine, 1_000_000 * STK, datetime(2026, 5, 1, tzinfo=UTC), "mint-q2")
    mint(econ.engine, 500_000 * STK, datetime(2026, 8, 1, tzinfo=UTC), "mint-q3")


def test_price_is_computed_until_set_then_the_set_one(econ: Economy) -> None:
    seed_001(econ)
    with time_machine.travel(NOW, tick=False):
        computed = econ.client.get("/api/v1/tokenomics/price")
    assert computed.status_code == 200, computed.text
    body = computed.json()
    # 499 500 + 1 500 000 + a quarter of the 400 grant = 1 999 600 RUB / 1 500 000 STK
    assert (body["quarter"], body["price"], body["set"]) == ("2026-Q3", "1.33", False)
    assert body["backing"] == "1999600.00" and body["issued"] == "1500000.000000"
    policy = default_policy()
    run_transaction(econ.engine, lambda s: set_price(s, policy, Quarter(2026, 3), now_us=LATER_US))
    with time_machine.travel(datetime(2027, 5, 1, tzinfo=UTC), tick=False):
        stored = econ.client.get("/api/v1/tokenomics/price").json()
    assert (stored["quarter"], stored["price"], stored["set"]) == ("2026-Q3", "1.33", True)


def test_the_backing_book_for_admins(econ: Economy) -> None:
    seed_001(econ)
    admin = econ.as_key("admin:read")
    before = every_table_count(econ.engine)
    book = econ.get("backing", admin, quarter="2026-Q4").json()
    assert book["counted"] == "100.00" and book["cumulative"] == "1999700.00"
    # the fund's whole part of every inflow, by the asset it is held in (none converted):
    # 1 500 000 + 499 500 + 400 (the grant is whole, its spread does not matter here)
    assert book["by_asset"] == [{"asset": "RUB", "backing": "1999900.00"}]
    assert {line["held_as"] for line in book["lines"]} == {"RUB"}
    assert [line["reference"] for line in book["lines"]] == ["subs-q2", "subs-q3", "grant-q3"]
    grant = book["lines"][2]
    assert (grant["backing"], grant["counted"], grant["counted_to_date"]) == (
        "400.00",
        "100.00",
        "200.00",
    )
    with time_machine.travel(NOW, tick=False):
        default = econ.get("backing", admin).json()
    assert default["quarter"] == "2026-Q3" and default["cumulative"] == "1999600.00"
    bad = econ.get("backing", admin, quarter="2026-Q5")
    assert bad.status_code == 422 and "query.quarter" in bad.json()["detail"]
    assert econ.get("backing", econ.as_member("m1")).status_code == 403
    assert every_table_count(econ.engine) == before


def test_the_public_quote_beside_the_directive_price(econ: Economy) -> None:
    """B₀ = 199 960 000 kopecks (seed 001 and a quarter of the 400 RUB grant), S = 1 500 000
    STK, N = 15 000: 199 960 000 × (e^0.01 − 1) = 199 960 000 × 0.0100501670841680…
    = 2 009 631.41… → up 2 009 632 kopecks; average ⌈2 009 632 / 15 000⌉ = ⌈133.975…⌉ =
    134; next 133.306… × e^0.01 = 134.646… → 135; directive ⌊133.306…⌋ = 133."""
    seed_001(econ)
    before = every_table_count(econ.engine)
    with time_machine.travel(NOW, tick=False):
        answer = econ.client.get("/api/v1/tokenomics/price/quote", params={"buy": "15000"})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["cost"], body["average_price"], body["marginal_price"]) == (
            "20096.32",
            "1.34",
            "1.35",
        )
        assert (body["directive_price"], body["quarter"], body["set"]) == ("1.33", "2026-Q3", False)
        for bad in ("0", "-1", "x", "1.0000001", ""):
            refused = econ.client.get("/api/v1/tokenomics/price/quote", params={"buy": bad})
            assert refused.status_code == 422 and "buy" in refused.text, refused.text
        beyond = econ.client.get("/api/v1/tokenomics/price/quote", params={"buy": "1500000.000001"})
        assert beyond.status_code == 409, beyond.text
        assert beyond.json()["error"] == "QuoteBeyondTreasury" and "buy:" in beyond.text
        missing = econ.client.get("/api/v1/tokenomics/price/quote")
        assert missing.status_code == 422 and "buy" in missing.text
    assert every_table_count(econ.engine) == before


def test_openapi_declares_what_price_and_quote_answer(econ: Economy) -> None:
    """The public price answers 200 or 503 (no database); the quote also 404/409/422."""
    paths = econ.client.get("/openapi.json").json()["paths"]
    price = paths["/api/v1/tokenomics/price"]["get"]["responses"]
    quote = paths["/api/v1/tokenomics/price/quote"]["get"]["responses"]
    assert set(price) == {"200", "503"}
    assert set(quote) >= {"200", "404", "409", "422", "503"}
    assert "database" in price["503"]["description"]


def test_price_without_a_database_is_the_declared_503(
    econ: Economy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The 503 declared above is the one answered when the database is unreachable."""

    def unreachable(*_args: object, **_kwargs: object) -> None:
        raise DatabaseUnavailable("database: cannot connect (test)")

    monkeypatch.setattr(service, "current_price", unreachable)
    monkeypatch.setattr(service, "price_quote", unreachable)
    for path, params in (("price", {}), ("price/quote", {"buy": "1"})):
        answer = econ.get(path, {}, **params)
        assert answer.status_code == 503, answer.text
        assert answer.json()["error"] == "DatabaseUnavailable"
