"""The words and number formats of the quarterly report's PDF, in Russian and English.

Numbers are written from the report's integers as exact text: an amount of base units
becomes whole tokens with every significant decimal (trailing zeros dropped, nothing
rounded), grouped by thousands with a no-break space so a figure never wraps. Russian
writes the decimal comma, English the point. Nothing here divides money: a share in
basis points is already floored by the report and is only written with two decimals.
"""

from __future__ import annotations

from systok.core.amount import format_amount
from systok.core.language import Language

NBSP = "\u00a0"
"""Groups thousands and binds a number to its unit, so neither wraps apart."""


_WORDS: dict[str, tuple[str, str]] = {
    # key: (Russian, English)
    "title": ("КВАРТАЛЬНЫЙ ОТЧЁТ О ПРОЗРАЧНОСТИ", "QUARTERLY TRANSPARENCY REPORT"),
    "period": ("Период", "Period"),
    "policy": ("Политика", "Policy"),
    "anonymised": (
        "Публичный отчёт: участники не названы, держатели показаны только рангами. "
        "Суммы точные, из целых базовых единиц; доли округлены вниз.",
        "Public report: no member is named, holders are shown as ranks only. "
        "Amounts are exact, from integer base units; shares are floored.",
    ),
    "page": ("Страница {page} из {pages}", "Page {page} of {pages}"),
    "s_supply": ("ЭМИССИЯ И ОБЩЕЕ ПРЕДЛОЖЕНИЕ", "EMISSION AND SUPPLY"),
    "s_activity": ("ОБЪЁМ ПЕРЕВОДОВ И НАГРАДЫ", "TRANSFERS AND REWARDS"),
    "s_spread": ("РАСПРЕДЕЛЕНИЕ БАЛАНСОВ", "HOW BALANCES ARE SPREAD"),
    "s_health": ("ЗДОРОВЬЕ ЭКОНОМИКИ", "HEALTH OF THE ECONOMY"),
    "s_price": ("ЦЕНА", "PRICE"),
    "s_history": ("ИСТОРИЯ ПО КВАРТАЛАМ", "QUARTER BY QUARTER"),
    "quarter": ("Квартал", "Quarter"),
    "h_supply": ("Общее предложение на конец", "Supply at the close"),
    "h_price": ("Директивная цена за 1 STK", "Directive price per 1 STK"),
    "s_redistribution": ("ПЕРЕРАСПРЕДЕЛЕНИЕ", "REDISTRIBUTION"),
    "s_top": ("КРУПНЕЙШИЕ ДЕРЖАТЕЛИ (АНОНИМНО)", "TOP HOLDERS (ANONYMISED)"),
    "s_missing": ("ЧЕГО НЕТ В ОТЧЁТЕ", "NOT IN THIS REPORT"),
    "emission": ("Эмиссия за квартал", "Emitted in the quarter"),
    "burned": ("Сожжено за квартал", "Burned in the quarter"),
    "supply": ("Общее предложение на конец", "Supply at the close"),
    "circulating": ("В обращении на конец", "Circulating at the close"),
    "frozen": ("Заморожено на конец", "Frozen at the close"),
    "volume": ("Объём переводов", "Transfer volume"),
    "rewards": ("Выплачено наград", "Rewards paid"),
    "rewarded": ("Награждено участников", "Members rewarded"),
    "average": ("Средняя награда (вниз)", "Average reward (floored)"),
    "holders": ("Держателей с балансом > 0", "Holders with a balance > 0"),
    "gini": ("Коэффициент Джини", "Gini coefficient"),
    "nobody": ("никто", "nobody"),
    "metric": ("Показатель", "Metric"),
    "value": ("Значение", "Value"),
    "target": ("Цель", "Target"),
    "critical": ("Критично", "Critical"),
    "status": ("Оценка", "Status"),
    "m_active_wallets": ("Активные кошельки", "Active wallets"),
    "m_inflation": ("Инфляция, годовая", "Inflation, yearly"),
    "m_velocity": ("Скорость обращения", "Velocity"),
    "m_treasury": ("Казна", "Treasury"),
    "m_price": ("Цена", "Price"),
    "m_redistribution": ("Перераспределение", "Redistribution"),
    "st_ok": ("норма", "ok"),
    "st_warning": ("внимание", "warning"),
    "st_critical": ("критично", "critical"),
    "st_no_value": ("нет значения", "no value"),
    "st_unrated": ("без оценки", "unrated"),
    "st_missing": ("не рассчитано", "not computed"),
    "directive": ("Директивная цена за 1 STK", "Directive price per 1 STK"),
    "backing": ("Обеспечение", "Backing"),
    "issued": ("Выпущено всего", "Issued to date"),
    "set_at": ("Установлена", "Set at"),
    "r_members": ("Участников в снимке", "Members in the snapshot"),
    "r_redistributed": ("Перераспределено у участников", "Members redistributed from"),
    "r_due": ("Причиталось", "Due"),
    "r_moved": ("Перемещено в пул", "Moved to the pool"),
    "r_warnings": ("Предупреждений", "Warnings"),
    "r_out_of_reach": ("В собственных кошельках (недоступно)", "In own wallets (out of reach)"),
    "rank": ("Ранг", "Rank"),
    "balance": ("Баланс", "Balance"),
    "share": ("Доля", "Share"),
    "not_stored": (
        "нет данных: этап квартального прогона ещё не выполнен",
        "not stored: the quarterly run's stage has not run",
    ),
    "c_emission": ("Эмиссия по счетам, STK", "Emission by account, STK"),
    "c_supply": ("Общее предложение на конец квартала, STK", "Supply at each close, STK"),
    "c_lorenz": ("Кривая Лоренца", "Lorenz curve"),
    "c_lorenz_x": ("доля держателей (от беднейших)", "share of holders (poorest first)"),
    "c_lorenz_y": ("доля токенов", "share of tokens"),
    "c_equality": ("равенство", "equality"),
    "c_price": ("Директивная цена, {quote} за 1 STK", "Directive price, {quote} per 1 STK"),
    "c_no_price": ("нет цены", "no price"),
    "c_zero_price": (
        "каждая цена 0 или не установлена",
        "every price is 0 or not set",
    ),
    "c_nothing": ("нет данных", "no data"),
}

ACCOUNTS: dict[str, tuple[str, str]] = {
    "pool:rewards": ("пул наград", "rewards pool"),
    "fund:treasury": ("казна", "treasury"),
    "fund:startup": ("фонд проектов", "startup fund"),
    "fund:team": ("команда", "team"),
    "fund:liquidity": ("ликвидность", "liquidity"),
}
"""Readable names of the account types emission credits; others keep their code."""


def word(key: str, language: Language) -> str:
    """The phrase ``key`` in ``language``."""
    russian, english = _WORDS[key]
    return russian if language is Language.RU else english


def account_name(account: str, language: Language) -> str:
    """An account type as a reader knows it (its code when there is no name)."""
    names = ACCOUNTS.get(account)
    if names is None:
        return account
    return names[0] if language is Language.RU else names[1]


def _grouped(digits: str) -> str:
    groups: list[str] = []
    while len(digits) > 3:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    groups.insert(0, digits)
    return NBSP.join(groups)


def decimal_text(text: str, language: Language) -> str:
    """A plain decimal (``-1234.5``) with grouped thousands and the language's mark."""
    sign = "-" if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("-").partition(".")
    mark = "," if language is Language.RU else "."
    return sign + _grouped(whole) + (mark + fraction if fraction else "")


def count_text(count: int, language: Language) -> str:
    """A count with grouped thousands."""
    return decimal_text(str(count), language)


def amount_text(units: int, scale: int, language: Language, unit: str = "STK") -> str:
    """Base units as whole tokens, exact: trailing zero decimals dropped, none rounded."""
    plain = format_amount(units, scale)
    if "." in plain:
        plain = plain.rstrip("0").rstrip(".")
    return decimal_text(plain, language) + (NBSP + unit if unit else "")


def bps_text(share_bps: int, language: Language) -> str:
    """A share in basis points (already floored) as a percentage with two decimals."""
    return decimal_text(format_amount(share_bps, 2), language) + NBSP + "%"


def metric_text(value: str, unit: str, language: Language) -> str:
    """A health reading's exact text in its unit (``percent`` gets ``%``)."""
    suffix = NBSP + "%" if unit == "percent" else ""
    return decimal_text(value, language) + suffix
