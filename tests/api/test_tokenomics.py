"""The member API over real HTTP, on SQLite and PostgreSQL: what it answers is what the
ledger holds, every refusal names its reason and changes nothing, retries move money once.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlalchemy import text

from systok.accrual.service import WeeklyRun
from systok.core.policy import Service
from systok.core.times import MICROS_PER_DAY
from systok.core.weeks import IsoWeek
from systok.db.engine import run_transaction
from systok.economy.marketplace import purchase_postings
from systok.ingest.service import Ingestor
from systok.policy_files import load_policy
from tests.accrual.crash import CrashingRun, SimulatedCrash
from tests.api.economy import STK, Economy, freeze, fund, state
from tests.core.test_scoring import GOLDEN_DAY

# Events and tokens are made relative to the clock: CI reruns these at frozen dates.
pytestmark = pytest.mark.clock

TRANSFER = "/api/v1/tokenomics/transfer"


def test_balance_transfer_and_transactions(econ: Economy):
    fund(econ.engine, "m1", 1000 * STK)
    response = econ.transfer("m1", "m2", "100")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body | {"transaction_id": 0} == {
        "transaction_id": 0,
        "from": "m1",
        "to": "m2",
        "asset": "STK",
        "amount": "100.000000",
        "fee": "0.500000",  # 0.5 % of 100 STK (policy stk-2025-12)
        "debited": "100.500000",
        "replayed": False,
    }
    balance = econ.get("balance", econ.as_member("m1")).json()
    assert balance == {
        "member": "m1",
        "asset": "STK",
        "scale": 6,
        "available": "899.500000",
        "held": "0.000000",
        "vesting": "0.000000",
        "staked": "0.000000",
        "posted": "899.500000",
        "frozen": False,
    }
    assert econ.get("balance", econ.as_member("m2")).json()["available"] == "100.000000"
    with econ.engine.connect() as connection:
        fee = connection.execute(
            text("SELECT posted_units FROM accounts WHERE type = 'fee' AND asset = 'STK'")
        ).scalar_one()
        postings = connection.execute(
            text("SELECT COUNT(*), SUM(amount_units) FROM postings WHERE transaction_id = :t"),
            {"t": body["transaction_id"]},
        ).one()
    assert fee == 500_000
    assert tuple(postings) == (3, 0)  # one balanced transaction: sender, recipient, fee

    page = econ.get("transactions", econ.as_member("m1")).json()
    assert [(i["code"], i["amount"]) for i in page["items"]] == [
        ("transfer", "-100.500000"),
        ("deposit", "1000.000000"),
    ]
    assert page["next_cursor"] is None
    received = econ.get("transactions", econ.as_member("m2")).json()["items"]
    assert [(i["id"], i["amount"]) for i in received] == [(body["transaction_id"], "100.000000")]


@pytest.mark.parametrize(
    ("sender", "to", "amount", "status", "error"),
    [
        ("m1", "m2", "1000", 409, "InsufficientFunds"),  # 1000 + fee 5 > 1000
        ("m1", "m1", "1", 422, "SelfTransfer"),
        ("m1", "nobody", "1", 422, "RecipientUnknown"),
        ("m1", "f1", "1", 422, "RecipientIneligible"),  # a free user cannot receive
        ("m1", "m3", "1", 409, "AccountFrozen"),  # m3 is frozen
        ("m3", "m1", "1", 409, "AccountFrozen"),
        ("m1", "m2", "0", 422, "RequestInvalid"),  # names body.amount
        ("m1", "m2", "0.0000001", 422, "RequestInvalid"),  # finer than the STK scale
        ("m1", "m2", "-5", 422, "RequestInvalid"),
        ("m1", "m2", "1e3", 422, "RequestInvalid"),
        ("nobody", "m2", "1", 404, "MemberNotFound"),  # a valid token of an unknown member
    ],
)
def test_transfer_refusals_name_the_reason_and_change_nothing(
    econ: Economy, sender, to, amount, status, error
):
    fund(econ.engine, "m1", 1000 * STK)
    fund(econ.engine, "m3", 10 * STK)
    freeze(econ.engine, "m3")
    before = state(econ.engine)
    response = econ.transfer(sender, to, amount)
    assert (response.status_code, response.json()["error"]) == (status, error), response.text
    assert response.json()["detail"]
    assert state(econ.engine) == before


def test_transfer_body_and_header_refusals(econ: Economy):
    fund(econ.engine, "m1", 10 * STK)
    before = state(econ.engine)
    headers = econ.as_member("m1")
    cases = [
        ({"to": "m2", "amount": 5}, {"Idempotency-Key": "k1"}, "body.amount"),  # a JSON number
        ({"to": "m2", "amount": 5.5}, {"Idempotency-Key": "k2"}, "body.amount"),
        ({"to": "m2"}, {"Idempotency-Key": "k3"}, "body.amount"),
        ({"to": "m2", "amount": "1", "x": 1}, {"Idempotency-Key": "k4"}, "body.x"),
        ({"to": "m2", "amount": "1"}, {}, "header.Idempotency-Key"),
    ]
    for body, extra, field in cases:
        response = econ.client.post(TRANSFER, json=body, headers=headers | extra)
        assert response.status_code == 422, (body, response.text)
        answer = response.json()
        assert answer["error"] == "RequestInvalid"
        assert field in [p["field"] for p in answer["fields"]], answer
    assert state(econ.engine) == before


def test_transfer_is_idempotent_under_retries(econ: Economy):
    fund(econ.engine, "m1", 100 * STK)
    first = econ.transfer("m1", "m2", "10", key="retry-1")
    retries = [econ.transfer("m1", "m2", "10", key="retry-1") for _ in range(3)]
    assert first.status_code == 200 and not first.json()["replayed"]
    for retry in retries:
        assert retry.status_code == 200
        assert retry.json() == first.json() | {"replayed": True}
    assert econ.get("balance", econ.as_member("m1")).json()["available"] == "89.950000"

    after = state(econ.engine)
    conflict = econ.transfer("m1", "m2", "11", key="retry-1")
    assert (conflict.status_code, conflict.json()["error"]) == (409, "IdempotencyConflict")
    assert state(econ.engine) == after

    # Keys are per member: m2 may use the same key for their own transfer.
    assert econ.transfer("m2", "m1", "1", key="retry-1").json()["replayed"] is False
    # A retry after the sender was frozen still answers with the transfer that happened.
    freeze(econ.engine, "m1")
    assert econ.transfer("m1", "m2", "10", key="retry-1").json()["replayed"] is True
    assert econ.transfer("m1", "m2", "10", key="new")
    assert econ.transfer("m1", "m2", "10", key="new").json()["error"] == "AccountFrozen"


def test_purchase_splits_the_price_and_activates_the_service(econ: Economy):
    fund(econ.engine, "m1", 1200 * STK)
    response = econ.buy("m1", "course_basic", key="buy-1")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["split"] == [
        {"role": "author", "account": "escrow:course_basic:author@STK", "amount": "350.000000"},
        {"role": "treasury", "account": "fund:treasury@STK", "amount": "150.000000"},
    ]
    entitlement = body["entitlement"]
    assert entitlement["service"] == "course_basic" and entitlement["price"] == "500.000000"
    starts = datetime.fromisoformat(entitlement["starts_at"].replace("Z", "+00:00"))
    ends = datetime.fromisoformat(entitlement["ends_at"].replace("Z", "+00:00"))
    assert (ends - starts).days == 365
    with econ.engine.connect() as connection:
        postings = connection.execute(
            text("SELECT COUNT(*), SUM(amount_units) FROM postings WHERE transaction_id = :t"),
            {"t": body["transaction_id"]},
        ).one()
    assert tuple(postings) == (3, 0)

    replay = econ.buy("m1", "course_basic", key="buy-1")
    assert replay.json() == body | {"replayed": True}
    assert econ.get("balance", econ.as_member("m1")).json()["available"] == "700.000000"

    conflict = econ.buy("m1", "mentor_session_1h", key="buy-1")
    assert (conflict.status_code, conflict.json()["error"]) == (409, "IdempotencyConflict")

    again = econ.buy("m1", "course_basic", key="buy-2").json()["entitlement"]
    assert again["starts_at"] == entitlement["ends_at"]  # extends the active period

    before = state(econ.engine)
    for buyer, service, status, error in [
        ("m1", "course_basic", 409, "InsufficientFunds"),  # 200 left
        ("m1", "no_such_service", 404, "ServiceNotFound"),
        ("nobody", "course_basic", 404, "MemberNotFound"),
    ]:
        refused = econ.buy(buyer, service)
        assert (refused.status_code, refused.json()["error"]) == (status, error)
    freeze(econ.engine, "m1")
    before = state(econ.engine)
    frozen = econ.buy("m1", "mentor_session_1h")
    assert (frozen.status_code, frozen.json()["error"]) == (409, "AccountFrozen")
    assert state(econ.engine) == before


def test_purchase_rounding_names_where_the_remainder_goes():
    service = Service(
        service_id="odd",
        name="odd",
        price=1_000_001,
        period_days=1,
        split_bps={"author": 7000, "treasury": 3000},
        remainder_to="treasury",
        payees={"author": "member:a1", "treasury": "fund:treasury"},
    )
    lines = {p.account.name: p.amount_units for p in purchase_postings(service, "m1")}
    # author floor(700 000.7) = 700 000; treasury floor(300 000.3) = 300 000 + remainder 1.
    assert lines == {
        "member:m1@STK": -1_000_001,
        "member:a1@STK": 700_000,
        "fund:treasury@STK": 300_001,
    }
    own = Service(
        "own",
        "own",
        100,
        1,
        {"author": 5000, "treasury": 5000},
        "treasury",
        {"author": "member:m1", "treasury": "fund:treasury"},
    )
    assert {p.account.name: p.amount_units for p in purchase_postings(own, "m1")} == {
        "member:m1@STK": -50,
        "fund:treasury@STK": 50,
    }


def test_services_catalogue_is_public(econ: Economy):
    response = econ.client.get("/api/v1/tokenomics/services")
    assert response.status_code == 200
    items = {i["id"]: i for i in response.json()["items"]}
    assert items["course_basic"]["price"] == "500.000000"
    assert items["course_basic"]["split"] == [
        {"role": "author", "share_bps": 7000, "payee": "escrow"},
        {"role": "treasury", "share_bps": 3000, "payee": "fund:treasury"},
    ]
    assert items["ai_agent_premium"]["period_days"] == 30


def _day_us(day: date) -> int:
    return (day - date(1970, 1, 1)).days * MICROS_PER_DAY


def test_balance_history_per_day(econ: Economy):
    fund(econ.engine, "m1", 5 * STK, at_us=_day_us(date(2026, 3, 1)) + 1)
    fund(econ.engine, "m1", 7 * STK, at_us=_day_us(date(2026, 3, 3)) + 5)
    fund(econ.engine, "m1", 1 * STK, at_us=_day_us(date(2026, 3, 3)) + 9)
    fund(econ.engine, "m1", 2 * STK, at_us=_day_us(date(2026, 3, 9)))
    history = econ.get(
        "balance/history", econ.as_member("m1"), **{"from": "2026-03-02", "to": "2026-03-08"}
    ).json()
    assert history["opening"] == "5.000000" and history["closing"] == "13.000000"
    assert history["from"] == "2026-03-02" and history["to"] == "2026-03-08"
    assert history["days"] == [
        {"day": "2026-03-03", "change": "8.000000", "balance": "13.000000", "transactions": 2}
    ]
    for params in ({"from": "2026-03-09", "to": "2026-03-08"}, {"from": "2024-01-01"}):
        refused = econ.get("balance/history", econ.as_member("m1"), **params)
        assert refused.status_code == 422 and "query.from" in refused.json()["detail"]


def test_transactions_pagination_and_filters(econ: Economy):
    ids = [
        fund(econ.engine, "m1", (n + 1) * STK, at_us=_day_us(date(2026, 4, 1 + n)))
        for n in range(7)
    ]
    fund(econ.engine, "m2", STK)
    transfer = econ.transfer("m1", "m2", "1").json()["transaction_id"]
    member = econ.as_member("m1")
    seen, cursor = [], None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = econ.get("transactions", member, **params).json()
        seen.append([i["id"] for i in page["items"]])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [[transfer, ids[6], ids[5]], ids[4:1:-1], ids[1::-1]]
    only = econ.get("transactions", member, code="transfer").json()["items"]
    assert [i["id"] for i in only] == [transfer]
    period = econ.get("transactions", member, **{"from": "2026-04-02", "to": "2026-04-03"})
    assert [i["id"] for i in period.json()["items"]] == [ids[2], ids[1]]
    for params, field in [
        ({"cursor": "not-a-cursor"}, "query.cursor"),
        ({"code": "gift"}, "query.code"),
        ({"limit": 0}, "query.limit"),
    ]:
        refused = econ.get("transactions", member, **params)
        assert refused.status_code == 422 and field in refused.json()["detail"], refused.text


def _run_weeks(engine, tmp_path) -> None:
    """m1 has the SPEC's golden day in 2026-W45 and W46; W46 stops before posting."""
    policy = load_policy("stk-2025-12")
    lines = [
        json.dumps(
            {
                "source": "t",
                "id": f"{week}-{kind}-{n}",
                "type": kind,
                "member": "m1",
                "occurred_at": f"{IsoWeek.parse(week).days()[1].isoformat()}T{9 + n:02d}:00:00Z",
                **({"counterpart": "m2"} if kind == "ClubLikeReceived" else {}),
            }
        )
        for week in ("2026-W45", "2026-W46")
        for kind, count in GOLDEN_DAY.items()
        for n in range(count)
    ]
    run_transaction(
        engine, lambda s: Ingestor(s, policy=policy).ingest(lines, source="t", live=False)
    )
    WeeklyRun(engine, policy, reports_dir=tmp_path).run(IsoWeek(2026, 45))
    with pytest.raises(SimulatedCrash):
        CrashingRun(engine, policy, reports_dir=tmp_path, crash_after="report").run(
            IsoWeek(2026, 46)
        )


def test_rewards_and_weekly_breakdown(econ: Economy, tmp_path):
    """Rewards of real runs; the weekly breakdown is the reference scorer's, re-rendered."""
    _run_weeks(econ.engine, tmp_path)
    second = 960 * load_policy("stk-2025-12").scoring.consistency_coefficient(2)
    items = econ.get("rewards", econ.as_member("m1")).json()["items"]
    assert [(i["week"], i["status"], i["amount"], i["paid"]) for i in items] == [
        ("2026-W46", "pending", f"{second:.6f}", f"{second:.6f}"),
        ("2026-W45", "paid", "960.000000", "960.000000"),
    ]
    weekly = econ.get("rewards/weekly", econ.as_member("m1"), week="2026-W45").json()
    breakdown = weekly["breakdown"]
    assert weekly["points"] == "960" and breakdown["matches_stored"] is True
    assert breakdown["base_points"] == 960 and breakdown["counted_events"] == 19
    assert breakdown["consistency"]["streak_weeks"] == 1
    tuesday = breakdown["days"][1]
    assert {line["event_type"]: line["counted"] for line in tuesday["lines"]} == GOLDEN_DAY
    assert econ.get("rewards", econ.as_member("m3")).json()["items"] == []
    missing = econ.get("rewards/weekly", econ.as_member("m1"), week="2026-W40")
    assert (missing.status_code, missing.json()["error"]) == (404, "RewardNotFound")
    bad = econ.get("rewards/weekly", econ.as_member("m1"), week="2026-W60")
    assert bad.status_code == 422 and "query.week" in bad.json()["detail"]


def test_admin_statistics(econ: Economy):
    for member_id, units in (("m1", 100 * STK), ("m2", 300 * STK), ("m3", 600 * STK)):
        fund(econ.engine, member_id, units)
    econ.buy("m3", "course_basic")
    admin = econ.as_key("stats:read")
    supply = econ.get("stats/supply", admin).json()
    assert supply["issued"] == supply["supply"] == "1000.000000"
    assert supply["circulating"] == "500.000000"
    types = {t["type"]: t["posted"] for t in supply["by_type"]}
    assert types["fund:treasury"] == "150.000000" and types["escrow"] == "350.000000"
    spread = econ.get("stats/distribution", admin).json()
    assert spread["holders"] == 3 and spread["total"] == "500.000000"
    assert [t["amount"] for t in spread["top"]] == ["300.000000", "100.000000", "100.000000"]
    assert spread["top"][0]["share_bps"] == 6000
    assert spread["median"] == "100.000000"
    # Gini of (100, 100, 300): (2·(100 + 200 + 900) − 4·500) / (3·500) = 0.266666…
    assert spread["gini"] == "0.266666"
    assert sum(b["holders"] for b in spread["buckets"]) == 3


def test_metrics_count_requests_and_outcomes(econ: Economy):
    fund(econ.engine, "m1", 10 * STK)
    econ.transfer("m1", "m2", "1")
    econ.transfer("m1", "m2", "100")
    econ.get("balance", econ.as_member("m1"))
    metrics = econ.client.get("/metrics")
    assert metrics.status_code == 200
    lines = metrics.text.splitlines()
    assert 'systok_transfers_total{outcome="posted"} 1.0' in lines
    assert 'systok_transfers_total{outcome="InsufficientFunds"} 1.0' in lines
    assert (
        'systok_http_requests_total{method="GET",route="/api/v1/tokenomics/balance",'
        'status="200"} 1.0'
    ) in lines


def test_freeze_and_unfreeze_from_the_cli(cli_on):
    from typer.testing import CliRunner

    from systok.cli.main import app
    from systok.errors import MemberNotFound
    from tests.api.economy import seed_members

    seed_members(cli_on)
    runner = CliRunner()
    frozen = runner.invoke(app, ["members", "freeze", "m1", "--reason", "chargeback"])
    assert frozen.exit_code == 0 and "m1 frozen" in frozen.output
    with cli_on.connect() as connection:
        reason = connection.execute(text("SELECT reason FROM member_freezes")).scalar_one()
    assert reason == "chargeback"
    assert "unfrozen" in runner.invoke(app, ["members", "unfreeze", "m1"]).output
    unknown = runner.invoke(app, ["members", "freeze", "nobody", "--reason", "x"])
    assert unknown.exit_code != 0 and isinstance(unknown.exception, MemberNotFound)
