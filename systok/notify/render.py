"""Messages from Jinja2 templates: one file per kind and language under ``templates/``
(``ru/transfer_received.txt``), each with a ``subject`` and a ``body`` block.

The bodies are plain text (email text/plain, Telegram without ``parse_mode``), so
nothing is HTML-escaped; a template with an ``.html`` name would be autoescaped.
``StrictUndefined`` turns a parameter the caller forgot into an error at enqueue
time, inside the event's unit of work, instead of a message with a hole in it.

Amounts arrive as the model writes them (``"1584.000000"``) and are shown the way the
statements show them (``systok.documents.statement_text.money``) by the ``amount``
filter: thousands grouped by no-break spaces, the language's decimal mark — Russian
``1 584,000000``, English ``1 584.000000``. The digits are moved, never recomputed.
"""

from __future__ import annotations

import re
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from systok.core.language import Language
from systok.notify.schemas import MessageKind, Rendered

Params = dict[str, str | int | None]


_DECIMAL_MARK = {Language.RU: ",", Language.EN: "."}
_AMOUNT = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?")


def amount_text(language: Language, value: object) -> str:
    """A decimal amount text as the member reads it in ``language`` (see the module
    docstring); anything that is not a plain decimal is shown as it is."""
    text = str(value)
    found = _AMOUNT.fullmatch(text)
    if found is None:
        return text
    sign, whole, fraction = found.groups()
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    grouped = "\u00a0".join([whole, *groups])
    return f"{sign}{grouped}{'' if fraction is None else _DECIMAL_MARK[language] + fraction}"


@cache
def _environment(language: Language) -> Environment:
    environment = Environment(
        loader=PackageLoader("systok.notify", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )
    environment.filters["amount"] = lambda value: amount_text(language, value)
    return environment


def render(kind: MessageKind, language: Language, params: Params) -> Rendered:
    """The message of ``kind`` in ``language`` with ``params`` filled in.

    Raises:
        jinja2.UndefinedError: a parameter the template uses is missing (a bug of the
            caller, so it is not a user error).
    """
    template = _environment(language).get_template(f"{language.value}/{kind.value}.txt")
    context = template.new_context(dict(params))
    subject = "".join(template.blocks["subject"](context)).strip()
    body = "".join(template.blocks["body"](context)).strip()
    # one line; ASCII whitespace only, so the amounts' no-break spaces stay
    return Rendered(subject=re.sub(r"[ \t\r\n]+", " ", subject), body=body + "\n")
