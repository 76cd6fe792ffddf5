"""The synthetic community: deterministic, realistically skewed, and importable as is."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlalchemy import text

from systok.cli.main import main
from systok.core.events import KNOWN_EVENT_TYPES, RECEIVED_EVENT_TYPES
from systok.core.weeks import IsoWeek
from systok.db.engine import run_transaction
from systok.sim.community import Community, generate_community

FIRST_WEEK = IsoWeek(2025, 40)
SIX_WEEKS = [FIRST_WEEK]
for _ in range(5):
    SIX_WEEKS.append(SIX_WEEKS[-1].next())
SECTION_LIMIT_DAILY = 5  # policies/stk-2025-12.toml [events.SectionCompleted]


def is_bad(record, known_refs) -> bool:
    """Whether ingestion must refuse the record (the simulator's deliberate refusals)."""
    return (
        record.get("type") not in KNOWN_EVENT_TYPES
        or "member" not in record
        or record["member"] not in known_refs
    )


def reference_map(community: Community) -> dict[str, str]:
    """Every way to name a person (platform id, source:alias) → their platform id."""
    refs: dict[str, str] = {}
    for record in [*community.members, *community.free_users]:
        refs[record["id"]] = record["id"]
        for source, alias in record["aliases"].items():
            assert f"{source}:{alias}" not in refs, "an alias is defined twice"
            refs[f"{source}:{alias}"] = record["id"]
    return refs


@dataclass
class Scan:
    """What one pass over every week's events found (kept small: 300 000 events)."""

    total: int = 0
    per_week: list[int] = field(default_factory=list)
    bad: int = 0
    problems: list[str] = field(default_factory=list)
    ids: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    types: Counter[str] = field(default_factory=Counter)
    capped_people_per_week: list[int] = field(default_factory=list)
    weekly_events_per_person: list[Counter[str]] = field(default_factory=list)


def scan(community: Community) -> Scan:
    refs = reference_map(community)
    found = Scan()
    for week in community.weeks:
        count = 0
        sections: Counter[tuple[str, str]] = Counter()
        per_person: Counter[str] = Counter()
        given: dict[str, str] = {}  # like:P:U / post:P → the giver's platform id
        received: list[tuple[str, str, str]] = []
        for record in community.events(week):
            count += 1
            ids = found.ids[record["source"]]
            if record["id"] in ids:
                found.problems.append(f"repeated id {record['source']} {record['id']}")
            ids.add(record["id"])
            if is_bad(record, refs):
                found.bad += 1
                continue
            found.types[record["type"]] += 1
            member = refs[record["member"]]
            per_person[member] += 1
            moment = record["occurred_at"]
            if (
                not moment.endswith("Z")
                or IsoWeek.containing(date.fromisoformat(moment[:10])) != week
            ):
                found.problems.append(f"{record['id']} at {moment} is outside {week}")
            counterpart = record.get("counterpart")
            if counterpart is not None:
                if counterpart not in refs:
                    found.problems.append(f"undefined counterpart {counterpart}")
                    continue
                if refs[counterpart] == member:
                    found.problems.append(f"self-interaction {record['id']}")
            for key in ("mentee", "referred"):
                if record["payload"].get(key) == member:
                    found.problems.append(f"self {key} {record['id']}")
            kind = record["type"]
            if kind in RECEIVED_EVENT_TYPES:
                if counterpart is None:
                    found.problems.append(f"received without counterpart {record['id']}")
                    continue
                received.append((record["id"], kind, refs[counterpart]))
            elif kind == "ClubLikeGiven":
                given[record["id"].removesuffix(":given")] = member
            elif kind == "ClubCommentCreated":
                given[record["id"].removesuffix(":created")] = member
            if kind == "SectionCompleted":
                sections[(member, moment[:10])] += 1
        for event_id, kind, giver in received:
            key = event_id.removesuffix(
                ":received" if kind == "ClubLikeReceived" else ":comment-received"
            )
            if given.get(key) != giver:
                found.problems.append(f"{event_id} has no matching given/created event")
        days_over: Counter[str] = Counter(
            member for (member, _), n in sections.items() if n > SECTION_LIMIT_DAILY
        )
        found.capped_people_per_week.append(sum(1 for n in days_over.values() if n >= 2))
        found.per_week.append(count)
        found.weekly_events_per_person.append(per_person)
        found.total += count
    return found


@pytest.fixture(scope="module")
def full() -> tuple[Community, Scan]:
    """The demo's community: 500 members, 12 000 free users, 6 weeks."""
    community = generate_community(2025, weeks=SIX_WEEKS)
    return community, scan(community)


def small(seed: int, **kwargs) -> Community:
    return generate_community(seed, members=40, free_users=300, weeks=SIX_WEEKS[:2], **kwargs)


def dump(community: Community) -> list:
    return [
        community.members,
        community.free_users,
        *[list(community.events(week)) for week in community.weeks],
    ]


def test_the_same_seed_gives_the_same_community_and_another_seed_a_different_one():
    assert dump(small(7)) == dump(small(7))
    assert dump(small(7)) != dump(small(8))
    later_week = small(7).events(SIX_WEEKS[1])
    assert list(later_week) == list(small(7).events(SIX_WEEKS[1])), "a week alone is reproducible"


def test_bad_fraction_adds_refusals_without_changing_the_good_events():
    clean = small(7, bad_fraction=0)
    noisy = small(7, bad_fraction=0.05)
    refs = reference_map(clean)
    for week in clean.weeks:
        good = list(clean.events(week))
        mixed = list(noisy.events(week))
        assert not any(is_bad(r, refs) for r in good)
        assert [r for r in mixed if not is_bad(r, refs)] == good
        assert 0 < sum(1 for r in mixed if is_bad(r, refs)) < 0.1 * len(good)


def test_the_default_community_has_the_target_size(full):
    community, found = full
    assert len(community.members) == 500
    assert len(community.free_users) == 12_000
    ids = [r["id"] for r in [*community.members, *community.free_users]]
    assert len(set(ids)) == len(ids)
    assert 150_000 <= found.total <= 400_000, found.per_week
    assert 0 < found.bad < 0.003 * found.total
    for kind in (
        "PeerReviewCompleted",
        "ProjectMilestoneCompleted",
        "MentorSessionCompleted",
        "ReferralConverted",
        "ClubPostCreated",
        "CourseCompleted",
    ):
        assert found.types[kind] > 0, kind


def test_activity_is_skewed_and_some_people_hit_the_daily_caps(full):
    community, found = full
    people = len(community.members) + len(community.free_users)
    for per_person in found.weekly_events_per_person:
        active = sorted(per_person.values())
        assert len(active) < 0.6 * people, "most people are idle in a given week"
        assert statistics.median(active) <= 12, "the median active person is light"
        assert active[-1] >= 10 * statistics.median(active), "a long tail of busy people"
    assert all(n >= 3 for n in found.capped_people_per_week), found.capped_people_per_week


def test_streaks_start_and_break(full):
    community, found = full
    weeks = [set(per_person) for per_person in found.weekly_events_per_person]
    members = [r["id"] for r in community.members]
    runs = ["".join("x" if m in w else "." for w in weeks) for m in members]
    assert any(r == "xxxxxx" for r in runs), "some members keep a streak"
    assert any("x.x" in r or "x..x" in r for r in runs), "some streaks break and restart"
    assert any(r.startswith(".") and "x" in r for r in runs), "some streaks start"


def test_member_history_is_skewed_low_with_upgrades_lapses_and_joins(full):
    community, _ = full
    start, end = SIX_WEEKS[0].monday.isoformat(), SIX_WEEKS[-1].end.date().isoformat()
    levels = Counter(r["qualification"][-1]["level"] for r in community.members)
    assert levels[1] > levels[4] > levels[8] >= 0
    assert 5 <= sum(1 for r in community.members if len(r["qualification"]) == 2) <= 60
    lapses = [r for r in community.members if r["membership"][0]["to"] is not None]
    joins = [r for r in community.members if start <= r["membership"][0]["from"] < end]
    assert 5 <= len(lapses) <= 60
    assert all(start < r["membership"][0]["to"] < end for r in lapses)
    assert 5 <= len(joins) <= 60
    assert all(
        r["qualification"] == [{"level": 1, "from": r["membership"][0]["from"]}] for r in joins
    )
    assert all(r["membership"] == [] and r["qualification"] == [] for r in community.free_users)


def test_every_reference_resolves_interactions_are_paired_and_ids_are_unique(full):
    _, found = full
    assert found.problems == []
    assert set(found.ids) == {"posthog", "discourse", "platform"}
    assert found.types["ClubLikeGiven"] == found.types["ClubLikeReceived"]
    assert 0 < found.types["ClubCommentReceived"] <= found.types["ClubCommentCreated"]


def test_an_unknown_week_is_refused():
    with pytest.raises(ValueError, match="not simulated"):
        small(1).events(SIX_WEEKS[3])
    with pytest.raises(ValueError, match="distinct"):
        generate_community(1, weeks=[FIRST_WEEK, FIRST_WEEK])


def test_written_files_import_cleanly_and_quarantine_only_the_injected_refusals(
    cli_on, tmp_path, capsys
):
    community = generate_community(
        3, members=30, free_users=100, weeks=SIX_WEEKS[:2], bad_fraction=0.01
    )
    refs = reference_map(community)
    paths = community.write(tmp_path)
    assert [p.name for p in paths] == [
        "members.jsonl",
        "events-2025-W40.jsonl",
        "events-2025-W41.jsonl",
    ]

    assert main(["members", "import", str(paths[0])]) == 0
    assert "accepted 130, duplicate 0, quarantined 0" in capsys.readouterr().out
    expected_bad = 0
    expected_good = 0
    for week, path in zip(community.weeks, paths[1:], strict=True):
        records = list(community.events(week))
        bad = sum(1 for r in records if is_bad(r, refs))
        expected_bad += bad
        expected_good += len(records) - bad
        assert main(["events", "import", str(path)]) == (3 if bad else 0)
        out = capsys.readouterr().out
        assert f"accepted {len(records) - bad}, duplicate 0, quarantined {bad}" in out
    assert expected_bad > 0, "the seed injects at least one refusal"

    stored, unattributed, quarantined = run_transaction(
        cli_on,
        lambda s: (
            s.execute(text("SELECT count(*) FROM events")).scalar_one(),
            s.execute(text("SELECT count(*) FROM events WHERE member_id IS NULL")).scalar_one(),
            s.execute(text("SELECT count(*) FROM quarantine")).scalar_one(),
        ),
    )
    assert stored == expected_good
    assert unattributed == 0, "every alias an event uses is defined in members.jsonl"
    assert quarantined == expected_bad
