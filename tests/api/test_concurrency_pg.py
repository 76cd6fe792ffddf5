"""Parallel requests on PostgreSQL: one member's concurrent purchases and transfers can
never overdraw, and concurrent retries of one request pay exactly once."""

from __future__ import annotations

import itertools
import threading
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import text

from systok.api.app import create_app
from systok.policy_files import default_policy
from tests.api.conftest import serve
from tests.api.economy import STK, Economy, balances, fund, member_settings, mint, seed_members

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_econ(pg_engine):
    settings = member_settings()
    app = create_app(pg_engine, settings, default_policy(settings))
    seed_members(pg_engine)
    with serve(app, pg_engine) as server:
        yield Economy(server)


def _parallel(base_url: str, requests: list[tuple[str, dict, dict | None]]) -> list[httpx.Response]:
    """Send every request at once, each on its own connection, released by one barrier."""
    barrier = threading.Barrier(len(requests))

    def send(item):
        path, headers, body = item
        with httpx.Client(base_url=base_url, timeout=60) as client:
            barrier.wait()
            return client.post(path, headers=headers, json=body)

    with ThreadPoolExecutor(len(requests)) as pool:
        return list(pool.map(send, requests))


def test_concurrent_purchases_cannot_overdraw(pg_econ: Economy):
    fund(pg_econ.engine, "m1", 1600 * STK)
    token = {"Authorization": f"Bearer {mint('m1')}"}
    path = "/api/v1/tokenomics/services/course_basic/purchase"
    responses = _parallel(
        pg_econ.server.base_url,
        [(path, token | {"Idempotency-Key": uuid.uuid4().hex}, None) for _ in range(12)],
    )
    outcomes = Counter((r.status_code, r.json().get("error")) for r in responses)
    assert outcomes == {(200, None): 3, (409, "InsufficientFunds"): 9}, outcomes
    assert balances(pg_econ.engine)["member:m1@STK"] == (100 * STK, 0)
    with pg_econ.engine.connect() as connection:
        periods = connection.execute(
            text(
                "SELECT starts_at_us, ends_at_us FROM entitlements WHERE member_id = 'm1' "
                "ORDER BY starts_at_us"
            )
        ).all()
    assert len(periods) == 3
    for (_, end), (start, _) in itertools.pairwise(periods):
        assert start == end  # each purchase extends the last: no overlap, no gap


def test_concurrent_retries_of_one_purchase_pay_once(pg_econ: Economy):
    fund(pg_econ.engine, "m2", 600 * STK)
    headers = {"Authorization": f"Bearer {mint('m2')}", "Idempotency-Key": "same-key"}
    path = "/api/v1/tokenomics/services/course_basic/purchase"
    responses = _parallel(pg_econ.server.base_url, [(path, headers, None)] * 8)
    assert {r.status_code for r in responses} == {200}, [r.text for r in responses]
    assert sorted(r.json()["replayed"] for r in responses) == [False] + [True] * 7
    assert len({r.json()["entitlement"]["id"] for r in responses}) == 1
    assert balances(pg_econ.engine)["member:m2@STK"] == (100 * STK, 0)


def test_concurrent_transfers_cannot_overdraw(pg_econ: Economy):
    fund(pg_econ.engine, "m3", 500 * STK)
    token = {"Authorization": f"Bearer {mint('m3')}"}
    body = {"to": "m1", "amount": "100"}
    responses = _parallel(
        pg_econ.server.base_url,
        [
            ("/api/v1/tokenomics/transfer", token | {"Idempotency-Key": uuid.uuid4().hex}, body)
            for _ in range(10)
        ],
    )
    outcomes = Counter((r.status_code, r.json().get("error")) for r in responses)
    # Each costs 100.5 STK with the fee: four fit in 500, the fifth would not.
    assert outcomes == {(200, None): 4, (409, "InsufficientFunds"): 6}, outcomes
    book = balances(pg_econ.engine)
    assert book["member:m3@STK"] == (98 * STK, 0)
    assert book["member:m1@STK"] == (400 * STK, 0)
    fees = [posted for name, (posted, _) in book.items() if name.startswith("fee:transfers:")]
    assert sum(fees) == 2 * STK  # the fee lanes (ADR 0045) add up to four fees


@pytest.mark.parametrize("rounds", range(3))
def test_concurrent_identical_transfers_all_answer_the_first_answer(pg_econ: Economy, rounds):
    """One key, one body, sent 10 times at once with funds for exactly one: the money moves
    once and every answer is that transfer (none a 409 InsufficientFunds), as docs/api.md
    promises; the same for purchases."""
    fund(pg_econ.engine, "m3", 100 * STK + STK // 2)
    headers = {"Authorization": f"Bearer {mint('m3')}", "Idempotency-Key": f"once-{rounds}"}
    body = {"to": "m1", "amount": "100"}
    responses = _parallel(
        pg_econ.server.base_url, [("/api/v1/tokenomics/transfer", headers, body)] * 10
    )
    assert [r.status_code for r in responses] == [200] * 10, [r.text for r in responses]
    assert sorted(r.json()["replayed"] for r in responses) == [False] + [True] * 9
    assert len({r.json()["transaction_id"] for r in responses}) == 1
    book = balances(pg_econ.engine)
    assert book["member:m3@STK"] == (0, 0)
    assert book["member:m1@STK"] == (100 * STK, 0)
