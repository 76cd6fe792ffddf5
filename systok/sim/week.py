"""One week of a synthetic community's events: learning, club and platform, then refusals.

Drawn on demand from the community's seed and the week, so one week is in memory at a
time (``systok.sim.community`` says why the numbers look the way they do).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from systok.core.events import EventType
from systok.core.weeks import IsoWeek
from systok.sim.people import Person, Record

if TYPE_CHECKING:
    from systok.sim.community import Community

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


def poisson(rng: random.Random, mean: float) -> int:
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
class Post:
    post_id: int
    topic_id: int
    author: int


class WeekDraw:
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

    def ref(self, person: Person, source: str) -> str:
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

    def person_week(self, person: Person, club_intents: list[tuple[int, int, str]]) -> None:
        rng = self.rng
        day_count = min(7, 1 + poisson(rng, ACTIVE_DAYS_EXTRA_MEAN * person.intensity))
        days = sorted(rng.sample(range(7), day_count))
        capped_days: list[int] = []
        if person.heavy:
            capped_days = rng.sample(days, min(len(days), rng.randint(2, 5)))
        for day in days:
            for event_type, mean in DAILY_MEANS.items():
                count = poisson(rng, mean * person.intensity)
                if event_type is EventType.SECTION_COMPLETED and day in capped_days:
                    count = max(count, rng.randint(*HEAVY_CAPPED_SECTIONS))
                for _ in range(count):
                    self.learning(person, event_type, self.moment(day))
            if person.discourse is not None:
                for event_type, mean in CLUB_DAILY_MEANS.items():
                    for _ in range(poisson(rng, mean * person.intensity)):
                        club_intents.append((self.moment(day), person.index, event_type))
        if rng.random() < COURSE_COMPLETED_WEEKLY:
            self.learning(person, EventType.COURSE_COMPLETED, self.moment(days[-1]))
        if person.is_member:
            self.vested(person, days)

    def learning(self, person: Person, event_type: str, offset_s: int) -> None:
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

    def platform(self, person: Person, event_type: str, offset_s: int, payload: Record) -> None:
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

    def vested(self, person: Person, days: list[int]) -> None:
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
            Post(self.post_base + n, self.post_base // 10 + n, self.popular_author())
            for n in range(1, old_count + 1)
        ]
        new_posts: list[Post] = []
        next_post_id = self.post_base + OLD_POSTS_MAX + 1
        next_topic_id = self.post_base // 10 + OLD_POSTS_MAX + 1
        likes_seen: set[tuple[int, int]] = set()
        for offset_s, person_index, kind in intents:
            person = self.people[person_index]
            if kind == EventType.CLUB_POST_CREATED:
                post = Post(next_post_id, next_topic_id, person_index)
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
                reply = Post(next_post_id, target.topic_id, person_index)
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

    def target(self, old_posts: list[Post], new_posts: list[Post], actor: int) -> Post | None:
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
        post: Post,
        suffix: str,
        event_type: str,
        *,
        member: Person,
        counterpart: Person | None,
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
