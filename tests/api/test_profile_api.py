"""``/api/v1/tokenomics/profile`` over real HTTP, and the messages the member API's
writes enqueue in their own unit of work (ADR 0037).

Golden values: a transfer of 100 STK from m1 to m2 (fee 0.5 %, policy stk-2025-12)
tells m2 "Вам перевели 100,000000 STK" by email and Telegram; buying ``course_basic``
(500 STK, 30-day period per the policy) tells m1 the price 500,000000 (Russian).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from systok.notify.schemas import MessageKind
from tests.api.economy import STK, Economy, fund, state

pytestmark = pytest.mark.clock
PROFILE = "/api/v1/tokenomics/profile"


def outbox(econ: Economy) -> list[dict[str, Any]]:
    with econ.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM notify_outbox ORDER BY id")).mappings()
        return [dict(r) for r in rows]


def test_a_member_reads_defaults_then_sets_and_patches_their_profile(econ: Economy) -> None:
    me = econ.as_member("m1")
    got = econ.client.get(PROFILE, headers=me)
    assert got.status_code == 200, got.text
    assert got.json() == {
        "member": "m1",
        "email": None,
        "telegram_chat_id": None,
        "language": "ru",
        "opt_outs": [],
    }
    put = econ.client.put(
        PROFILE,
        headers=me,
        json={"email": "m1@example.org", "language": "en", "opt_outs": ["weekly_reward"]},
    )
    assert put.status_code == 200, put.text
    assert put.json()["email"] == "m1@example.org" and put.json()["language"] == "en"
    patched = econ.client.patch(PROFILE, headers=me, json={"telegram_chat_id": "-100123"})
    assert patched.json() == {
        "member": "m1",
        "email": "m1@example.org",
        "telegram_chat_id": "-100123",
        "language": "en",
        "opt_outs": ["weekly_reward"],
    }
    cleared = econ.client.patch(PROFILE, headers=me, json={"email": None})
    assert cleared.json()["email"] is None and cleared.json()["telegram_chat_id"] == "-100123"
    replaced = econ.client.put(PROFILE, headers=me, json={})
    assert replaced.json() == got.json()  # PUT of nothing: back to the defaults


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not an address"}, "body.email"),
        # issue 14, defect 5: each of these changed who would receive the mail
        ({"email": "anna\u0000@example.org"}, "body.email"),
        ({"email": "anna\u007f@example.org"}, "body.email"),
        ({"email": "anna(comment)@example.org"}, "body.email"),
        ({"email": "evil:anna@example.org"}, "body.email"),
        ({"email": "anna@[127.0.0.1]"}, "body.email"),
        ({"email": "a[b]@example.org"}, "body.email"),
        ({"email": "anna..b@example.org"}, "body.email"),
        ({"email": "анна@example.org"}, "body.email"),
        ({"email": "a" * 65 + "@example.org"}, "body.email"),
        (
            {"email": "a@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 63 + "." + "e" * 61},
            "body.email",
        ),
        ({"telegram_chat_id": "12ab"}, "body.telegram_chat_id"),
        ({"language": "de"}, "body.language"),
        ({"opt_outs": ["spam"]}, "body.opt_outs.0"),
        ({"colour": "red"}, "body.colour"),
    ],
)
def test_invalid_fields_are_named_and_nothing_is_written(
    econ: Economy, body: dict[str, Any], field: str
) -> None:
    me = econ.as_member("m1")
    before = econ.client.get(PROFILE, headers=me).json()
    refused = econ.client.patch(PROFILE, headers=me, json=body)
    assert refused.status_code == 422, refused.text
    assert [f["field"] for f in refused.json()["fields"]] == [field]
    assert econ.client.get(PROFILE, headers=me).json() == before


def test_who_may_read_and_write_a_profile(econ: Economy) -> None:
    assert econ.client.get(PROFILE).status_code == 401
    other = econ.client.get(PROFILE, headers=econ.as_member("m1"), params={"member": "m2"})
    assert (other.status_code, other.json()["error"]) == (403, "NotYourAccount")
    admin = econ.as_key("admin:read")
    assert econ.client.get(PROFILE, headers=admin, params={"member": "m2"}).status_code == 200
    unknown = econ.client.get(PROFILE, headers=admin, params={"member": "ghost"})
    assert (unknown.status_code, unknown.json()["error"]) == (404, "UnknownMember")
    by_key = econ.client.put(PROFILE, headers=admin, params={"member": "m2"}, json={})
    assert by_key.status_code == 403
    foreign = econ.client.put(
        PROFILE, headers=econ.as_member("m1"), params={"member": "m2"}, json={}
    )
    assert foreign.status_code == 403


def test_openapi_declares_every_error_status(econ: Economy) -> None:
    paths = econ.client.get("/openapi.json").json()["paths"]
    profile = paths[PROFILE]
    assert set(profile["get"]["responses"]) >= {"200", "401", "403", "404", "422", "503"}
    for method in ("put", "patch"):
        assert set(profile[method]["responses"]) >= {"200", "401", "403", "404", "413", "422"}


def test_a_transfer_tells_the_recipient_and_a_refused_one_nobody(econ: Economy) -> None:
    econ.client.put(
        PROFILE,
        headers=econ.as_member("m2"),
        json={"email": "m2@example.org", "telegram_chat_id": "777"},
    )
    fund(econ.engine, "m1", 1000 * STK)
    done = econ.transfer("m1", "m2", "100", key="t-1")
    assert done.status_code == 200, done.text
    assert econ.transfer("m1", "m2", "100", key="t-1").json()["replayed"] is True
    rows = outbox(econ)
    assert [(r["kind"], r["member_id"], r["channel"]) for r in rows] == [
        (MessageKind.TRANSFER_RECEIVED.value, "m2", "email"),
        (MessageKind.TRANSFER_RECEIVED.value, "m2", "telegram"),
    ]
    assert rows[0]["subject"] == "Вам перевели 100,000000 STK"
    assert "Участник m1 перевёл вам 100,000000 STK" in rows[0]["body"]
    before = state(econ.engine)
    refused = econ.transfer("m1", "m2", "5000")
    assert refused.json()["error"] == "InsufficientFunds"
    assert state(econ.engine) == before
    assert len(outbox(econ)) == 2


def test_a_purchase_tells_the_buyer_and_a_refused_one_nobody(econ: Economy) -> None:
    econ.client.put(PROFILE, headers=econ.as_member("m1"), json={"email": "m1@example.org"})
    fund(econ.engine, "m1", 700 * STK)
    assert econ.buy("m1", "course_basic", key="b-1").status_code == 200
    [row] = outbox(econ)
    assert row["kind"] == "purchase_confirmed" and row["address"] == "m1@example.org"
    assert "500,000000 STK" in row["body"]
    refused = econ.buy("m1", "course_basic")  # 200 STK left
    assert refused.json()["error"] == "InsufficientFunds"
    assert len(outbox(econ)) == 1
