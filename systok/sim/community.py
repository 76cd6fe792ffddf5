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
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from systok.core.events import EventType
from systok.core.weeks import IsoWeek

Record = dict[str, Any]
"""One line of a members or events file, as a plain JSON-ready dict."""

# --- who the people are ------------------------------------------------------------------

LEVEL_WEIGHTS = (40, 22, 14, 9, 6, 4, 3, 2)
"""Relative frequency of qualification levels 1..8: most members are at the bottom."""

HEAVY_FRACTION = 0.025
"""Share of people who are heavy users (they exceed per-day limits on several days)."""

HEAVY_INTENSITY_FACTOR = 4.0
INTENSITY_SIGMA = 1.0
"""Lognormal spread of activity: median 1, about 1 person in 40 above 7."""

MEMBER_POSTHOG_SHARE = 0.9
MEMBER_DISCOURSE_SHARE = 0.9
FREE_POSTHOG_SHARE = 0.9
FREE_DISCOURSE_SHARE = 0.35
"""Who has an account where: the rest are named by platform id only (or not in the club)."""

FREE_ACTIVITY_FACTOR = 0.6
"""Free users do the same things as members, less of them (they earn nothing)."""

LAPSE_SHARE = 0.04
START_SHARE = 0.05
UPGRADE_SHARE = 0.06
"""Members whose membership ends / begins, or whose level rises, inside the period."""

MEMBER_HISTORY_DAYS_MAX = 720
"""The earliest a member may have joined, in days before the period."""

# --- what they do ------------------------------------------------------------------------

DAILY_MEANS = {
    EventType.PAGE_VIEW: 0.4,
    EventType.SECTION_COMPLETED: 0.45,
    EventType.EXERCISE_SAVE: 0.3,
}
"""Mean events of each learning type per active day at intensity 1."""

CLUB_DAILY_MEANS = {
    EventType.CLUB_POST_CREATED: 0.05,
    EventType.CLUB_COMMENT_CREATED: 0.15,
    EventType.CLUB_LIKE_GIVEN: 0.35,
}
"""Mean club actions per active day at intensity 1 (only people with a club account)."""

ACTIVE_DAYS_EXTRA_MEAN = 0.8
"""An active week has 1 + Poisson(0.8 × intensity) active days (at most 7)."""

COURSE_COMPLETED_WEEKLY = 0.03
HEAVY_CAPPED_SECTIONS = (6, 12)
"""A heavy user's SectionCompleted count on a capped day (the policy's limit is 5)."""

PEER_REVIEW_WEEKLY = 0.08
MILESTONE_WEEKLY = 0.02
MENTOR_LEVEL_MIN = 6
MENTOR_WEEKLY = 0.3
REFERRED_SHARE = 0.6
"""Vested activity per active member-week; a referred share of the new members."""

TOPIC_REPLY_SHARE = 0.1
"""Replies to a topic as a whole: Discourse names no replied-to author, so no Received."""

OLD_POSTS_PER_CLUB_PERSON = 0.1
POST_ID_BLOCK = 100_000
OLD_POSTS_MAX = 5_000
"""Post ids of a week come from its own block; the low end stands for earlier posts."""

POST_ID_EPOCH = date(2020, 1, 6)
"""A Monday: post ids grow with the weeks since it, like a forum's would."""

BAD_KINDS = ("unknown_type", "no_member", "unknown_member")

_NAMES = (
    "anna", "ivan", "olga", "pavel", "maria", "sergey", "elena", "dmitry", "irina", "alexey",
    "natalia", "andrey", "tatiana", "mikhail", "yulia", "nikita", "ksenia", "roman", "daria",
    "oleg", "vera", "artem", "polina", "kirill", "sofia", "egor", "alina", "denis", "marina",
    "ilya", "lena", "gleb", "nina", "boris", "zoya", "timur", "asya", "lev", "rita", "fedor",
)  # fmt: skip


@dataclass(slots=True)
class _Person:
    """One simulated person: identity, how active, and where they can be named."""

    index: int
    platform_id: str
    is_member: bool
    level: int
    intensity: float
    heavy: bool
    posthog: str | None
    discourse: str | None
    discourse_user_id: int
    starts_day: date | None = None
    """For a member who joins inside the period: the first paid day."""


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
    _people: list[_Person] = field(repr=False)
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
        return _WeekDraw(self, week).records()

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
    people = _draw_people(rng, members, free_users)
    member_records = [
        _member_record(rng, person, period_start, period_days)
        for person in people
        if person.is_member
    ]
    free_records = [_identity_record(person) for person in people if not person.is_member]
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
        _active=_draw_participation(rng, people, len(ordered)),
        _club=club,
        _club_popularity_cum=popularity_cum,
    )


def _draw_people(rng: random.Random, members: int, free_users: int) -> list[_Person]:
    member_width = max(4, len(str(members)))
    free_width = max(5, len(str(free_users)))
    discourse_ids = list(range(1000, 1000 + members + free_users))
    rng.shuffle(discourse_ids)  # forum user ids do not follow the platform's order
    distinct_ids: set[str] = set()
    people: list[_Person] = []
    for index in range(members + free_users):
        is_member = index < members
        number = index + 1 if is_member else index - members + 1
        platform_id = f"m{number:0{member_width}d}" if is_member else f"u{number:0{free_width}d}"
        heavy = rng.random() < HEAVY_FRACTION
        intensity = rng.lognormvariate(0.0, INTENSITY_SIGMA)
        if heavy:
            intensity = max(intensity, 1.0) * HEAVY_INTENSITY_FACTOR
        if not is_member:
            intensity *= FREE_ACTIVITY_FACTOR
        posthog_share = MEMBER_POSTHOG_SHARE if is_member else FREE_POSTHOG_SHARE
        discourse_share = MEMBER_DISCOURSE_SHARE if is_member else FREE_DISCOURSE_SHARE
        has_discourse = rng.random() < discourse_share
        posthog = None
        # everyone has at least one account (a bare id in a members file reads as "no change")
        if rng.random() < posthog_share or not has_discourse:
            posthog = f"{rng.getrandbits(48):012x}"
            while posthog in distinct_ids:
                posthog = f"{rng.getrandbits(48):012x}"
            distinct_ids.add(posthog)
        discourse = None
        if has_discourse:
            # the forum's user id makes the name unique (usernames are lowercase aliases)
            discourse = f"{rng.choice(_NAMES)}_{discourse_ids[index]}"
        level = rng.choices(range(1, 9), weights=LEVEL_WEIGHTS)[0] if is_member else 1
        people.append(
            _Person(
                index=index,
                platform_id=platform_id,
                is_member=is_member,
                level=level,
                intensity=intensity,
                heavy=heavy,
                posthog=posthog,
                discourse=discourse,
                discourse_user_id=discourse_ids[index],
            )
        )
    return people


def _aliases(person: _Person) -> dict[str, str]:
    aliases: dict[str, str] = {}
    if person.posthog is not None:
        aliases["posthog"] = person.posthog
    if person.discourse is not None:
        aliases["discourse"] = person.discourse
    return aliases


def _identity_record(person: _Person) -> Record:
    """A free user: known (aliases attribute their events) but never paid."""
    return {
        "id": person.platform_id,
        "aliases": _aliases(person),
        "qualification": [],
        "membership": [],
    }


def _member_record(
    rng: random.Random, person: _Person, period_start: date, period_days: int
) -> Record:
    """A member's history: a level from joining, maybe an upgrade, one paid period.

    A few members lapse inside the period (``to`` a day in it), a few join inside it
    (``from`` a day in it, starting at level 1); the rest paid throughout.
    """
    joined = period_start - timedelta(days=rng.randint(14, MEMBER_HISTORY_DAYS_MAX))
    qualification = [{"level": person.level, "from": joined.isoformat()}]
    membership: dict[str, str | None] = {"from": joined.isoformat(), "to": None}
    change = rng.random()
    inner_day = period_start + timedelta(days=rng.randint(3, max(3, period_days - 4)))
    if change < LAPSE_SHARE:
        membership["to"] = inner_day.isoformat()
    elif change < LAPSE_SHARE + START_SHARE:
        person.level = 1
        person.starts_day = inner_day
        qualification = [{"level": 1, "from": inner_day.isoformat()}]
        membership["from"] = inner_day.isoformat()
    elif change < LAPSE_SHARE + START_SHARE + UPGRADE_SHARE and person.level < 8:
        person.level += 1  # the level at the end of the period
        qualification.append({"level": person.level, "from": inner_day.isoformat()})
    return {
        "id": person.platform_id,
        "aliases": _aliases(person),
        "qualification": qualification,
        "membership": [membership],
    }


def _draw_participation(
    rng: random.Random, people: list[_Person], week_count: int
) -> list[list[int]]:
    """Which people are active in each week: a chain where staying is likelier than starting.

    The chance to be active grows with intensity; after an active week it is higher
    (a streak continues), after an idle one lower (a streak must start again).
    """
    active: list[list[int]] = [[] for _ in range(week_count)]
    for person in people:
        base = min(0.85, 0.12 + 0.22 * person.intensity)
        stay = 0.95 if person.heavy else min(0.93, base + 0.25)
        start = base * 0.6
        was_active = rng.random() < start / (1 - stay + start)  # the chain's steady state
        for week_index in range(week_count):
            chance = stay if was_active else start
            was_active = rng.random() < chance
            if was_active:
                active[week_index].append(person.index)
    return active


# --- one week's events -------------------------------------------------------------------


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth; the means here are small)."""
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit = math.exp(-mean)
    count = 0
    product = rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


@dataclass(slots=True)
class _Post:
    post_id: int
    topic_id: int
    author: int


class _WeekDraw:
    """Draws one week: learning, club and platform events, then the refused extras."""

    def __init__(self, community: Community, week: IsoWeek) -> None:
        self.community = community
        self.people = community._people
        self.week = week
        self.rng = random.Random(f"systok-sim:{community.seed}:{week}:events")  # noqa: S311
        self.start_s = (week.monday - date(1970, 1, 1)).days * 86_400
        self.day_prefixes = [f"{day.isoformat()}T" for day in week.days()]
        self.timed: list[tuple[int, int, Record]] = []
        self.post_base = (week.monday - POST_ID_EPOCH).days // 7 * POST_ID_BLOCK
        self.platform_counter = 0

    # -- helpers --

    def iso(self, offset_s: int) -> str:
        day, rest = divmod(offset_s, 86_400)
        hours, rest = divmod(rest, 3_600)
        minutes, seconds = divmod(rest, 60)
        return f"{self.day_prefixes[day]}{hours:02d}:{minutes:02d}:{seconds:02d}Z"

    def moment(self, day: int) -> int:
        """Seconds into the week: a time on ``day``, mostly in the daytime."""
        hour_f = self.rng.triangular(5.0, 24.0, 15.0)
        return day * 86_400 + min(86_399, int(hour_f * 3_600))

    def emit(self, offset_s: int, record: Record) -> None:
        self.timed.append((offset_s, len(self.timed), record))

    def ref(self, person: _Person, source: str) -> str:
        """How the source names a person: its alias mostly, the platform id sometimes."""
        alias = person.posthog if source == "posthog" else person.discourse
        share = 0.6 if source == "posthog" else 0.85
        if alias is not None and self.rng.random() < share:
            return f"{source}:{alias}"
        return person.platform_id

    def posthog_id(self, offset_s: int) -> str:
        """A UUIDv7-shaped id: the event's milliseconds, then seeded random bits."""
        millis = (self.start_s + offset_s) * 1000 + self.rng.randrange(1000)
        bits = self.rng.getrandbits(74)
        high = f"{millis:012x}"
        return (
            f"{high[:8]}-{high[8:]}-7{(bits >> 62) & 0xFFF:03x}-"
            f"{0x8000 | ((bits >> 48) & 0x3FFF):04x}-{bits & 0xFFFFFFFFFFFF:012x}"
        )

    # -- the draw --

    def records(self) -> Iterator[Record]:
        index = self.community.weeks.index(self.week)
        club_intents: list[tuple[int, int, str]] = []
        for person_index in self.community._active[index]:
            self.person_week(self.people[person_index], club_intents)
        self.club(club_intents)
        self.referrals()
        self.timed.sort(key=lambda item: (item[0], item[1]))
        bad_rng = random.Random(f"systok-sim:{self.community.seed}:{self.week}:bad")  # noqa: S311
        bad_fraction = self.community.bad_fraction
        for number, (offset_s, _, record) in enumerate(self.timed):
            yield record
            if bad_fraction and bad_rng.random() < bad_fraction:
                yield self.bad_record(bad_rng, offset_s, number)

    def person_week(self, person: _Person, club_intents: list[tuple[int, int, str]]) -> None:
        rng = self.rng
        day_count = min(7, 1 + _poisson(rng, ACTIVE_DAYS_EXTRA_MEAN * person.intensity))
        days = sorted(rng.sample(range(7), day_count))
        capped_days: list[int] = []
        if person.heavy:
            capped_days = rng.sample(days, min(len(days), rng.randint(2, 5)))
        for day in days:
            for event_type, mean in DAILY_MEANS.items():
                count = _poisson(rng, mean * person.intensity)
                if event_type is EventType.SECTION_COMPLETED and day in capped_days:
                    count = max(count, rng.randint(*HEAVY_CAPPED_SECTIONS))
                for _ in range(count):
                    self.learning(person, event_type, self.moment(day))
            if person.discourse is not None:
                for event_type, mean in CLUB_DAILY_MEANS.items():
                    for _ in range(_poisson(rng, mean * person.intensity)):
                        club_intents.append((self.moment(day), person.index, event_type))
        if rng.random() < COURSE_COMPLETED_WEEKLY:
            self.learning(person, EventType.COURSE_COMPLETED, self.moment(days[-1]))
        if person.is_member:
            self.vested(person, days)

    def learning(self, person: _Person, event_type: str, offset_s: int) -> None:
        rng = self.rng
        course = rng.randint(1, 24)
        if event_type == EventType.PAGE_VIEW:
            payload: Record = {"path": f"/courses/{course}/sections/{rng.randint(1, 40)}"}
        elif event_type == EventType.SECTION_COMPLETED:
            payload = {"course": course, "section": rng.randint(1, 40)}
        elif event_type == EventType.EXERCISE_SAVE:
            payload = {"exercise_id": f"c{course:02d}-{rng.randint(1, 60):02d}"}
        else:
            payload = {"course": course}
        self.emit(
            offset_s,
            {
                "source": "posthog",
                "id": self.posthog_id(offset_s),
                "type": str(event_type),
                "member": self.ref(person, "posthog"),
                "counterpart": None,
                "occurred_at": self.iso(offset_s),
                "payload": payload,
            },
        )

    def platform(self, person: _Person, event_type: str, offset_s: int, payload: Record) -> None:
        self.platform_counter += 1
        self.emit(
            offset_s,
            {
                "source": "platform",
                "id": f"{self.week}:{event_type}:{self.platform_counter}",
                "type": str(event_type),
                "member": person.platform_id,
                "counterpart": None,
                "occurred_at": self.iso(offset_s),
                "payload": payload,
            },
        )

    def vested(self, person: _Person, days: list[int]) -> None:
        """Peer reviews, milestones and mentor sessions: vested, and rarer than learning."""
        rng = self.rng
        if rng.random() < PEER_REVIEW_WEEKLY * min(3.0, person.intensity):
            for _ in range(rng.randint(1, 3)):
                work = f"project-{rng.randint(1, 400)}"
                self.platform(
                    person, EventType.PEER_REVIEW_COMPLETED, self.moment(rng.choice(days)),
                    {"work": work},
                )  # fmt: skip
        if rng.random() < MILESTONE_WEEKLY * min(3.0, person.intensity):
            self.platform(
                person, EventType.PROJECT_MILESTONE_COMPLETED, self.moment(rng.choice(days)),
                {"project": f"project-{rng.randint(1, 400)}", "milestone": rng.randint(1, 5)},
            )  # fmt: skip
        if person.level >= MENTOR_LEVEL_MIN and rng.random() < MENTOR_WEEKLY:
            for _ in range(rng.randint(1, 2)):
                mentee = self.people[rng.randrange(len(self.people))]
                if mentee.index == person.index:
                    continue
                self.platform(
                    person, EventType.MENTOR_SESSION_COMPLETED, self.moment(rng.choice(days)),
                    {"mentee": mentee.platform_id},
                )  # fmt: skip

    def referrals(self) -> None:
        """Most members who join this week were referred: the referrer earns a referral."""
        rng = self.rng
        members = [person for person in self.people if person.is_member]
        for person in members:
            if person.starts_day is None or not self.week.contains(person.starts_day):
                continue
            if rng.random() >= REFERRED_SHARE:
                continue
            referrer = members[rng.randrange(len(members))]
            if referrer.index == person.index or referrer.starts_day is not None:
                continue
            day = (person.starts_day - self.week.monday).days
            self.platform(
                referrer, EventType.REFERRAL_CONVERTED, self.moment(day),
                {"referred": person.platform_id},
            )  # fmt: skip

    def popular_author(self) -> int:
        """A club person, likelier the more active (popular authors get more replies)."""
        community = self.community
        cumulative = community._club_popularity_cum
        pick = self.rng.random() * cumulative[-1]
        low, high = 0, len(cumulative) - 1
        while low < high:
            middle = (low + high) // 2
            if cumulative[middle] < pick:
                low = middle + 1
            else:
                high = middle
        return community._club[low]

    def club(self, intents: list[tuple[int, int, str]]) -> None:
        """Posts, replies and likes in time order, each aimed at a post that exists."""
        if not intents:
            return
        rng = self.rng
        intents.sort()
        old_count = min(
            OLD_POSTS_MAX, max(10, int(len(self.community._club) * OLD_POSTS_PER_CLUB_PERSON))
        )
        old_posts = [
            _Post(self.post_base + n, self.post_base // 10 + n, self.popular_author())
            for n in range(1, old_count + 1)
        ]
        new_posts: list[_Post] = []
        next_post_id = self.post_base + OLD_POSTS_MAX + 1
        next_topic_id = self.post_base // 10 + OLD_POSTS_MAX + 1
        likes_seen: set[tuple[int, int]] = set()
        for offset_s, person_index, kind in intents:
            person = self.people[person_index]
            if kind == EventType.CLUB_POST_CREATED:
                post = _Post(next_post_id, next_topic_id, person_index)
                next_post_id += 1
                next_topic_id += 1
                new_posts.append(post)
                self.discourse(
                    post, "created", EventType.CLUB_POST_CREATED,
                    member=person, counterpart=None, offset_s=offset_s,
                )  # fmt: skip
                continue
            target = self.target(old_posts, new_posts, person_index)
            if target is None:
                continue
            author = self.people[target.author]
            if kind == EventType.CLUB_COMMENT_CREATED:
                reply = _Post(next_post_id, target.topic_id, person_index)
                next_post_id += 1
                new_posts.append(reply)
                self.discourse(
                    reply, "created", EventType.CLUB_COMMENT_CREATED,
                    member=person, counterpart=None, offset_s=offset_s,
                )  # fmt: skip
                if rng.random() >= TOPIC_REPLY_SHARE:
                    self.discourse(
                        reply, "comment-received", EventType.CLUB_COMMENT_RECEIVED,
                        member=author, counterpart=person, offset_s=offset_s,
                    )  # fmt: skip
            else:
                key = (target.post_id, person.discourse_user_id)
                if key in likes_seen:
                    continue  # one like per person and post, as on Discourse
                likes_seen.add(key)
                suffix = f"{person.discourse_user_id}:"
                self.discourse(
                    target, suffix + "given", EventType.CLUB_LIKE_GIVEN,
                    member=person, counterpart=None, offset_s=offset_s, kind="like",
                )  # fmt: skip
                self.discourse(
                    target, suffix + "received", EventType.CLUB_LIKE_RECEIVED,
                    member=author, counterpart=person, offset_s=offset_s, kind="like",
                )  # fmt: skip
        assert next_post_id < self.post_base + POST_ID_BLOCK, "a week's posts outgrew its block"

    def target(self, old_posts: list[_Post], new_posts: list[_Post], actor: int) -> _Post | None:
        """A post by someone else: this week's mostly, an earlier one sometimes."""
        rng = self.rng
        for _ in range(4):
            pool = new_posts if new_posts and rng.random() < 0.7 else old_posts
            post = pool[rng.randrange(len(pool))]
            if post.author != actor:
                return post
        return None

    def discourse(
        self,
        post: _Post,
        suffix: str,
        event_type: str,
        *,
        member: _Person,
        counterpart: _Person | None,
        offset_s: int,
        kind: str = "post",
    ) -> None:
        """One Discourse event; ``kind:post_id:suffix`` is the id (discourse_webhook's scheme)."""
        self.emit(
            offset_s,
            {
                "source": "discourse",
                "id": f"{kind}:{post.post_id}:{suffix}",
                "type": str(event_type),
                "member": self.ref(member, "discourse"),
                "counterpart": None if counterpart is None else self.ref(counterpart, "discourse"),
                "occurred_at": self.iso(offset_s),
                "payload": {"post_id": post.post_id, "topic_id": post.topic_id},
            },
        )

    def bad_record(self, rng: random.Random, offset_s: int, number: int) -> Record:
        """A record ingestion must refuse (and keep in the quarantine)."""
        kind = BAD_KINDS[rng.randrange(len(BAD_KINDS))]
        person = self.people[rng.randrange(len(self.people))]
        record: Record = {
            "source": "posthog",
            "id": f"bad-{self.week}-{number}",
            "type": str(EventType.SECTION_COMPLETED),
            "member": person.platform_id,
            "counterpart": None,
            "occurred_at": self.iso(offset_s),
            "payload": {"simulated": kind},
        }
        if kind == "unknown_type":
            record["type"] = "SectionRead"
        elif kind == "no_member":
            del record["member"]
        else:
            record["member"] = f"ghost-{rng.getrandbits(32):08x}"
        return record
