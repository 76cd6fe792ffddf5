"""A synthetic community: members, free users and weeks of their activity, reproducibly.

``generate_community(seed, weeks=...)`` draws the people once (identities, aliases,
qualification and membership history, how active each one is and in which weeks);
``Community.events(week)`` then draws that week's events on demand. The output is
exactly the file formats of docs/ingestion-files.md (plain dicts), so ``systok members
import`` and ``systok events import`` accept what ``Community.write`` writes.

Why it looks the way it does (issue 4, SPEC §1–§3):

* **Skew.** A person's intensity is lognormal, so the median person is light and a long
  tail is busy; about 2.5 % are *heavy* users who go past the per-day limits of the
  policy (e.g. more than 5 ``SectionCompleted`` on several days of a week), so the caps
  visibly bite.
* **Streaks.** Whether a person is active in a week follows a two-state chain: staying
  active is likelier than starting, so streaks start, run and break.
* **Interactions are pairs.** A like is ``ClubLikeGiven`` for the liker plus
  ``ClubLikeReceived`` for the post's author with the liker as counterpart; a reply is
  ``ClubCommentCreated`` plus ``ClubCommentReceived``. Nobody likes or answers their own
  post. Ids follow the Discourse scheme of ``systok.ingest.sources.discourse_webhook``.
* **Every reference resolves.** Events name people by platform id, ``posthog:<distinct>``
  or ``discourse:<username>``, and every alias used is defined in the members records.
* **Some refusals on purpose.** A ``bad_fraction`` of extra records (unknown type, no
  member, unknown platform id) gives the quarantine something to show.

Determinism: the people depend on ``(seed, members, free_users, weeks)``; a week's events
on those and the week. Only ``random.Random`` instances seeded from text are used (text
seeds are hashed with SHA-512, independent of ``PYTHONHASHSEED``), and nothing iterates a
set. Pure apart from ``Community.write``, which takes the folder to write to.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from systok.core.weeks import IsoWeek
from systok.sim.people import (
    Person,
    Record,
    draw_participation,
    draw_people,
    identity_record,
    member_record,
)
from systok.sim.week import WeekDraw


@dataclass
class Community:
    """The people of a synthetic community and a generator of their weekly events.

    Attributes:
        seed: the seed everything was drawn from.
        weeks: the simulated weeks, in order.
        members: members-file records of the paying members (with history).
        free_users: members-file records of the free users: known identities with
            aliases and activity but no membership, so they earn nothing.
        bad_fraction: the chance, per good event, of an extra record that must be refused.
    """

    seed: int
    weeks: list[IsoWeek]
    members: list[Record]
    free_users: list[Record]
    bad_fraction: float
    _people: list[Person] = field(repr=False)
    _active: list[list[int]] = field(repr=False)
    """Per week (in ``weeks`` order): indexes of the people active in it."""
    _club: list[int] = field(repr=False)
    """Indexes of people with a club account, and their cumulative popularity."""
    _club_popularity_cum: list[float] = field(repr=False)

    def events(self, week: IsoWeek) -> Iterator[Record]:
        """The week's events in time order, drawn when iterated (one week in memory).

        Raises:
            ValueError: the week is not one of ``weeks``.
        """
        if week not in self.weeks:
            raise ValueError(f"week {week} is not simulated (weeks: {self.weeks[0]}..)")
        return WeekDraw(self, week).records()

    def write(self, folder: Path) -> list[Path]:
        """Write ``members.jsonl`` and one ``events-<week>.jsonl`` a week; returns the paths.

        The members file comes first in the list: import it before the events so every
        alias is linked when the events arrive (events for unlinked aliases would be
        kept unattributed until then, which works too).
        """
        folder.mkdir(parents=True, exist_ok=True)
        paths = [folder / "members.jsonl"]
        _write_lines(paths[0], [*self.members, *self.free_users])
        for week in self.weeks:
            path = folder / f"events-{week}.jsonl"
            _write_lines(path, self.events(week))
            paths.append(path)
        return paths


def _write_lines(path: Path, records: Any) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False))
            handle.write("\n")


def generate_community(
    seed: int,
    *,
    members: int = 500,
    free_users: int = 12_000,
    weeks: list[IsoWeek],
    bad_fraction: float = 0.001,
) -> Community:
    """Draw a community: its people now, each week's events when asked for.

    Args:
        seed: any integer; the same arguments give the same community and events.
        members: paying members (a few join or lapse inside the period).
        free_users: people with activity and no membership.
        weeks: the weeks to simulate (sorted here; duplicates are refused).
        bad_fraction: per good event, the chance of one extra invalid record (0 for none).

    Raises:
        ValueError: no weeks, repeated weeks, negative sizes or a fraction outside [0, 1).
    """
    ordered = sorted(weeks)
    if not ordered or len(set(ordered)) != len(ordered):
        raise ValueError("weeks must be a non-empty list of distinct ISO weeks")
    if members < 0 or free_users < 0:
        raise ValueError("members and free_users must not be negative")
    if not 0 <= bad_fraction < 1:
        raise ValueError(f"bad_fraction must be in [0, 1), got {bad_fraction}")
    rng = random.Random(f"systok-sim:{seed}:people")  # noqa: S311 - simulation, not money
    period_start = ordered[0].monday
    period_days = (ordered[-1].monday - period_start).days + 7
    people = draw_people(rng, members, free_users)
    member_records = [
        member_record(rng, person, period_start, period_days)
        for person in people
        if person.is_member
    ]
    free_records = [identity_record(person) for person in people if not person.is_member]
    club = [person.index for person in people if person.discourse is not None]
    popularity_cum: list[float] = []
    total = 0.0
    for index in club:
        total += people[index].intensity
        popularity_cum.append(total)
    return Community(
        seed=seed,
        weeks=ordered,
        members=member_records,
        free_users=free_records,
        bad_fraction=bad_fraction,
        _people=people,
        _active=draw_participation(rng, people, len(ordered)),
        _club=club,
        _club_popularity_cum=popularity_cum,
    )
