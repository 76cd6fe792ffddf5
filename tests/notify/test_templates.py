"""Every message kind renders in Russian and English, Cyrillic intact, no hole left."""

from __future__ import annotations

import pytest
from jinja2 import UndefinedError

from systok.core.language import Language
from systok.notify.render import Params, render
from systok.notify.schemas import MessageKind

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
    for value in PARAMS[kind].values():
        if value:
            assert str(value) in rendered.subject + rendered.body
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
    assert "Member ЁЩЪ sent you 1.000000 STK." in rendered.body
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
    assert attached.subject == "Ваши STK за неделю 2026-W05: 1584.000000 STK"
    assert "GET /api/v1/tokenomics/rewards/weekly?week=2026-W05" in neither.body


def test_a_missing_parameter_is_an_error_not_a_hole() -> None:
    with pytest.raises(UndefinedError):
        render(MessageKind.TRANSFER_RECEIVED, Language.RU, {"amount": "1.000000"})
