"""PostHog pull against a stand-in query API: keyset pages, 429, crash and resume."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, select

from systok.core.times import datetime_to_us, parse_utc_us, us_to_datetime
from systok.db.engine import run_transaction
from systok.db.tables import Event
from systok.errors import EventMapInvalid, PullFailed
from systok.ingest import repository as repo
from systok.ingest.sources import posthog
from systok.ingest.sources.posthog_event_map import load_event_map
from tests.ingest.stand_in import Sleeps, assert_nothing_lost, policy, serve, settings

# Events and tokens are made relative to the clock: CI reruns these at frozen dates.
pytestmark = pytest.mark.clock

PROJECT = "42"
KEY = "phx_test"
MINUTE_US = 60_000_000
DAY_US = 86_400_000_000


@dataclass
class Row:
    uuid: str
    event: str
    distinct_id: str
    properties: dict[str, Any]
    timestamp_us: int


@dataclass
class State:
    rows: list[Row] = field(default_factory=list)
    pages_served: int = 0
    fail_after_pages: int | None = None
    limit_first_call: bool = False
    calls: int = 0
    bodies: list[dict[str, Any]] = field(default_factory=list)
    project_tz: str = "UTC"
    """The PostHog project's time zone (Project settings → Time zone)."""


state = State()


def _bound_us(query: str, name: str, text: str) -> int:
    """A time bound as HogQL reads it in a project whose time zone is ``state.project_tz``.

    HogQL compares ``timestamp`` as ``toTimeZone(events.timestamp, <project zone>)``, so a
    bare string placeholder is a wall time in the project's zone; ``toDateTime64({x}, 6,
    'UTC')`` carries its own zone (posthog/hogql/printer.py: a ``tz_aware`` function gets
    the project's zone appended only without the zone argument; the arity comes from
    posthog/hogql/functions/mapping.py, ``toDateTime64`` 1..3 arguments).
    """
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        explicit_utc = f"toDateTime64({{{name}}}, 6, 'UTC')" in query
        zone = ZoneInfo("UTC") if explicit_utc else ZoneInfo(state.project_tz)
        moment = moment.replace(tzinfo=zone)
    return datetime_to_us(moment)


def _hogql_us(text: str) -> int:
    return datetime_to_us(datetime.fromisoformat(text).replace(tzinfo=UTC))


def _app() -> FastAPI:
    app = FastAPI()

    @app.post("/api/projects/{project}/query/")
    async def query(project: str, request: Request) -> JSONResponse:
        state.calls += 1
        assert project == PROJECT
        assert request.headers["authorization"] == f"Bearer {KEY}"
        body = await request.json()
        state.bodies.append(body)
        assert body["refresh"] == "force_blocking"
        assert body["query"]["kind"] == "HogQLQuery"
        if state.limit_first_call and state.calls == 1:
            return JSONResponse({"detail": "throttled"}, 429, headers={"Retry-After": "7"})
        if state.fail_after_pages is not None and state.pages_served >= state.fail_after_pages:
            return JSONResponse({"detail": "ClickHouse is down"}, 500)
        values = body["query"]["values"]
        sql = body["query"]["query"]
        limit = int(re.search(r"LIMIT (\d+)", sql).group(1))  # type: ignore[union-attr]
        start, end = _bound_us(sql, "start", values["start"]), _bound_us(sql, "end", values["end"])
        after = (_bound_us(sql, "after_ts", values["after_ts"]), values["after_uuid"])
        chosen = sorted(
            (
                r
                for r in state.rows
                if r.event in values["names"]
                and start <= r.timestamp_us < end
                and (r.timestamp_us, r.uuid) > after
            ),
            key=lambda r: (r.timestamp_us, r.uuid),
        )[:limit]
        state.pages_served += 1
        results = []
        for i, r in enumerate(chosen):
            moment = us_to_datetime(r.timestamp_us)
            if state.project_tz != "UTC":
                # ``timestamp`` is selected as toTimeZone(timestamp, <project zone>): the
                # answer is that zone's wall time with its offset (…T05:03:11.913767-04:00).
                local = moment.astimezone(ZoneInfo(state.project_tz))
                props = r.properties if i % 2 else json.dumps(r.properties)  # type: ignore[assignment]
                results.append([r.uuid, r.event, r.distinct_id, props, local.isoformat()])
                continue
            # Both shapes PostHog may use: ISO with Z and JSON text, or naive and an object.
            if i % 2:
                stamp, props = moment.strftime("%Y-%m-%d %H:%M:%S.%f"), r.properties
            else:
                stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                props = json.dumps(r.properties)  # type: ignore[assignment]
            results.append([r.uuid, r.event, r.distinct_id, props, stamp])
        return JSONResponse(
            {
                "columns": ["uuid", "event", "distinct_id", "properties", "timestamp"],
                "types": [["uuid", "String"], ["event", "String"]],
                "results": results,
                "hasMore": False,
                "is_cached": False,
            }
        )

    return app


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(_app()) as url:
        yield url


@pytest.fixture(autouse=True)
def _fresh_state(engine: Engine) -> None:
    """A clean stand-in, and member m001 (named by one row's ``member_id`` property)."""
    state.__dict__.update(State().__dict__)
    run_transaction(engine, lambda s: repo.ensure_member(s, "m001", posthog.now_us()))


NAMES = ["ExerciseSave", "SectionCompleted", "PageView", "CourseCompleted"]


def make_rows(start_us: int, count: int = 25) -> list[Row]:
    """Events a minute apart, with a pair sharing a timestamp, plus one unpriced $pageview."""
    rows = []
    for i in range(count):
        ts = start_us + (i if i != 5 else 4) * MINUTE_US  # rows 4 and 5 tie
        props = {"exercise_id": f"py-{i:02d}", "$current_url": "https://learn.example/x"}
        if i == 3:
            props["member_id"] = "m001"
        rows.append(Row(str(uuid.uuid4()), NAMES[i % 4], f"d-{i % 5}", props, ts))
    rows.append(Row(str(uuid.uuid4()), "$pageview", "d-1", {}, start_us + MINUTE_US))
    return rows


def stored(engine: Engine) -> list[str]:
    return run_transaction(
        engine,
        lambda s: list(
            s.execute(select(Event.source_event_id).where(Event.source == "posthog")).scalars()
        ),
    )


def pull(engine: Engine, base_url: str, sleeps: Sleeps | None = None, **kwargs: Any) -> Any:
    config = settings(posthog_url=base_url, posthog_project_id=PROJECT, posthog_api_key=KEY)
    client = posthog.client_for(config, sleep=sleeps if sleeps is not None else Sleeps())
    with client:
        return posthog.pull_posthog(engine, config, policy(), client=client, page_rows=10, **kwargs)


def test_pages_429_and_member_mapping(engine: Engine, base_url: str) -> None:
    now = posthog.now_us()
    start = now - 2 * DAY_US
    state.rows = make_rows(start)
    state.limit_first_call = True
    sleeps = Sleeps()
    summary = pull(engine, base_url, sleeps, since_us=start - MINUTE_US)
    expected = sorted(r.uuid for r in state.rows if r.event != "$pageview")
    assert sorted(stored(engine)) == expected
    assert (summary.accepted, summary.duplicates, summary.quarantined) == (25, 0, 0)
    assert summary.pages == 3
    assert sleeps == [7.0]
    names = state.bodies[-1]["query"]["values"]["names"]
    assert names == sorted(NAMES)

    def rows(session: Any) -> dict[str, Any]:
        return {e.source_event_id: e for e in session.execute(select(Event)).scalars()}

    by_id = run_transaction(engine, rows)
    with_member = by_id[state.rows[3].uuid]
    assert with_member.member_id == "m001" and with_member.actor_source is None
    plain = by_id[state.rows[0].uuid]
    assert (plain.member_id, plain.actor_source, plain.actor_alias) == (None, "posthog", "d-0")
    assert json.loads(plain.payload) == {"distinct_id": "d-0", "exercise_id": "py-00"}
    assert plain.occurred_at_us == state.rows[0].timestamp_us


def test_crash_mid_pull_then_resume_neither_loses_nor_duplicates(
    engine: Engine, base_url: str
) -> None:
    start = posthog.now_us() - DAY_US
    state.rows = make_rows(start, count=35)
    state.fail_after_pages = 2
    with pytest.raises(PullFailed) as caught:
        pull(engine, base_url, since_us=start)
    assert caught.value.status == 500
    ordered = sorted(
        (r for r in state.rows if r.event != "$pageview"), key=lambda r: (r.timestamp_us, r.uuid)
    )
    assert sorted(stored(engine)) == sorted(r.uuid for r in ordered[:20])
    cursor = run_transaction(engine, posthog.read_position)
    assert cursor == posthog.Position(ordered[19].timestamp_us, ordered[19].uuid)

    state.fail_after_pages = None
    state.bodies.clear()
    summary = pull(engine, base_url)  # no --since: resume after the cursor
    assert state.bodies[0]["query"]["values"]["after_uuid"] == ordered[19].uuid
    assert (summary.accepted, summary.duplicates) == (15, 0)
    final = stored(engine)
    assert sorted(final) == sorted(r.uuid for r in ordered)
    assert len(final) == len(set(final))


def test_rerun_of_a_range_stores_nothing_twice(engine: Engine, base_url: str) -> None:
    start = posthog.now_us() - DAY_US
    state.rows = make_rows(start, count=12)
    first = pull(engine, base_url, since_us=start)
    second = pull(engine, base_url, since_us=start)
    assert (first.accepted, second.accepted, second.duplicates) == (12, 0, 12)
    assert len(stored(engine)) == 12


def test_old_events_need_a_backfill(engine: Engine, base_url: str) -> None:
    start = posthog.now_us() - 60 * DAY_US  # older than the live age limit
    state.rows = make_rows(start, count=4)
    live = pull(engine, base_url, since_us=start)
    assert (live.accepted, live.quarantined) == (0, 4)
    backfill = pull(engine, base_url, since_us=start, live=False)
    assert (backfill.accepted, backfill.quarantined) == (4, 0)


def test_cli_backfill_and_bad_time(
    engine: Engine, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from systok.cli.pull import app
    from systok.config import get_settings
    from tests.ingest.stand_in import POLICY_FILE

    state.rows = make_rows(parse_utc_us("2025-05-14T09:00:00Z"), count=4)
    monkeypatch.setenv("SYSTOK_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SYSTOK_POSTHOG_URL", base_url)
    monkeypatch.setenv("SYSTOK_POSTHOG_PROJECT_ID", PROJECT)
    monkeypatch.setenv("SYSTOK_POSTHOG_API_KEY", KEY)
    monkeypatch.setenv("SYSTOK_POLICY_DIR", str(POLICY_FILE.parent))
    monkeypatch.delenv("SYSTOK_POLICY", raising=False)
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        args = ["posthog", "--since", "2025-05-12", "--until", "2025-05-19", "--backfill"]
        result = runner.invoke(app, args)
        bad = runner.invoke(app, ["posthog", "--since", "yesterday"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "posthog: accepted 4, duplicate 0, quarantined 0" in result.output
    assert bad.exit_code != 0


@pytest.mark.parametrize("project_tz", ["America/New_York", "Europe/Berlin"])
def test_project_time_zone_neither_skips_nor_repeats_on_resume(
    engine: Engine, base_url: str, project_tz: str
) -> None:
    """Bounds are explicit UTC: a project's own zone shifts nothing (both DST sides too)."""
    state.project_tz = project_tz
    start = parse_utc_us("2025-05-14T09:00:00Z")  # New York −4 h, Berlin +2 h that day
    state.rows = make_rows(start, count=35)
    state.rows += make_rows(start - 3 * 3_600_000_000, count=2)  # before the range: never read
    state.rows += make_rows(start + 2 * DAY_US, count=2)  # after the range: never read
    state.fail_after_pages = 2
    until = start + DAY_US
    with pytest.raises(PullFailed):
        pull(engine, base_url, since_us=start, until_us=until, live=False)
    state.fail_after_pages = None
    resumed = pull(engine, base_url, until_us=until, live=False)  # resume after the cursor
    wanted = sorted(
        r.uuid for r in state.rows if r.event != "$pageview" and start <= r.timestamp_us < until
    )
    assert sorted(stored(engine)) == wanted
    assert (resumed.accepted, resumed.duplicates, resumed.quarantined) == (15, 0, 0)
    assert_nothing_lost(engine, "posthog", received=len(wanted))


@pytest.mark.parametrize("project_tz", ["America/New_York", "Europe/Berlin"])
def test_winter_range_in_a_non_utc_project(engine: Engine, base_url: str, project_tz: str) -> None:
    state.project_tz = project_tz
    start = parse_utc_us("2025-01-14T00:00:00Z")  # New York −5 h, Berlin +1 h
    state.rows = make_rows(start - 30 * MINUTE_US, count=60)  # straddles the lower bound
    until = start + 20 * MINUTE_US
    summary = pull(engine, base_url, since_us=start, until_us=until, live=False)
    wanted = sorted(
        r.uuid for r in state.rows if r.event != "$pageview" and start <= r.timestamp_us < until
    )
    assert sorted(stored(engine)) == wanted
    assert (summary.accepted, summary.duplicates) == (len(wanted), 0)
    assert_nothing_lost(engine, "posthog", received=len(wanted))
    by_id = run_transaction(
        engine,
        lambda s: {e.source_event_id: e.occurred_at_us for e in s.execute(select(Event)).scalars()},
    )
    assert all(by_id[r.uuid] == r.timestamp_us for r in state.rows if r.uuid in by_id)


# --- the school's own event names (SYSTOK_POSTHOG_EVENT_MAP) ------------------------

SCHOOL_MAP = """
member_property = "properties.user_uuid"

[events]
lesson_completed = "SectionCompleted"
exercise_saved = "ExerciseSave"
"""


def test_event_map_pulls_the_schools_names_as_systok_types(
    engine: Engine, base_url: str, tmp_path: Any
) -> None:
    """A school whose PostHog says ``lesson_completed`` with ``properties.user_uuid``:
    the query asks for its names (UTC bounds unchanged), rows become SysTok's types, the
    member is read from ``user_uuid``, and SysTok's own names are no longer pulled."""
    map_file = tmp_path / "posthog-events.toml"
    map_file.write_text(SCHOOL_MAP)
    now = posthog.now_us()
    start = now - DAY_US
    state.rows = [
        Row(str(uuid.uuid4()), "lesson_completed", "d-1", {"user_uuid": "m001"}, start),
        Row(str(uuid.uuid4()), "exercise_saved", "d-2", {"user_uuid": "m001"}, start + MINUTE_US),
        Row(str(uuid.uuid4()), "lesson_completed", "d-3", {}, start + 2 * MINUTE_US),
        # SysTok's own name is not the school's: with a map it is not asked for
        Row(str(uuid.uuid4()), "SectionCompleted", "d-4", {"member_id": "m001"}, start),
    ]
    config = settings(
        posthog_url=base_url,
        posthog_project_id=PROJECT,
        posthog_api_key=KEY,
        posthog_event_map=map_file,
    )
    with posthog.client_for(config, sleep=Sleeps()) as client:
        summary = posthog.pull_posthog(
            engine, config, policy(), client=client, since_us=start - MINUTE_US
        )
    assert (summary.accepted, summary.quarantined) == (3, 0)
    body = state.bodies[0]["query"]
    assert body["values"]["names"] == ["exercise_saved", "lesson_completed"]
    for bound in ("start", "end", "after_ts"):
        assert f"toDateTime64({{{bound}}}, 6, 'UTC')" in body["query"]

    def read(session: Any) -> list[tuple[Any, ...]]:
        rows = session.execute(
            select(Event.event_type, Event.member_id, Event.actor_alias, Event.payload)
            .where(Event.source == "posthog")
            .order_by(Event.occurred_at_us)
        )
        return [tuple(r) for r in rows]

    events = run_transaction(engine, read)
    assert [(t, m, a) for t, m, a, _ in events] == [
        ("SectionCompleted", "m001", None),
        ("ExerciseSave", "m001", None),
        ("SectionCompleted", None, "d-3"),
    ]
    assert json.loads(events[0][3])["posthog_event"] == "lesson_completed"


def test_without_a_map_the_pull_is_unchanged(engine: Engine, base_url: str) -> None:
    """Default: SysTok's names are asked for and ``properties.member_id`` names the member."""
    now = posthog.now_us()
    state.rows = [Row(str(uuid.uuid4()), "SectionCompleted", "d-1", {"member_id": "m001"}, now)]
    pull(engine, base_url, since_us=now - MINUTE_US)
    assert state.bodies[0]["query"]["values"]["names"] == sorted(NAMES)
    member, payload = run_transaction(
        engine, lambda s: s.execute(select(Event.member_id, Event.payload)).one()
    )
    assert member == "m001" and "posthog_event" not in json.loads(payload)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('[events]\nlesson_completed = "ClubLikeGiven"\n', "events.lesson_completed"),
        ('[events]\nlesson_completed = "SectionDone"\n', "not a SysTok PostHog type"),
        ('member_property = ""\n', "member_property"),
        ('event = "x"\n', "unknown key"),
        ("[events\n", "not valid TOML"),
    ],
)
def test_a_wrong_event_map_is_refused_before_any_request(
    engine: Engine, base_url: str, tmp_path: Any, text: str, says: str
) -> None:
    map_file = tmp_path / "map.toml"
    map_file.write_text(text)
    config = settings(
        posthog_url=base_url,
        posthog_project_id=PROJECT,
        posthog_api_key=KEY,
        posthog_event_map=map_file,
    )
    with pytest.raises(EventMapInvalid) as refused:
        posthog.pull_posthog(engine, config, policy())
    assert says in str(refused.value) and str(map_file) in str(refused.value)
    assert refused.value.exit_code == 78
    assert state.calls == 0


def test_the_documented_example_map_loads() -> None:
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "posthog-events.toml"
    mapping = load_event_map(example)
    assert mapping.member_property == "user_uuid"
    assert mapping.event_type("lesson_completed") == "SectionCompleted"
    assert mapping.posthog_names(policy()) == sorted(mapping.names or {})
