"""Every word of the weekly statement in Russian (the default) and English.

One table of strings per language with the same keys (a test checks they match), and
the number formatting of each: amounts from integer base units with thousands grouped
by a space and the language's decimal mark (``1 584,000000`` / ``1 584.000000``), so
no float is ever formatted. Event types the table does not know show their own name.
"""

from __future__ import annotations

from systok.core.amount import parse_amount
from systok.core.language import Language

LABELS: dict[Language, dict[str, str]] = {
    Language.RU: {
        "title": "Еженедельная выписка SysTok",
        "member": "Участник",
        "week": "Неделя",
        "status": "Статус",
        "status_paid": "выплачено",
        "status_pending": "ожидает выплаты",
        "earned": "Начислено за неделю",
        "points_line": "{points} {points_word} (базовых {base_points})",
        "prorata": "До пропорционального уменьшения {amount} STK; коэффициент {factor}",
        "advice_prorata": "(Сумма уже умножена на коэффициент этой недели {factor}: "
        "пул наград не покрыл все начисления.)",
        "mismatch": "Внимание: пересчёт не совпал с сохранённой наградой — запустите "
        "systok verify week {week}.",
        "explained": "Объяснение начисления",
        "col_type": "Активность",
        "col_events": "Событий",
        "col_counted": "Засчитано",
        "col_capped": "Сверх лимита",
        "col_ineligible": "Не учтено",
        "col_weight": "Вес",
        "col_limit": "Лимит в день",
        "col_base": "Баллы",
        "col_previous": "Баллы пред. нед.",
        "total": "Итого",
        "formula_weighted": "{base} {base_word} × {level_coef} (квалификация «{level_name}», "
        "уровень {level}) × {consistency} (постоянство: {streak} нед. подряд) = {points} "
        "{points_word} → {amount} STK",
        "formula_rank": "{base} {base_word} × множитель ранга {level_coef} («{level_name}», "
        "уровень {level}), с дневным потолком ранга = {points} {points_word} → "
        "{amount} STK. {change}",
        "rank_rise": "Активность каждый день: на следующей неделе ранг поднимется.",
        "rank_hold": "На следующей неделе ранг сохранится.",
        "rank_fall": "Мало активных дней: на следующей неделе ранг снизится.",
        "levels_varied": "Уровень менялся в течение недели: коэффициент применён по дням.",
        "comparison": "Сравнение с прошлой неделей",
        "previous_none": "На прошлой неделе ({week}) начислений не было.",
        "previous": "Прошлая неделя ({week}): {previous} STK; изменение: {change} STK.",
        "history": "Начисления за 12 недель",
        "chart_axis": "STK",
        "vesting": "Заморозка (vesting)",
        "vesting_none": "Все токены недели зачислены сразу: замороженных частей нет.",
        "vesting_line": "{amount} STK за {type_mid}: до {on} ({status})",
        "advice": "Ещё можно заработать",
        "advice_none": "Рекомендаций нет: все лимиты использованы.",
        "unused_limit": "{type}: свободных мест в дневных лимитах оплаченных дней — {count}; "
        "это ещё {amount} STK за такую же неделю.",
        "streak_reach": "Серия: будьте активны и на следующей неделе (засчитанных событий "
        "не меньше {count}) — коэффициент постоянства станет ×{coefficient} ({weeks} нед. подряд).",
        "streak_lose": "Неделя без активности сбросит серию: после неё коэффициент "
        "постоянства вернётся к ×{coefficient}.",
        "next_qualification": "Следующая квалификация — «{level_name}» (уровень {level}, "
        "×{coefficient}): та же неделя принесла бы {amount} STK.",
        "rank_next": "Ранг на следующей неделе: «{level_name}», множитель ×{coefficient}, "
        "не больше {count} {count_points_word} в день.",
        "vesting_release": "{amount} STK за {type_mid} заморожены до {on}: тогда они будут "
        "зачислены или отменены.",
        "inactivity_tier": "Если не проявлять активность до {on} ({days} {days_word} без "
        "активности): при закрытии квартала {rate} % доступного баланса перейдёт в пул "
        "наград.",
        "inactivity_warn": "Если не проявлять активность до {on} ({days} {days_word}): "
        "предупреждение о неактивности.",
        "last_active": "Последняя активность: {on}.",
        "notes": "Примечания",
        "verify": "Проверьте сами: политика и доказательство включения",
        "policy": "Политика {version}; SHA-256 её содержимого:",
        "root": "Корень Меркла недели",
        "leaf": "Лист: sha256(0x00 || «{text}»)",
        "path": "Путь к корню (сторона, хеш соседа); узел: sha256(0x01 || левый || правый)",
        "path_empty": "Путь пуст: лист и есть корень (единственная награда недели).",
        "proof_ok": "Путь от листа воспроизводит корень.",
        "proof_bad": "Путь НЕ воспроизводит корень — сообщите администратору.",
        "proof_doc": "Как пересчитать: docs/statement.md; systok proof {member} {week} --json",
        "page": "Стр. {page}",
    },
    Language.EN: {
        "title": "SysTok weekly statement",
        "member": "Member",
        "week": "Week",
        "status": "Status",
        "status_paid": "paid",
        "status_pending": "pending payout",
        "earned": "Earned this week",
        "points_line": "{points} {points_word} ({base_points} base)",
        "prorata": "Before pro rata {amount} STK; factor {factor}",
        "advice_prorata": "(Already times this week's pro rata factor {factor}: the "
        "rewards pool could not pay every reward in full.)",
        "mismatch": "Warning: re-scoring does not match the stored reward; run "
        "systok verify week {week}.",
        "explained": "How it was computed",
        "col_type": "Activity",
        "col_events": "Events",
        "col_counted": "Counted",
        "col_capped": "Over limit",
        "col_ineligible": "Not eligible",
        "col_weight": "Weight",
        "col_limit": "Limit/day",
        "col_base": "Points",
        "col_previous": "Prev. week points",
        "total": "Total",
        "formula_weighted": "{base} {base_word} × {level_coef} (qualification “{level_name}”, "
        "level {level}) × {consistency} (consistency: {streak} weeks in a row) = {points} "
        "{points_word} → {amount} STK",
        "formula_rank": "{base} {base_word} × rank multiplier {level_coef} (“{level_name}”, "
        "level {level}), within the rank's daily cap = {points} {points_word} → "
        "{amount} STK. {change}",
        "rank_rise": "Active every day: the rank rises next week.",
        "rank_hold": "The rank holds next week.",
        "rank_fall": "Too few active days: the rank falls next week.",
        "levels_varied": "The level changed during the week: coefficients applied per day.",
        "comparison": "Compared with the previous week",
        "previous_none": "No reward in the previous week ({week}).",
        "previous": "Previous week ({week}): {previous} STK; change: {change} STK.",
        "history": "The last 12 weeks",
        "chart_axis": "STK",
        "vesting": "Vesting",
        "vesting_none": "The whole reward was paid at once: nothing is frozen.",
        "vesting_line": "{amount} STK of {type_mid}: until {on} ({status})",
        "advice": "How to earn more",
        "advice_none": "No recommendations: every limit was used.",
        "unused_limit": "{type}: {count} daily-limit slots unused on paid days, worth "
        "{amount} STK more in the same week.",
        "streak_reach": "Streak: stay active next week (at least {count} counted events) and "
        "the consistency coefficient becomes ×{coefficient} ({weeks} weeks in a row).",
        "streak_lose": "A week without activity resets the streak: after it the consistency "
        "coefficient falls back to ×{coefficient}.",
        "next_qualification": "Next qualification: “{level_name}” (level {level}, "
        "×{coefficient}); the same week would have paid {amount} STK.",
        "rank_next": "Rank next week: “{level_name}”, multiplier ×{coefficient}, at most "
        "{count} {count_points_word} a day.",
        "vesting_release": "{amount} STK of {type_mid} are frozen until {on}: then they are "
        "released or cancelled.",
        "inactivity_tier": "Inactive until {on} ({days} {days_word} without activity): at the "
        "quarter's close {rate} % of the available balance moves to the rewards pool.",
        "inactivity_warn": "Inactive until {on} ({days} {days_word}): an inactivity warning.",
        "last_active": "Last activity: {on}.",
        "notes": "Notes",
        "verify": "Check it yourself: the policy and the inclusion proof",
        "policy": "Policy {version}; the SHA-256 of its content:",
        "root": "The week's Merkle root",
        "leaf": "Leaf: sha256(0x00 || “{text}”)",
        "path": "Path to the root (side, sibling hash); node: sha256(0x01 || left || right)",
        "path_empty": "The path is empty: the leaf is the root (the week's only reward).",
        "proof_ok": "The path from the leaf reproduces the root.",
        "proof_bad": "The path does NOT reproduce the root: tell an administrator.",
        "proof_doc": "How to recompute it: docs/statement.md; systok proof {member} {week} --json",
        "page": "Page {page}",
    },
}

EVENT_NAMES: dict[Language, dict[str, str]] = {
    Language.RU: {
        "SectionCompleted": "Прочитанные разделы",
        "ExerciseSave": "Выполненные задания",
        "CourseCompleted": "Пройденные курсы",
        "ClubPostCreated": "Посты в клубе",
        "ClubCommentCreated": "Комментарии",
        "ClubCommentReceived": "Полученные комментарии",
        "ClubLikeGiven": "Поставленные лайки",
        "ClubLikeReceived": "Полученные лайки",
        "ProjectMilestoneCompleted": "Этапы проектов",
        "PeerReviewCompleted": "Взаимные проверки",
        "PageView": "Просмотры страниц",
        "MentorSessionCompleted": "Занятия с наставником",
        "ReferralConverted": "Приглашённые участники",
    },
    Language.EN: {
        "SectionCompleted": "Sections read",
        "ExerciseSave": "Exercises done",
        "CourseCompleted": "Courses completed",
        "ClubPostCreated": "Club posts",
        "ClubCommentCreated": "Comments written",
        "ClubCommentReceived": "Comments received",
        "ClubLikeGiven": "Likes given",
        "ClubLikeReceived": "Likes received",
        "ProjectMilestoneCompleted": "Project milestones",
        "PeerReviewCompleted": "Peer reviews",
        "PageView": "Page views",
        "MentorSessionCompleted": "Mentoring sessions",
        "ReferralConverted": "Referrals converted",
    },
}

_DECIMAL_MARK: dict[Language, str] = {Language.RU: ",", Language.EN: "."}
_STATUS_WORDS: dict[Language, dict[str, str]] = {
    Language.RU: {"held": "заморожено", "released": "зачислено", "cancelled": "отменено"},
    Language.EN: {"held": "held", "released": "released", "cancelled": "cancelled"},
}


def label(language: Language, key: str, **values: object) -> str:
    """The label ``key`` in ``language`` with its ``{placeholders}`` filled."""
    return LABELS[language][key].format(**values)


def event_name(language: Language, event_type: str, mid_sentence: bool = False) -> str:
    """An event type in words (its own name when the table does not know it).

    ``mid_sentence``: the name as it reads inside a sentence — its first letter lower
    case («за взаимные проверки», not «за Взаимные проверки»); a type the table does
    not know keeps its own spelling (it is an identifier).
    """
    name = EVENT_NAMES[language].get(event_type)
    if name is None:
        return event_type
    return name[0].lower() + name[1:] if mid_sentence else name


def plural_ru(count: int, one: str, few: str, many: str) -> str:
    """The Russian form of a noun after the whole number ``count``: ``one`` after 1,
    21, 31, …, 101 (but not 11), ``few`` after 2–4, 22–24, … (but not 12–14), ``many``
    otherwise (0, 5–20, 25–30, 111, …)."""
    last_two, last = abs(count) % 100, abs(count) % 10
    if last == 1 and last_two != 11:
        return one
    if 2 <= last <= 4 and not 12 <= last_two <= 14:
        return few
    return many


_NOUNS: dict[Language, dict[str, tuple[str, str, str]]] = {
    Language.RU: {
        "points": ("балл", "балла", "баллов"),
        "base_points": ("базовый балл", "базовых балла", "базовых баллов"),
        "days": ("день", "дня", "дней"),
    },
    Language.EN: {
        "points": ("point", "points", "points"),
        "base_points": ("base point", "base points", "base points"),
        "days": ("day", "days", "days"),
    },
}


def noun(language: Language, key: str, amount: int | str) -> str:
    """The noun ``key`` (``points``, ``base_points``, ``days``) agreeing with
    ``amount``: an integer, or an exact decimal text (``"1584"``, ``"12.5"``).

    A number with a non-zero fraction takes the genitive singular in Russian
    («1,5 балла») and the plural in English; a whole number, ``plural_ru`` / 1 → one.
    """
    one, few, many = _NOUNS[language][key]
    whole, _, fraction = str(amount).partition(".")
    if fraction.strip("0"):
        return few if language == Language.RU else many
    count = int(whole)
    if language == Language.RU:
        return plural_ru(count, one, few, many)
    return one if count == 1 else many


def grant_status(language: Language, status: str) -> str:
    """A vesting part's status in words."""
    return _STATUS_WORDS[language].get(status, status)


def grouped(whole: int) -> str:
    """A non-negative integer with its thousands grouped by no-break spaces (``1 584``),
    so a line never breaks inside a number."""
    text = str(whole)
    groups: list[str] = []
    while len(text) > 3:
        groups.insert(0, text[-3:])
        text = text[:-3]
    return "\u00a0".join([text, *groups])


def money(language: Language, amount: str, scale: int) -> str:
    """A model amount (``"1584.000000"``) as the member reads it: ``1 584,000000``.

    Parsed back to integer base units first, so the digits are exactly the stored ones.
    """
    units = parse_amount(amount, scale)
    whole, fraction = divmod(abs(units), 10**scale)
    sign = "-" if units < 0 else ""
    if scale == 0:
        return f"{sign}{grouped(whole)}"
    return f"{sign}{grouped(whole)}{_DECIMAL_MARK[language]}{fraction:0{scale}d}"


def number(language: Language, text: str) -> str:
    """An exact decimal text (points, a coefficient) with the language's decimal mark."""
    whole, dot, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    grouped_whole = grouped(int(digits)) if digits.isdigit() else digits
    return f"{sign}{grouped_whole}{_DECIMAL_MARK[language] + fraction if dot else ''}"


def factor_text(language: Language, fraction: str, places: int = 6) -> str:
    """A pro-rata factor stored as an exact fraction (``"5/6"``) as a decimal of
    ``places`` digits, floored so it never overstates: ``0,833333``. Integer
    arithmetic only (``n × 10^places // d``)."""
    numerator, _, denominator = fraction.partition("/")
    scaled = int(numerator) * 10**places // int(denominator or "1")
    whole, rest = divmod(scaled, 10**places)
    return f"{whole}{_DECIMAL_MARK[language]}{rest:0{places}d}"


def percent_of_bps(language: Language, rate_bps: int) -> str:
    """Basis points as a percentage without trailing zeros: ``500`` → ``5``, ``1250`` →
    ``12,5`` (exact: integer division and remainder)."""
    whole, rest = divmod(rate_bps, 100)
    if rest == 0:
        return str(whole)
    return f"{whole}{_DECIMAL_MARK[language]}{rest:02d}".rstrip("0")
