"""The HTTP edge (issue 11, ADR 0010): every byte bounded, every bad input a named 4xx.

The memory tests run a real ``systok serve`` process and read its resident memory
(``VmRSS``) while a client streams a chunked body at it over a raw loopback socket.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from systok.access.service import create_api_key
from systok.api.app import create_app
from systok.clock import now_us
from systok.core.amount import AmountError, parse_amount
from systok.core.policy import parse_policy
from systok.db.engine import make_engine, run_transaction
from systok.errors import InsufficientFunds, PolicyInvalid
from systok.policy_files import default_policy
from tests.api.conftest import iso_ago, serve, table_counts
from tests.api.economy import STK, Economy, balances, fund, member_settings, mint, seed_members
from tests.api.served import ServedProcess, systok_serve
from tests.conftest import empty_database_url

MIB = 1024 * 1024
ATTACK_BYTES = 300 * MIB
RSS_GROWTH_MAX_KIB = 12 * 1024
"""'Within a few MiB of idle': allocator noise and per-connection buffers, not the body."""


# --- a real server and a raw chunked client ---------------------------------------------


@dataclass
class Served:
    server: ServedProcess
    key: str


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def served(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Served]:
    url = empty_database_url(request, tmp_path_factory.mktemp("edge"))
    engine = make_engine(url)
    seed_members(engine)
    _info, key = run_transaction(
        engine,
        lambda s: create_api_key(s, "edge-relay", ["events:write", "transfers:write"], now_us()),
    )
    engine.dispose()
    with systok_serve(url, tmp_path_factory.mktemp("edge-log")) as server:
        yield Served(server, key)


@dataclass
class Pushed:
    status: int
    body: dict[str, object]
    sent_bytes: int
    idle_rss_kib: int
    peak_rss_kib: int


def push_chunked(
    server: ServedProcess, path: str, headers: dict[str, str], total_bytes: int, chunk: bytes
) -> Pushed:
    """Stream ``total_bytes`` as a chunked body (no Content-Length) and read the answer.

    A reader thread collects the answer as soon as it comes, while the sender keeps
    streaming (the server may answer early and discard the rest); the server's RSS is
    sampled all along.
    """
    idle = server.rss_kib()
    peak = idle
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    head = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", "Transfer-Encoding: chunked"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    answer = bytearray()
    answered = threading.Event()

    def read() -> None:
        try:
            while not _complete(answer):
                data = sock.recv(65536)
                if not data:
                    break
                answer.extend(data)
        except OSError:
            pass
        answered.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent = 0
    try:
        while sent < total_bytes:
            sock.sendall(frame)
            sent += len(chunk)
            if sent % (8 * MIB) < len(chunk):
                peak = max(peak, server.rss_kib())
        sock.sendall(b"0\r\n\r\n")
    except OSError:  # the server closed the connection after answering
        pass
    answered.wait(30)
    peak = max(peak, server.rss_kib())
    sock.close()
    head_text, _, body = bytes(answer).partition(b"\r\n\r\n")
    status = int(head_text.split(b" ")[1])
    return Pushed(status, json.loads(body), sent, idle, peak)


def _complete(answer: bytearray) -> bool:
    head, found, body = bytes(answer).partition(b"\r\n\r\n")
    if not found:
        return False
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return False


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/api/v1/webhooks/discourse", {"X-Discourse-Event": "post_created"}),
        ("/api/v1/events", {}),
        ("/api/v1/tokenomics/transfer", {"Idempotency-Key": "k1"}),
    ],
)
def test_unauthenticated_300_mib_is_refused_without_memory_growth(served: Served, path, headers):
    pushed = push_chunked(
        served.server,
        path,
        headers | {"Content-Type": "application/json"},
        ATTACK_BYTES,
        b'{"events": [' + b" " * (MIB - 12),
    )
    print(  # the figures the report quotes (pytest -s)
        f"{path}: sent {pushed.sent_bytes // MIB} MiB, RSS idle {pushed.idle_rss_kib} KiB, "
        f"peak {pushed.peak_rss_kib} KiB"
    )
    assert pushed.status == 401, pushed.body
    assert pushed.peak_rss_kib - pushed.idle_rss_kib < RSS_GROWTH_MAX_KIB, pushed


def test_authenticated_40_mb_chunked_batch_is_refused_413(served: Served):
    pushed = push_chunked(
        served.server,
        "/api/v1/events",
        {"Authorization": f"Bearer {served.key}", "Content-Type": "application/json"},
        40 * 1000 * 1000,
        b'{"events": [' + b" " * (MIB - 12),
    )
    assert pushed.status == 413, pushed.body
    assert pushed.body["error"] == "PayloadTooLarge"
    assert str(32 * MIB) in str(pushed.body["detail"])
    assert "SYSTOK_REQUEST_BODY_MAX_BYTES" in str(pushed.body["detail"])


def test_declared_length_above_the_limit_is_refused_before_reading(served: Served):
    # A raw socket: httpx would not send a Content-Length its body does not have.
    sock = socket.create_connection(("127.0.0.1", served.server.port), timeout=10)
    sock.sendall(
        (
            "POST /api/v1/events HTTP/1.1\r\nHost: x\r\n"
            f"Authorization: Bearer {served.key}\r\nContent-Length: {33 * MIB}\r\n\r\n"
        ).encode()
    )
    answer = sock.recv(65536)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer


def test_bad_cursor_is_422_and_the_connection_lives_on(served: Served):
    """``t1:9999999999999999999`` overflowed bigint (500) and reset the keep-alive connection."""
    token = {"Authorization": f"Bearer {mint('m1', exp=int(time.time()) + 600)}"}
    overflowing = base64.urlsafe_b64encode(b"t1:9999999999999999999").decode().rstrip("=")
    with httpx.Client(base_url=served.server.base_url, timeout=10) as client:
        for cursor in [overflowing, "not-a-cursor", "AAAA", "dDE6NQ"]:  # dDE6NQ: the old t1:5
            refused = client.get(
                "/api/v1/tokenomics/transactions", headers=token, params={"cursor": cursor}
            )
            assert refused.status_code == 422, refused.text
            assert refused.json()["fields"] == [
                {"field": "query.cursor", "reason": refused.json()["detail"].split(": ", 1)[1]}
            ]
        after = client.get("/api/v1/tokenomics/balance", headers=token)
        assert after.status_code == 200, after.text
        assert after.extensions["network_stream"] is not None


def test_every_route_with_a_body_is_gated(econ: Economy):
    """A new POST route without a gate would read bodies before authenticating."""
    from systok.api.edge import EdgeMiddleware

    app = create_app(econ.engine, member_settings())
    edge = next(m for m in app.user_middleware if m.cls is EdgeMiddleware)
    gated = {(gate.method, gate.path) for gate in edge.kwargs["gates"]}
    schema = econ.client.get("/openapi.json").json()
    with_body = {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in {"post", "put", "patch"}
    }
    assert with_body == gated


# --- payload bound, webhook header shape ------------------------------------------------


@pytest.fixture
def small_payloads(engine) -> Iterator[Economy]:
    settings = member_settings(event_payload_max_bytes=1000)
    app = create_app(engine, settings, default_policy(settings))
    seed_members(engine)
    with serve(app, engine) as server:
        yield Economy(server)


def _event(n: int, payload: object) -> dict[str, object]:
    return {
        "source": "forum",
        "id": f"e{n}",
        "type": "ClubPostCreated",
        "member": "m1",
        "occurred_at": iso_ago(),
        "payload": payload,
    }


def test_an_event_payload_above_the_setting_is_refused_413_and_nothing_is_stored(
    small_payloads: Economy,
):
    before = table_counts(small_payloads.engine)
    body = {"events": [_event(0, {"x": "a" * 100}), _event(1, {"x": "é" * 500})]}
    response = small_payloads.client.post(
        "/api/v1/events", json=body, headers=small_payloads.as_key("events:write")
    )
    assert response.status_code == 413, response.text
    answer = response.json()
    assert answer["fields"][0]["field"] == "body.events.1.payload"
    assert "1000 bytes" in answer["detail"] and "SYSTOK_EVENT_PAYLOAD_MAX_BYTES" in answer["detail"]
    assert table_counts(small_payloads.engine) == before
    fits = small_payloads.client.post(
        "/api/v1/events",
        json={"events": [_event(2, {"x": "a" * 900})]},
        headers=small_payloads.as_key("events:write"),
    )
    assert fits.status_code == 200 and fits.json()["accepted"] == 1, fits.text


@pytest.mark.parametrize(
    "signature", [None, "sha1=abc", "sha256=" + "0" * 63, "sha256=" + "g" * 64]
)
def test_webhook_signature_shape_is_checked_before_the_body(live, signature):
    headers = {"X-Discourse-Event": "post_created", "Content-Type": "application/json"}
    if signature is not None:
        headers["X-Discourse-Event-Signature"] = signature
    response = live.client.post("/api/v1/webhooks/discourse", content=b"{}", headers=headers)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "WebhookSignatureInvalid"


# --- member tokens live at most the configured time -------------------------------------


@pytest.mark.parametrize(
    ("claims", "accepted"),
    [
        ({}, True),
        ({"exp": 32503680000}, False),  # 3000-01-01
        ({"iat": None, "exp": 32503680000}, False),
        ({"iat": int(time.time()) - 100_000, "exp": int(time.time()) + 600}, False),
        ({"iat": None, "exp": int(time.time()) + 3600}, True),
    ],
)
def test_member_token_lifetime_is_bounded(econ: Economy, claims, accepted):
    headers = {"Authorization": f"Bearer {mint('m1', **claims)}"}
    response = econ.get("balance", headers)
    assert (response.status_code == 200) is accepted, response.text
    if not accepted:
        assert "SYSTOK_JWT_MAX_LIFETIME_SECONDS" in response.json()["detail"]


# --- 422s name their field in `fields` ----------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "reason_part"),
    [
        ("0.0000001", "decimal places"),
        ("0", "positive"),
        ("000", "positive"),
        ("00.5", "does not match"),
        ("1e3", "pattern"),
    ],
)
def test_transfer_amount_refusals_carry_fields(econ: Economy, amount, reason_part):
    fund(econ.engine, "m1", 10 * STK)
    response = econ.transfer("m1", "m2", amount)
    assert response.status_code == 422, response.text
    problems = response.json()["fields"]
    assert [p["field"] for p in problems] == ["body.amount"], problems
    assert reason_part in problems[0]["reason"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-03-01", "to": "2026-01-01"}, "query.from"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "query.from"),
        ({"to": "0"}, "query.to"),
        ({"from": "1700000000"}, "query.from"),
    ],
)
def test_history_refusals_carry_fields(econ: Economy, params, field):
    response = econ.get("balance/history", econ.as_member("m1"), **params)
    assert response.status_code == 422, response.text
    assert [p["field"] for p in response.json()["fields"]] == [field], response.text


def test_key_without_member_names_query_member(econ: Economy):
    response = econ.get("balance", econ.as_key("admin:read"))
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "query.member"


def test_transactions_to_zero_is_refused(econ: Economy):
    response = econ.get("transactions", econ.as_member("m1"), to="0")
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "query.to"


# --- the OpenAPI schema states what the server enforces ---------------------------------


def test_openapi_states_the_limits(econ: Economy):
    schema = econ.client.get("/openapi.json").json()
    paths = schema["paths"]
    history = {
        p["name"]: p for p in paths["/api/v1/tokenomics/balance/history"]["get"]["parameters"]
    }
    assert "366 days" in history["from"]["description"]
    assert history["to"]["schema"]["anyOf"][0]["pattern"] == r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
    weekly = {p["name"]: p for p in paths["/api/v1/tokenomics/rewards/weekly"]["get"]["parameters"]}
    week_pattern = weekly["week"]["schema"]["pattern"]
    assert not re.search(week_pattern, "0000-W00")
    assert not re.search(week_pattern, "2026-W54")
    assert re.search(week_pattern, "2026-W46")
    assert "Required with an API key" in weekly["member"]["description"]
    amount = schema["components"]["schemas"]["TransferIn"]["properties"]["amount"]
    assert not re.search(amount["pattern"], "0")
    assert not re.search(amount["pattern"], "0.0000001")
    assert re.search(amount["pattern"], "0.000001")


# --- parse_amount costs microseconds whatever it is given ---------------------------------


@pytest.mark.parametrize(
    "text",
    ["1e999990", "1e999999999", "1E+999990", "-1e-999999999", "9" * 100, " 1e5 ", "1_000", "NaN"],
)
def test_parse_amount_refuses_exponents_and_overlong_text_fast(text):
    started = time.process_time()
    with pytest.raises(AmountError):
        parse_amount(text, 6)
    assert time.process_time() - started < 0.1


@pytest.mark.parametrize("number", [Decimal("1e999990"), Decimal("1e999999999"), Decimal("1e-50")])
def test_parse_amount_refuses_huge_decimals_fast(number):
    started = time.process_time()
    with pytest.raises(AmountError):
        parse_amount(number, 6)
    assert time.process_time() - started < 0.1


def test_parse_amount_still_parses_plain_amounts():
    assert parse_amount("12.5", 6) == 12_500_000
    assert parse_amount(" 7 ", 6) == 7_000_000
    assert parse_amount(".5", 6) == 500_000
    assert parse_amount(Decimal("1E+3"), 6) == 1_000_000_000
    assert parse_amount(12, 6) == 12_000_000


def test_a_policy_with_a_huge_amount_is_refused_fast():
    text = Path("policies/stk-2025-12.toml").read_text()
    assert "price = " in text
    broken = text.replace('price = "500"', 'price = "1e999990"', 1)
    assert broken != text
    started = time.process_time()
    with pytest.raises(PolicyInvalid) as refused:
        parse_policy(broken, "huge.toml")
    assert time.process_time() - started < 2
    assert "price" in str(refused.value)


# --- a reused Idempotency-Key answers the first answer -------------------------------------


def _twin_commits_first(monkeypatch, routes, operation_name: str) -> None:
    """Make the route's first call lose the race to an identical twin: the twin's
    transaction commits, then this one is refused by what the twin did (its funds are
    gone), exactly as a concurrent request would be."""

    real = getattr(routes, operation_name)
    calls = {"n": 0}

    def racing(session, policy, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            engine = session.get_bind()
            run_transaction(engine, lambda twin: real(twin, policy, **kwargs))
            raise InsufficientFunds("member:m3@STK has 0 available; the debit needs more")
        return real(session, policy, **kwargs)

    monkeypatch.setattr(routes, operation_name, racing)


def test_a_refusal_caused_by_the_twin_request_replays_the_twin(econ: Economy, monkeypatch):
    fund(econ.engine, "m3", 100 * STK + STK // 2)
    from systok.api.routes import transfers

    _twin_commits_first(monkeypatch, transfers, "send_transfer")
    # The race of the Python path: on PostgreSQL the one statement (ADR 0045) would post
    # first; a twin there is replayed by the posting function under the accounts' locks.
    monkeypatch.setattr(transfers, "send_transfer_in_one_statement", lambda *_, **__: None)
    response = econ.transfer("m3", "m1", "100", key="same-key")
    assert response.status_code == 200, response.text
    assert response.json()["replayed"] is True
    assert balances(econ.engine)["member:m3@STK"] == (0, 0)


def test_a_refusal_caused_by_the_twin_purchase_replays_the_twin(econ: Economy, monkeypatch):
    fund(econ.engine, "m3", 500 * STK)
    from systok.api.routes import marketplace

    _twin_commits_first(monkeypatch, marketplace, "purchase")
    response = econ.buy("m3", "course_basic", key="same-key")
    assert response.status_code == 200, response.text
    assert response.json()["replayed"] is True


def test_a_refusal_stores_nothing_against_the_key(econ: Economy):
    """Documented (docs/api.md, ADR 0010): a refused request does not consume its key;
    the same key after the cause is gone is evaluated afresh."""
    refused = econ.transfer("m3", "m1", "100", key="retry-me")
    assert refused.status_code == 409 and refused.json()["error"] == "InsufficientFunds"
    fund(econ.engine, "m3", 100 * STK + STK // 2)
    posted = econ.transfer("m3", "m1", "100", key="retry-me")
    assert posted.status_code == 200 and posted.json()["replayed"] is False
    again = econ.transfer("m3", "m1", "100", key="retry-me")
    assert again.status_code == 200 and again.json()["replayed"] is True
    other = econ.transfer("m3", "m1", "99", key="retry-me")
    assert other.status_code == 409 and other.json()["error"] == "IdempotencyConflict"
