"""Member profiles from the learning platform: effective-dated history and aliases.

Why: rewards depend on a member's qualification level and paid membership *on the day
of each event*, and events from PostHog and Discourse name members by their aliases.
The platform owns both facts; this pull copies them.

The platform API (a small contract SysTok defines; the platform implements it):

``GET {platform_url}/api/members?updated_since=<ISO 8601>&page=<n>`` with
``Authorization: Bearer <platform_token>``; pages start at 1. Answer::

    {
      "members": [
        {
          "id": "m042",
          "aliases": {"posthog": ["d-8f2c"], "discourse": ["ivan"]},
          "qualification": [{"level": 1, "from": "2024-09-01"},
                            {"level": 3, "from": "2025-01-01"}],
          "membership": [{"from": "2025-01-01", "to": "2025-07-01"},
                         {"from": "2025-09-01", "to": null}]
        }
      ],
      "next_page": 2
    }

- ``aliases``: per source, a username / distinct id or a list of them. Names are
  spelled as on every path (``normalized_alias``: NFC; Discourse usernames lowercased,
  as the webhook and backfill name them).
- ``qualification``: the level from that day on, until the next row's day.
- ``membership``: paid periods ``[from, to)``; ``to`` null means open-ended.
- ``next_page``: the next page number, or null on the last page.
- ``updated_since`` (optional): only members changed since then. The platform sends a
  member's *whole* history each time: SysTok replaces the stored history with it.

Each page is one unit of work: members and their history are replaced, aliases linked
(which attributes events that waited for them). A profile that breaks the contract
(bad date, level < 1, an empty period, two rows for one day) is refused alone and
reported; an alias already linked to another member is reported and left alone. The
cursor (``ingest_cursors``, name ``platform``) is the start time of the last pull that
read every page; the next pull asks for changes since then.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from systok.clock import now_us
from systok.config import Settings
from systok.core.policy import Policy
from systok.core.times import day_of_date, us_to_iso
from systok.db.engine import run_transaction
from systok.errors import AliasInvalid, ConfigurationError, IdentityConflict
from systok.ingest import repository as repo
from systok.ingest.http import RetryingClient, Sleep, client_from_settings
from systok.ingest.pulls import PullSummary
from systok.ingest.schemas import MEMBER_ID_LENGTH_MAX
from systok.ingest.service import Ingestor
from systok.ingest.storable import normalized_alias, normalized_identifier

CURSOR_NAME = "platform"
MEMBERS_PATH = "/api/members"
PAGES_MAX = 100_000
"""A guard against a platform that never says it is done."""


class Qualification(BaseModel):
    """A qualification level valid from a day on."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    level: int = Field(ge=1)
    from_date: date = Field(alias="from")


class Membership(BaseModel):
    """A paid membership period ``[from, to)``; ``to`` None means open-ended."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    from_date: date = Field(alias="from")
    to_date: date | None = Field(default=None, alias="to")


class MemberProfile(BaseModel):
    """One member as the platform API sends it (see the module docstring)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str = Field(min_length=1, max_length=MEMBER_ID_LENGTH_MAX)
    aliases: dict[str, list[str]] = Field(default_factory=dict)
    qualification: list[Qualification] = Field(default_factory=list)
    membership: list[Membership] = Field(default_factory=list)

    @field_validator("id", mode="before")
    @classmethod
    def _id_is_an_identifier(cls, value: Any) -> Any:
        """NFC, no NUL/controls/bidi controls, like event ids (ADR 0011)."""
        if not isinstance(value, str):
            return value
        return normalized_identifier(value.strip(), MEMBER_ID_LENGTH_MAX)

    @field_validator("aliases", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: [v] if isinstance(v, str) else v for k, v in value.items()}
        return value

    def history(self) -> tuple[list[tuple[int, int]], list[tuple[int, int | None]]]:
        """(qualifications as (from_day, level), memberships as (starts, ends)), checked.

        Raises:
            ValueError: two qualification rows or periods start on one day, or a
                period ends on or before its start.
        """
        qualifications = sorted((day_of_date(q.from_date), q.level) for q in self.qualification)
        if len({d for d, _ in qualifications}) < len(qualifications):
            raise ValueError("two qualification rows start on the same day")
        memberships: list[tuple[int, int | None]] = []
        for period in sorted(self.membership, key=lambda p: p.from_date):
            starts = day_of_date(period.from_date)
            ends = day_of_date(period.to_date) if period.to_date is not None else None
            if ends is not None and ends <= starts:
                raise ValueError(f"membership {period.from_date}..{period.to_date} is empty")
            memberships.append((starts, ends))
        if len({s for s, _ in memberships}) < len(memberships):
            raise ValueError("two membership periods start on the same day")
        return qualifications, memberships


def client_for(settings: Settings, *, sleep: Sleep = time.sleep) -> RetryingClient:
    """A platform client from settings (URL and token must be set)."""
    if not settings.platform_token:
        raise ConfigurationError("platform_token is not set (SYSTOK_PLATFORM_TOKEN)")
    return client_from_settings(
        settings,
        settings.platform_url,
        setting_name="platform_url",
        headers={
            "Authorization": f"Bearer {settings.platform_token}",
            "Accept": "application/json",
        },
        sleep=sleep,
    )


def pull_profiles(
    engine: Engine,
    settings: Settings,
    policy: Policy,
    *,
    full: bool = False,
    client: RetryingClient | None = None,
    clock: Callable[[], int] = now_us,
    on_page: Callable[[PullSummary], None] | None = None,
) -> PullSummary:
    """Copy member profiles changed since the last complete pull (or all with ``full``).

    The summary counts members stored as ``accepted`` and refused profiles as
    ``quarantined``; ``notes`` says why each was refused and which aliases conflicted.

    Raises:
        PullFailed: the platform kept failing; pages stored before stay stored, and the
            cursor stays where it was, so the next pull reads those changes again.
    """
    started_at_us = clock()
    since = None if full else run_transaction(engine, lambda s: repo.read_cursor(s, CURSOR_NAME))
    summary = PullSummary()
    own_client = client is None
    http = client if client is not None else client_for(settings)
    try:
        page_number: int | None = 1
        while page_number is not None and summary.pages < PAGES_MAX:
            params: dict[str, Any] = {"page": page_number}
            if since:
                params["updated_since"] = since
            answer = http.get_json(MEMBERS_PATH, params=params)
            members = answer.get("members", []) if isinstance(answer, dict) else []
            next_page = answer.get("next_page") if isinstance(answer, dict) else None
            page_number = next_page if isinstance(next_page, int) and members else None
            store = partial(
                _store_page,
                policy=policy,
                clock=clock,
                members=members,
                cursor_us=started_at_us if page_number is None else None,
            )
            summary.merge(run_transaction(engine, store))
            summary.pages += 1
            if on_page is not None:
                on_page(summary)
    finally:
        if own_client:
            http.close()
    return summary


def _store_page(
    session: Session,
    *,
    policy: Policy,
    clock: Callable[[], int],
    members: list[Any],
    cursor_us: int | None,
) -> PullSummary:
    """Store one page of profiles; on the last page also move the cursor.

    Counts go into a fresh summary the caller merges, so a retried unit of work
    (deadlock) never counts a page twice.
    """
    summary = PullSummary()
    ingestor = Ingestor(session, policy=policy, clock=clock)
    for raw in members:
        summary.received += 1
        try:
            profile = MemberProfile.model_validate(raw)
            qualifications, memberships = profile.history()
        except (ValidationError, ValueError) as error:
            who = raw.get("id") if isinstance(raw, dict) else None
            summary.quarantined += 1
            summary.notes.append(f"profile {who!r} refused: {_reason(error)}")
            continue
        repo.ensure_member(session, profile.id, clock())
        repo.replace_member_history(session, profile.id, qualifications, memberships)
        for source, names in sorted(profile.aliases.items()):
            for name in names:
                if not name.strip():
                    continue
                try:  # link_alias spells the name as every path does (normalized_alias)
                    attributed = ingestor.link_alias(profile.id, source, name)
                except (IdentityConflict, AliasInvalid) as error:
                    summary.notes.append(str(error))
                    continue
                if attributed:
                    summary.notes.append(
                        f"{source}:{normalized_alias(source, name)} linked to {profile.id}: "
                        f"{attributed} waiting event side(s) attributed"
                    )
        summary.accepted += 1
    if cursor_us is not None:
        repo.write_cursor(session, CURSOR_NAME, us_to_iso(cursor_us), clock())
    return summary


def _reason(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
    return str(error)
