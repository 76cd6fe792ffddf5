"""Words of the statement: every event type has a name, Russian nouns agree with their
numbers, and event names read right inside a sentence (issue 14)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import jinja2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from systok.documents.statement_text import EVENT_NAMES, Language, event_name, noun, plural_ru

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "systok" / "notify" / "templates"
LANGUAGES: tuple[Language, ...] = ("ru", "en")


def policy_event_types() -> set[str]:
    """Every event key of every policy file (policies/*.toml, read only)."""
    found: set[str] = set()
    for path in sorted((ROOT / "policies").glob("*.toml")):
        found |= set(tomllib.loads(path.read_text(encoding="utf-8")).get("events", {}))
    return found


def template_activities(language: str) -> dict[str, str]:
    """The ``activities`` map the notification templates import from ``_names.txt``."""
    text = (TEMPLATES / language / "_names.txt").read_text(encoding="utf-8")
    module = jinja2.Environment(autoescape=False).from_string(text).module
    activities: dict[str, str] = getattr(module, "activities")  # noqa: B009 (a template's export)
    return dict(activities)


def test_the_policies_name_the_types_the_reviewer_found_missing():
    assert {"MentorSessionCompleted", "ReferralConverted"} <= policy_event_types()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_policy_event_type_has_a_name_in_both_places(language: Language):
    """The statement's table and the notifications' ``_names.txt`` name every event
    type any policy defines, in Russian and in English."""
    types = policy_event_types()
    assert sorted(types - set(EVENT_NAMES[language])) == []
    assert sorted(types - set(template_activities(language))) == []


def test_plural_ru_golden():
    """1 балл, 2–4 балла, 5–20 баллов, 21 балл, 22 балла, 25 баллов, 101 балл, 111
    баллов, 112 баллов, 1 584 балла (ends in 4, not 14), 0 баллов."""
    forms = ("балл", "балла", "баллов")
    expected = {
        0: "баллов",
        1: "балл",
        2: "балла",
        4: "балла",
        5: "баллов",
        11: "баллов",
        12: "баллов",
        14: "баллов",
        20: "баллов",
        21: "балл",
        22: "балла",
        25: "баллов",
        101: "балл",
        111: "баллов",
        112: "баллов",
        1584: "балла",
    }
    assert {n: plural_ru(n, *forms) for n in expected} == expected


@given(st.integers(0, 10**9))
def test_plural_ru_depends_on_the_last_two_digits(count: int):
    forms = ("one", "few", "many")
    assert plural_ru(count, *forms) == plural_ru(count % 100 + 100, *forms)


def test_nouns_agree_with_numbers():
    """Whole numbers by ``plural_ru`` (ru) or 1 → singular (en); a decimal with a
    fraction takes «балла» / "points"; trailing zeros are no fraction."""
    assert noun("ru", "points", "1584") == "балла"
    assert noun("ru", "points", "960") == "баллов"
    assert noun("ru", "points", "21") == "балл"
    assert noun("ru", "points", "12.5") == "балла"
    assert noun("ru", "points", "5.00") == "баллов"
    assert noun("ru", "base_points", 1) == "базовый балл"
    assert noun("ru", "days", 90) == "дней" and noun("ru", "days", 31) == "день"
    assert noun("en", "points", "1") == "point" and noun("en", "points", "1.5") == "points"


def test_event_names_mid_sentence_are_lower_case():
    assert event_name("ru", "PeerReviewCompleted") == "Взаимные проверки"
    assert event_name("ru", "PeerReviewCompleted", mid_sentence=True) == "взаимные проверки"
    assert event_name("en", "PeerReviewCompleted", mid_sentence=True) == "peer reviews"
    assert event_name("ru", "SomethingNew", mid_sentence=True) == "SomethingNew"
