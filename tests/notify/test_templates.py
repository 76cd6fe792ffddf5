"""Every message kind renders in Russian and English, Cyrillic intact, no hole left."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jinja2 import UndefinedError

from systok.core.language import Language
from systok.notify.render import Params, amount_text, render
from systok.notify.schemas import MessageKind

AMOUNTS = {"amount", "price"}
"""Parameters shown through the ``amount`` filter."""
PARAMS: dict[MessageKind, Params] = {
    MessageKind.WEEKLY_REWARD: {"week": "2026-W05", "amount": "1584.000000", "statement_url": ""},
    MessageKind.VESTING_RELEASED: {"amount": "200.000000", "activity": "Щедрый отзыв"},
    MessageKind.VESTING_CANCELLED: {
        "amount": "200.000000",
        "activity": "Щедрый отзыв",
        "reason": "отзыв отклонён",
    },
    MessageKind.INACTIVITY_WARNING: {
        "quarter": "2026-Q1",
        "days_inactive": 90,
        "rate_percent": "5.00",
        "amount": "12.500000",
    },
    MessageKind.REDISTRIBUTION: {
        "quarter": "2026-Q1",
        "days_inactive": 180,
        "rate_percent": "10.00",
        "amount": "25.000000",
    },
    MessageKind.TRANSFER_RECEIVED: {"amount": "5.000000", "sender": "Ёлкин"},
    MessageKind.PURCHASE_CONFIRMED: {
        "service": "Базовый курс",
        "price": "500.000000",
        "ends_on": "2026-03-02",
    },
    MessageKind.STABILISATION_PROPOSAL: {
        "quarter": "2026-Q1",
        "proposal_id": 7,
        "rule": "buyback",
        "action": "выкуп",
        "metric": "price_change",
        "status": "proposed",
    },
}


def test_every_kind_has_parameters_here() -> None:
    assert set(PARAMS) == set(MessageKind)


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("kind", list(MessageKind))
def test_every_kind_renders_in_both_languages(kind: MessageKind, language: Language) -> None:
    """Each parameter's value shows up verbatim; Russian messages are in Cyrillic."""
    rendered = render(kind, language, PARAMS[kind])
    assert rendered.subject and "\n" not in rendered.subject
    assert rendered.body.endswith("\n")
    for name, value in PARAMS[kind].items():
        if value:
            shown = amount_text(language, value) if name in AMOUNTS else str(value)
            assert shown in rendered.subject + rendered.body
    if language is Language.RU:
        assert any("а" <= ch <= "я" for ch in rendered.subject.lower())
        assert "Здравствуйте" in rendered.body or "Администраторам" in rendered.body
    else:
        assert "Hello" in rendered.body or "administrators" in rendered.body


def test_cyrillic_parameters_survive_in_english() -> None:
    """A member's name in Cyrillic (Ё, Щ, Ъ) is kept exactly."""
    rendered = render(
        MessageKind.TRANSFER_RECEIVED, Language.EN, {"amount": "1.000000", "sender": "ЁЩЪ"}
    )
    assert "Member ЁЩЪ sent you 1.000000 STK." in rendered.body  # English: a point
    assert rendered.subject == "You received 1.000000 STK"


def test_weekly_reward_links_or_attaches_the_statement() -> None:
    linked = render(
        MessageKind.WEEKLY_REWARD,
        Language.RU,
        {"week": "2026-W05", "amount": "1584.000000", "statement_url": "https://x/s.pdf"},
    )
    attached = render(
        MessageKind.WEEKLY_REWARD,
        Language.RU,
        {**PARAMS[MessageKind.WEEKLY_REWARD], "attached": 1},
    )
    neither = render(MessageKind.WEEKLY_REWARD, Language.EN, PARAMS[MessageKind.WEEKLY_REWARD])
    assert "Подробная выписка: https://x/s.pdf" in linked.body
    assert "приложена к письму (PDF)" in attached.body
    assert attached.subject == "Ваши STK за неделю 2026-W05: 1\u00a0584,000000 STK"
    assert "GET /api/v1/tokenomics/rewards/weekly?week=2026-W05" in neither.body


@pytest.mark.parametrize(
    ("language", "value", "shown"),
    [
        (Language.RU, "1584.000000", "1\u00a0584,000000"),
        (Language.EN, "1584.000000", "1\u00a0584.000000"),
        (Language.RU, "1234567.000001", "1\u00a0234\u00a0567,000001"),
        (Language.RU, "-5.500000", "-5,500000"),
        (Language.EN, "999", "999"),
        (Language.RU, "n/a", "n/a"),  # not a decimal: shown as it is
    ],
)
def test_amounts_in_the_members_language(language: Language, value: str, shown: str) -> None:
    """Issue 14, defect 8: as the statements write them — thousands grouped by
    no-break spaces, a comma in Russian, a point in English; the digits untouched."""
    assert amount_text(language, value) == shown


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_amount_text_keeps_every_digit(units: int) -> None:
    """Removing the grouping and the mark gives back the model's text, digit for digit."""
    whole, fraction = divmod(abs(units), 10**6)
    text = f"{'-' if units < 0 else ''}{whole}.{fraction:06d}"
    shown = amount_text(Language.RU, text)
    assert shown.replace("\u00a0", "").replace(",", ".") == text


def test_a_missing_parameter_is_an_error_not_a_hole() -> None:
    with pytest.raises(UndefinedError):
        render(MessageKind.TRANSFER_RECEIVED, Language.RU, {"amount": "1.000000"})
