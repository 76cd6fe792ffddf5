"""Pull PostHog events through the query API (HogQL), resumable page by page.

Why a pull and not only webhooks: PostHog's webhook destinations are neither signed
nor guaranteed (INTEGRATIONS.md §1.5), so the query API is the source of truth.

How (INTEGRATIONS.md §1.2):

- ``POST {posthog_url}/api/projects/{project_id}/query/`` with a ``HogQLQuery``, a
  Bearer personal API key (scope ``query:read``) and ``refresh: "force_blocking"`` (a
  cached answer could miss events).
- Only the event names the policy prices *and* that PostHog produces
  (``systok.core.events``: ExerciseSave, SectionCompleted, CourseCompleted, PageView).
  PostHog's automatic ``$pageview`` is not pulled: ``PageView`` is the platform's own
  custom event, and both would count one view twice.
- Keyset pagination on ``(timestamp, toString(uuid))`` — never OFFSET. The uuid is
  compared as text on both sides, because ClickHouse orders the UUID type differently
  from its text, and the expanded ``ts > a OR (ts = a AND uuid > b)`` form avoids
  relying on tuple comparison in HogQL.
- After every page, the page's events *and* the cursor (``ingest_cursors``, name
  ``posthog``) are written in one unit of work: a crash loses at most the page in
  flight, and the resumed pull starts right after the last committed row. Events are
  deduplicated by PostHog's ``uuid`` (the ``source_event_id``) anyway, so a re-read
  never stores an event twice.

Members: a row's ``properties.member_id`` (``MEMBER_ID_PROPERTY``), when the platform
sets it, is the platform member id; otherwise the member is the alias
``posthog:<distinct_id>``, attributed once the alias is linked.

The school's own event names and member property: ``posthog_event_map``.

Times: every bound sent is explicit UTC (``UTC_BOUND``): HogQL reads zone-less times in
the *project's* time zone. Returned timestamps are in the project's zone with its
offset (``2025-05-14T05:03:11.913767-04:00``) and are converted; a timestamp without
a zone is read as UTC (the stored column's zone).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from systok.clock import now_us
from systok.config import Settings
from systok.core.policy import Policy
from systok.core.times import MICROS_PER_DAY, TimeError, parse_utc_us, us_to_datetime, us_to_iso
from systok.db.engine import run_transaction
from systok.errors import ConfigurationError, PostHogResponseInvalid
from systok.ingest import repository as repo
from systok.ingest.http import RetryingClient, Sleep, client_from_settings
from systok.ingest.pulls import PullSummary
from systok.ingest.service import BatchResult, Ingestor
from systok.ingest.sources.posthog_event_map import SOURCE, EventMap, load_event_map

CURSOR_NAME = "posthog"
PAGE_ROWS = 10_000
"""Rows per query (PostHog allows up to 50 000; 10 000 keeps one page's unit small)."""
ZERO_UUID = "00000000-0000-0000-0000-000000000000"

UTC_BOUND = "toDateTime64({%s}, 6, 'UTC')"
"""A time bound as HogQL must see it: an explicit UTC ``DateTime64``.

Why: HogQL compares ``timestamp`` as ``toTimeZone(events.timestamp, <project time
zone>)`` (its property swapper), so a zone-less string bound would be read in the
project's time zone — in a New York project a resumed pull skipped events, in a Berlin
one every page re-read the previous hour. ``toDateTime64(x, 6, 'UTC')`` names the zone
(HogQL adds the project's zone only when the call has no third argument; see
posthog/hogql/printer.py ``tz_aware`` and posthog/hogql/functions/mapping.py)."""

QUERY = (
    "SELECT toString(uuid) AS uuid, event, distinct_id, properties, timestamp "
    "FROM events "
    f"WHERE event IN {{names}} AND timestamp >= {UTC_BOUND % 'start'} "
    f"AND timestamp < {UTC_BOUND % 'end'} "
    f"AND (timestamp > {UTC_BOUND % 'after_ts'} OR (timestamp = {UTC_BOUND % 'after_ts'} "
    "AND toString(uuid) > {after_uuid})) "
    "ORDER BY timestamp, toString(uuid) "
    "LIMIT {limit}"
)


@dataclass(frozen=True, order=True)
class Position:
    """A keyset position: the last row read (its timestamp and uuid text)."""

    timestamp_us: int
    uuid: str

    def to_json(self) -> str:
        return json.dumps({"timestamp_us": self.timestamp_us, "uuid": self.uuid})

    @classmethod
    def from_json(cls, text: str) -> Position:
        data = json.loads(text)
        return cls(int(data["timestamp_us"]), str(data["uuid"]))


def read_position(session: Session) -> Position | None:
    """The committed cursor, or None before the first page was ever stored."""
    text = repo.read_cursor(session, CURSOR_NAME)
    return Position.from_json(text) if text else None


def client_for(settings: Settings, *, sleep: Sleep = time.sleep) -> RetryingClient:
    """A PostHog client from settings (URL, project and key must be set)."""
    if not settings.posthog_project_id or not settings.posthog_api_key:
        raise ConfigurationError(
            "posthog_project_id and posthog_api_key must be set "
            "(SYSTOK_POSTHOG_PROJECT_ID, SYSTOK_POSTHOG_API_KEY)"
        )
    return client_from_settings(
        settings,
        settings.posthog_url,
        setting_name="posthog_url",
        headers={"Authorization": f"Bearer {settings.posthog_api_key}"},
        sleep=sleep,
    )


def pull_posthog(
    engine: Engine,
    settings: Settings,
    policy: Policy,
    *,
    since_us: int | None = None,
    until_us: int | None = None,
    live: bool = True,
    page_rows: int = PAGE_ROWS,
    client: RetryingClient | None = None,
    clock: Callable[[], int] = now_us,
    on_page: Callable[[PullSummary], None] | None = None,
    event_map: EventMap | None = None,
) -> PullSummary:
    """Pull events of ``[since, until)`` page by page, committing each page with the cursor.

    Args:
        since_us: start of the range. None resumes right after the stored cursor (or,
            before the first pull, ``policy.ingestion.max_age_days`` ago — older events
            would be refused as stale by a live pull anyway). An explicit ``since``
            re-reads from there; events stored already count as duplicates.
        until_us: end of the range (exclusive); None means now.
        live: False for a backfill of history (``--backfill``): the age limit for live
            sources does not apply. A first pull of a long range is a backfill.
        page_rows: rows per query.
        client: a ready client (tests); by default one is built from settings.
        on_page: called with the running summary after each committed page.
        event_map: the school's names; by default read from ``settings.posthog_event_map``.

    Raises:
        EventMapInvalid: the event map file is wrong (before anything is asked).
        PullFailed: PostHog kept failing (after retries) or refused the request; pages
            committed before stay committed and the cursor points after them.
    """
    mapping = event_map if event_map is not None else load_event_map(settings.posthog_event_map)
    names = mapping.posthog_names(policy)
    summary = PullSummary()
    if not names:
        summary.notes.append("the policy prices no PostHog event type; nothing pulled")
        return summary
    end_us = until_us if until_us is not None else clock()
    start_us, after = _start(engine, policy, since_us, clock)
    own_client = client is None
    http = client if client is not None else client_for(settings)
    path = f"/api/projects/{settings.posthog_project_id}/query/"
    try:
        while True:
            body = _query_body(names, start_us, end_us, after, page_rows)
            rows = _rows(http.post_json(path, body))
            if not rows:
                break
            records = [_record(row, mapping) for row in rows]
            last = _position(rows[-1])
            if last <= after:
                raise PostHogResponseInvalid(
                    f"PostHog returned rows that do not advance the keyset ({last} <= {after})"
                )

            store = partial(
                _store_page, policy=policy, clock=clock, records=records, last=last, live=live
            )
            summary.add(run_transaction(engine, store))
            summary.pages += 1
            after = last
            if on_page is not None:
                on_page(summary)
            if len(rows) < page_rows:
                break
    finally:
        if own_client:
            http.close()
    return summary


def _store_page(
    session: Session,
    *,
    policy: Policy,
    clock: Callable[[], int],
    records: list[dict[str, Any]],
    last: Position,
    live: bool,
) -> BatchResult:
    """One page's unit of work: its events and the cursor after its last row."""
    batch = Ingestor(session, policy=policy, clock=clock).ingest(records, source=SOURCE, live=live)
    stored = read_position(session)
    if stored is None or last > stored:  # the cursor never moves back
        repo.write_cursor(session, CURSOR_NAME, last.to_json(), clock())
    return batch


def _start(
    engine: Engine, policy: Policy, since_us: int | None, clock: Callable[[], int]
) -> tuple[int, Position]:
    """Where the pull starts: the explicit ``since``, else right after the cursor."""
    if since_us is not None:
        return since_us, Position(since_us, ZERO_UUID)
    stored = run_transaction(engine, read_position)
    if stored is not None:
        return stored.timestamp_us, stored
    start_us = clock() - policy.ingestion.max_age_days * MICROS_PER_DAY
    return start_us, Position(start_us, ZERO_UUID)


def _query_body(
    names: list[str], start_us: int, end_us: int, after: Position, page_rows: int
) -> dict[str, Any]:
    return {
        "query": {
            "kind": "HogQLQuery",
            "query": QUERY.replace("{limit}", str(int(page_rows))),
            "values": {
                "names": names,
                "start": _hogql_time(start_us),
                "end": _hogql_time(end_us),
                "after_ts": _hogql_time(after.timestamp_us),
                "after_uuid": after.uuid,
            },
        },
        "name": "systok_pull",
        "refresh": "force_blocking",
    }


def _hogql_time(micros: int) -> str:
    """``2025-05-12 00:00:00.000000`` (UTC), the text ClickHouse reads as DateTime64."""
    return us_to_datetime(micros).strftime("%Y-%m-%d %H:%M:%S.%f")


def _rows(response: Any) -> list[dict[str, Any]]:
    """The result rows as dicts by column name."""
    if not isinstance(response, dict):
        raise PostHogResponseInvalid("PostHog's answer is not a JSON object")
    if response.get("error"):
        raise PostHogResponseInvalid(f"PostHog query error: {response['error']}")
    columns, results = response.get("columns"), response.get("results")
    if not isinstance(columns, list) or not isinstance(results, list):
        status = response.get("query_status")
        hint = " (an async answer: the query was not run blocking)" if status else ""
        raise PostHogResponseInvalid(f"PostHog's answer has no columns/results{hint}")
    missing = {"uuid", "event", "distinct_id", "properties", "timestamp"} - set(columns)
    if missing:
        raise PostHogResponseInvalid(f"PostHog's answer lacks columns {sorted(missing)}")
    return [dict(zip(columns, row, strict=True)) for row in results]


def _position(row: dict[str, Any]) -> Position:
    try:
        return Position(_timestamp_us(row["timestamp"]), str(row["uuid"]))
    except TimeError as error:
        raise PostHogResponseInvalid(f"PostHog row {row.get('uuid')}: {error}") from None


def _timestamp_us(value: Any) -> int:
    """A PostHog timestamp as UTC micros; no zone means UTC (the column is UTC)."""
    text = str(value).strip().replace(" ", "T", 1)
    try:
        return parse_utc_us(text)
    except TimeError:
        return parse_utc_us(text + "+00:00")


def _properties(value: Any) -> dict[str, Any]:
    """``properties`` come back as a JSON string or an object; anything else is empty."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except json.JSONDecodeError:
            return {}
    return dict(value) if isinstance(value, dict) else {}


def _record(row: dict[str, Any], mapping: EventMap | None = None) -> dict[str, Any]:
    """One row as an incoming record; the ingestor validates it (and quarantines a bad one).

    The type is the mapped SysTok type; when it differs from the PostHog name, the
    payload keeps that name as ``posthog_event``.
    """
    mapping = mapping if mapping is not None else EventMap()
    properties = _properties(row.get("properties"))
    member_id = properties.get(mapping.member_property)
    distinct_id = str(row.get("distinct_id") or "").strip()
    member = (
        str(member_id).strip()
        if isinstance(member_id, str | int) and str(member_id).strip()
        else f"{SOURCE}:{distinct_id}"
    )
    try:
        occurred_at = us_to_iso(_timestamp_us(row.get("timestamp")))
    except TimeError:
        occurred_at = str(row.get("timestamp"))  # validation quarantines it with the reason
    payload = {k: v for k, v in properties.items() if not str(k).startswith("$")}
    payload["distinct_id"] = distinct_id
    posthog_name = str(row.get("event"))
    event_type = mapping.event_type(posthog_name)
    if event_type != posthog_name:
        payload["posthog_event"] = posthog_name
    return {
        "source": SOURCE,
        "id": str(row.get("uuid")),
        "type": event_type,
        "member": member,
        "occurred_at": occurred_at,
        "payload": payload,
    }
