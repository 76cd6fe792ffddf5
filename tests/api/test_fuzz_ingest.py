"""Fuzz the ingest door and the Discourse webhook over real HTTP, on both backends.

Hypothesis builds request bodies as JSON *text*, so they can hold what a Python object
cannot be dumped with: lone surrogates (``\\ud800`` escapes), NUL, bidirectional
controls, NFD spellings, integers of thousands of digits, ``1e999``/``NaN``, and
nesting thousands of levels deep. Each body goes to a real uvicorn server on loopback
(``live``); whatever it is, the answer is never a 5xx, a 200 accounts for every event
(received = accepted + duplicate + conflict + rejected), and the database's counters
agree with its rows. Examples are bounded (``FUZZ_EXAMPLES``) so CI runs this in about
a minute per backend.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.api.conftest import LiveServer, discourse_headers, iso_ago, table_counts
from tests.api.test_discourse_webhook import like, post

FUZZ_EXAMPLES = 300

NASTY_STRINGS = [
    "\\u0000",
    "a\\u0000b",
    "\\ud800",
    "x\\udfffy",
    "\\udbff\\udbff",
    "\\u202e",
    "\\u2066evil\\u2069",
    "\\u200f",
    "\\u061c",
    "\\n",
    "\\t",
    "\\u007f",
    "\\u0085",
    "\\ufeff",
    "\\uffff",
    "\\ud83d\\ude00",  # a proper surrogate pair: 😀
    "caf\\u00e9",  # NFC
    "cafe\\u0301",  # NFD of the same
    "\\u0958",  # NFC lengthens it (a composition exclusion)
    "posthog:",
    ":",
    "a" * 250,
    " ",
]
"""JSON string *bodies* (escapes as JSON writes them) worth trying in every field."""


def _quoted(body: str) -> str:
    return f'"{body}"'


# Any Unicode code point, surrogates included: ``json.dumps`` writes them as escapes.
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=24)
string_json = st.one_of(
    any_text.map(json.dumps),
    st.sampled_from(NASTY_STRINGS).map(_quoted),
    st.tuples(st.sampled_from(NASTY_STRINGS), any_text).map(
        lambda pair: _quoted(pair[0] + json.dumps(pair[1])[1:-1])
    ),
)
number_json = st.one_of(
    st.integers().map(str),
    st.integers(19, 5000).map(lambda digits: "9" * digits),  # beyond bigint … beyond int()
    st.sampled_from(["1e999", "-1e999", "NaN", "Infinity", "-0", "1.5", "1E-400"]),
)
scalar_json = st.one_of(string_json, number_json, st.sampled_from(["true", "false", "null"]))
deep_json = st.tuples(st.integers(30, 5000), st.sampled_from(["[]", "{}"])).map(
    lambda spec: (
        ('[{"a":' * spec[0] + "1" + "}]" * spec[0])
        if spec[1] == "{}"
        else "[" * spec[0] + "]" * spec[0]
    )
)
any_json = st.recursive(
    st.one_of(scalar_json, deep_json),
    lambda children: st.one_of(
        st.lists(children, max_size=4).map(lambda items: "[" + ",".join(items) + "]"),
        st.lists(st.tuples(string_json, children), max_size=4).map(
            lambda pairs: "{" + ",".join(f"{k}:{v}" for k, v in pairs) + "}"
        ),
    ),
    max_leaves=12,
)


def _valid_fields(recent: str) -> dict[str, st.SearchStrategy[str]]:
    """Fields of a good event, with ids from a small range so repeats (duplicates and
    conflicts) happen, and NFC/NFD spellings of one id."""
    return {
        "source": st.sampled_from(["posthog", "platform"]).map(json.dumps),
        "id": st.one_of(
            st.integers(0, 6).map(lambda i: json.dumps(f"e-{i}")),
            st.sampled_from(["café", "Zoë"]).map(
                lambda s: json.dumps(unicodedata.normalize("NFD", s), ensure_ascii=False)
            ),
            st.sampled_from(["café", "Zoë"]).map(json.dumps),
        ),
        "type": st.sampled_from(["ExerciseSave", "SectionCompleted", "ClubPostCreated"]).map(
            json.dumps
        ),
        "member": st.sampled_from(["posthog:a", "posthog:b", "discourse:zoë", "m404"]).map(
            json.dumps
        ),
        "counterpart": st.sampled_from(["posthog:b", "null"]).map(
            lambda s: s if s == "null" else json.dumps(s)
        ),
        "occurred_at": st.just(json.dumps(recent)),
        "payload": st.one_of(st.just("{}"), st.integers(0, 2).map(lambda n: json.dumps({"n": n}))),
    }


@st.composite
def event_json(draw: st.DrawFn, recent: str) -> str:
    """One event as JSON text: each field good, a nasty string, any JSON, or missing."""
    parts = []
    for name, good in _valid_fields(recent).items():
        choice = draw(st.sampled_from(["good"] * 6 + ["string", "any", "missing"]))
        if choice == "missing":
            continue
        value = draw(good if choice == "good" else string_json if choice == "string" else any_json)
        parts.append(f'"{name}":{value}')
    if draw(st.booleans()):
        parts.append(f"{draw(string_json)}:{draw(any_json)}")  # an extra field
    return "{" + ",".join(parts) + "}"


def _batch_bodies(recent: str) -> st.SearchStrategy[str]:
    events = st.lists(st.one_of(event_json(recent), any_json), max_size=8)
    return st.one_of(
        events.map(lambda items: '{"events":[' + ",".join(items) + "]}"),
        any_json,  # not a batch at all
    )


def _accounting_holds(live: LiveServer) -> None:
    counts = table_counts(live.engine)
    assert counts["received"] == (
        counts["accepted"] + counts["duplicates"] + counts["conflicts"] + counts["quarantined"]
    ), counts
    assert counts["events"] == counts["accepted"], counts
    assert counts["quarantine"] == counts["quarantined"] + counts["conflicts"], counts


def _answer_accounts_for_every_event(response: Any) -> None:
    assert response.status_code < 500, response.text
    event(f"status {response.status_code}")
    if response.status_code != 200:
        assert "error" in response.json()
        return
    body = response.json()
    assert body["received"] == len(body["results"])
    assert body["received"] == (
        body["accepted"] + body["duplicate"] + body["conflict"] + body["rejected"]
    ), body
    for result in body["results"]:
        event(f"an event {result['outcome']}")
        if result["outcome"] in ("rejected", "conflict"):
            assert result["reason"] and result["quarantine_id"] is not None, result


FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)


@FUZZ
@given(data=st.data())
def test_fuzzed_batches_never_5xx_and_nothing_is_lost(live: LiveServer, data: st.DataObject):
    if not hasattr(live, "fuzz_key"):
        live.fuzz_key = live.make_key("fuzz")  # type: ignore[attr-defined]
    body = data.draw(_batch_bodies(iso_ago()), label="body")
    response = live.client.post(
        "/api/v1/events",
        content=body.encode("utf-8", errors="surrogatepass"),
        headers={
            "Authorization": f"Bearer {live.fuzz_key}",  # type: ignore[attr-defined]
            "Content-Type": "application/json",
        },
    )
    _answer_accounts_for_every_event(response)
    _accounting_holds(live)


def _post_json(recent: str) -> st.SearchStrategy[str]:
    """A Discourse post (``WebHookPostSerializer`` fields) with some fields fuzzed."""
    good = post(created_at=recent)

    @st.composite
    def build(draw: st.DrawFn) -> str:
        parts = []
        for name, value in good.items():
            choice = draw(st.sampled_from(["good"] * 5 + ["string", "any", "missing"]))
            if choice == "missing":
                continue
            text = (
                json.dumps(value, ensure_ascii=False)
                if choice == "good"
                else draw(string_json if choice == "string" else any_json)
            )
            parts.append(f'"{name}":{text}')
        if draw(st.booleans()):
            replied = draw(st.one_of(string_json, any_json, st.just('{"username":"boris"}')))
            parts.append(f'"reply_to_user":{replied}')
        return "{" + ",".join(parts) + "}"

    return build()


def _webhook_deliveries(recent: str) -> st.SearchStrategy[tuple[str | None, str]]:
    posts = _post_json(recent)
    user = st.one_of(
        st.just(json.dumps(like(post())["like"]["user"])),
        st.tuples(any_json, string_json).map(lambda p: f'{{"id":{p[0]},"username":{p[1]}}}'),
        any_json,
    )
    return st.one_of(
        st.tuples(st.just("post_created"), posts.map(lambda p: f'{{"post":{p}}}')),
        st.tuples(
            st.just("post_liked"),
            st.tuples(posts, user).map(lambda p: f'{{"like":{{"post":{p[0]},"user":{p[1]}}}}}'),
        ),
        st.tuples(st.sampled_from([None, "post_created", "post_liked", "topic_created"]), any_json),
    )


@FUZZ
@given(data=st.data())
def test_fuzzed_signed_webhooks_never_5xx_and_nothing_is_lost(
    live: LiveServer, data: st.DataObject
):
    event, body = data.draw(_webhook_deliveries(iso_ago(600)), label="delivery")
    raw = body.encode("utf-8", errors="surrogatepass")
    response = live.client.post(
        "/api/v1/webhooks/discourse", content=raw, headers=discourse_headers(raw, event, 1)
    )
    _answer_accounts_for_every_event(response)
    _accounting_holds(live)
