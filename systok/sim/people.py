"""The people of a synthetic community: identities, aliases, membership, how active.

Drawn once per community from its seed (``systok.sim.community`` says why the numbers
look the way they do).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

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

_NAMES = (
    "anna", "ivan", "olga", "pavel", "maria", "sergey", "elena", "dmitry", "irina", "alexey",
    "natalia", "andrey", "tatiana", "mikhail", "yulia", "nikita", "ksenia", "roman", "daria",
    "oleg", "vera", "artem", "polina", "kirill", "sofia", "egor", "alina", "denis", "marina",
    "ilya", "lena", "gleb", "nina", "boris", "zoya", "timur", "asya", "lev", "rita", "fedor",
)  # fmt: skip


@dataclass(slots=True)
class Person:
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


def draw_people(rng: random.Random, members: int, free_users: int) -> list[Person]:
    member_width = max(4, len(str(members)))
    free_width = max(5, len(str(free_users)))
    discourse_ids = list(range(1000, 1000 + members + free_users))
    rng.shuffle(discourse_ids)  # forum user ids do not follow the platform's order
    distinct_ids: set[str] = set()
    people: list[Person] = []
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
            Person(
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


def aliases_of(person: Person) -> dict[str, str]:
    aliases: dict[str, str] = {}
    if person.posthog is not None:
        aliases["posthog"] = person.posthog
    if person.discourse is not None:
        aliases["discourse"] = person.discourse
    return aliases


def identity_record(person: Person) -> Record:
    """A free user: known (aliases attribute their events) but never paid."""
    return {
        "id": person.platform_id,
        "aliases": aliases_of(person),
        "qualification": [],
        "membership": [],
    }


def member_record(
    rng: random.Random, person: Person, period_start: date, period_days: int
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
        "aliases": aliases_of(person),
        "qualification": qualification,
        "membership": [membership],
    }


def draw_participation(
    rng: random.Random, people: list[Person], week_count: int
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
