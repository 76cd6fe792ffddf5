"""Messages from Jinja2 templates: one file per kind and language under ``templates/``
(``ru/transfer_received.txt``), each with a ``subject`` and a ``body`` block.

The bodies are plain text (email text/plain, Telegram without ``parse_mode``), so
nothing is HTML-escaped; a template with an ``.html`` name would be autoescaped.
``StrictUndefined`` turns a parameter the caller forgot into an error at enqueue
time, inside the event's unit of work, instead of a message with a hole in it.
"""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from systok.core.language import Language
from systok.notify.schemas import MessageKind, Rendered

Params = dict[str, str | int | None]


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("systok.notify", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )


def render(kind: MessageKind, language: Language, params: Params) -> Rendered:
    """The message of ``kind`` in ``language`` with ``params`` filled in.

    Raises:
        jinja2.UndefinedError: a parameter the template uses is missing (a bug of the
            caller, so it is not a user error).
    """
    template = _environment().get_template(f"{language.value}/{kind.value}.txt")
    context = template.new_context(dict(params))
    subject = "".join(template.blocks["subject"](context)).strip()
    body = "".join(template.blocks["body"](context)).strip()
    return Rendered(subject=" ".join(subject.split()), body=body + "\n")
