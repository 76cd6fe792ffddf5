"""The quick reading of records and payloads is the pydantic reading, where it answers.

``quick_event`` skips pydantic for plain records (ADR 0048); it must never accept what
``IncomingEvent`` refuses nor read a field otherwise. ``payload_json`` must write what
``json.dumps(payload, sort_keys=True, ensure_ascii=False)`` writes.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from systok.ingest.schemas import IncomingEvent
from systok.ingest.validation import payload_json, quick_event

TRICKY = st.sampled_from(
    ["", " ", "\t", "\x00", "\x1f", "\x7f", "\u200e", "e\u0301", "\ud800", "é", ":", "m1", "Z"]
)
TEXT = st.one_of(
    st.text(alphabet=st.characters(codec="ascii"), max_size=8),
    st.lists(TRICKY, max_size=3).map("".join),
    st.text(max_size=4),
    st.integers(0, 3).map(lambda n: "x" * (n + 30)),
    st.integers(0, 3).map(lambda n: "y" * (n + 62)),
)
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    TEXT,
)
PAYLOAD = st.recursive(
    SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(TEXT, inner, max_size=3)),
    max_leaves=6,
)
PLAIN = st.from_regex(r"[!-~]{1,6}", fullmatch=True)
FIELD = st.one_of(PLAIN, TEXT, st.none(), st.integers(0, 9))
NEAR_PLAIN = st.one_of(PLAIN, st.tuples(PLAIN, TRICKY, PLAIN).map("".join))


@st.composite
def records(draw: st.DrawFn) -> dict[Any, Any]:
    record: dict[Any, Any] = {}
    for name in ("source", "id", "type", "member", "occurred_at", "counterpart"):
        if draw(st.booleans()) or (name != "counterpart" and draw(st.integers(0, 19)) > 0):
            record[name] = draw(FIELD)
    if draw(st.booleans()):
        record["payload"] = draw(
            st.one_of(PAYLOAD, st.dictionaries(st.one_of(PLAIN, TEXT), SCALAR, max_size=4))
        )
    if draw(st.integers(0, 19)) == 0:
        record[draw(st.sampled_from([1, "extra", ("t",)]))] = "x"
    return record


NEAR_PLAIN_RECORDS = st.fixed_dictionaries(
    {name: NEAR_PLAIN for name in ("source", "id", "type", "member", "occurred_at")},
    optional={
        "counterpart": st.one_of(st.none(), NEAR_PLAIN),
        "payload": st.dictionaries(NEAR_PLAIN, st.one_of(SCALAR, PAYLOAD), max_size=3),
    },
)
"""Records close to the quick path's edge: most take it, some must not."""


@settings(max_examples=600, deadline=None)
@given(st.one_of(records(), NEAR_PLAIN_RECORDS))
def test_quick_event_reads_as_pydantic_does(record: dict[Any, Any]) -> None:
    quick = quick_event(record)
    if quick is None:
        return
    try:
        model = IncomingEvent.model_validate(record)
    except ValidationError as error:
        raise AssertionError(f"quick path accepted what pydantic refuses: {error}") from None
    assert quick._asdict() == {name: getattr(model, name) for name in quick._fields}


def test_quick_event_takes_plain_records() -> None:
    record = {
        "source": "posthog",
        "id": "e-1",
        "type": "ExerciseSave",
        "member": "posthog:abc",
        "occurred_at": "2025-05-14T10:01:02Z",
        "payload": {"n": 1, "note": "café", "nested": {"a": [1, 2.5]}},
    }
    quick = quick_event(record)
    assert quick is not None
    assert quick.counterpart is None and quick.payload == record["payload"]
    assert quick_event({**record, "id": "e 1"}) is None  # a space: pydantic strips
    assert quick_event({**record, "member": "cafe\u0301"}) is None  # NFC: pydantic decides


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(TEXT, PAYLOAD, max_size=4))
def test_payload_json_is_json_dumps(payload: dict[str, Any]) -> None:
    try:
        expected = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    except (TypeError, ValueError):
        return
    assert payload_json(payload) == expected
