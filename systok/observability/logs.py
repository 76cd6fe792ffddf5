"""Structured logs: one namespace (``systok``), JSON or text on stderr.

Why: an operator's log shipper needs each line to say *why* (the refusal's reason, the
run and stage that failed) as fields, not prose to grep. ``SYSTOK_LOG_FORMAT=json``
writes one JSON object a line (python-json-logger); ``text`` (the default) writes a
readable line with the same fields appended. ``SYSTOK_LOG_LEVEL`` sets the least
severe level. Context goes in ``extra={...}``; keys are plain words (``run_id``,
``week``, ``stage``, ``status``, ``error``, ``reason``, ``path``, ``client``).

Only ``systok`` and uvicorn's loggers get the handler; libraries keep Python's
defaults. Configured by the ``systok`` entry point and by ``systok serve``; tests that
call functions directly see no output unless they configure it themselves.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from pythonjsonlogger.json import JsonFormatter

from systok.config import Settings

if TYPE_CHECKING:
    from starlette.requests import Request

    from systok.errors import SystokError

ROOT_LOGGER = "systok"
OTHER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
_HANDLER_NAME = "systok-stderr"

# The attributes every LogRecord has; anything else on a record came from ``extra``.
_RECORD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "taskName", "color_message"}
)


def get_logger(name: str) -> logging.Logger:
    """A logger under the ``systok`` namespace (``systok.<name>``)."""
    return logging.getLogger(f"{ROOT_LOGGER}.{name}" if name else ROOT_LOGGER)


def context_of(record: logging.LogRecord) -> dict[str, Any]:
    """The fields a call passed with ``extra={...}``."""
    return {k: v for k, v in record.__dict__.items() if k not in _RECORD_ATTRIBUTES}


class TextFormatter(logging.Formatter):
    """``2026-12-02T01:02:03Z WARNING systok.api request refused status=401 reason=…``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s", "%Y-%m-%dT%H:%M:%SZ")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        """UTC, whatever the machine's zone."""
        moment = datetime.fromtimestamp(record.created, UTC)  # the record's time, not "now"
        return moment.strftime(datefmt or "%Y-%m-%dT%H:%M:%SZ")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = " ".join(
            f"{k}={v!r}" if isinstance(v, str) else f"{k}={v}"
            for k, v in context_of(record).items()
        )
        return f"{line} {fields}" if fields else line


def json_formatter() -> logging.Formatter:
    """One JSON object a line: time (UTC ISO 8601), level, logger, message, the extras."""
    return JsonFormatter(
        "{levelname}{name}{message}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
        json_ensure_ascii=False,
    )


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time of each record (test runners and
    daemons swap it; a handler holding an old stream would write to a closed file)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """Send ``systok`` (and uvicorn's) log records to ``stream`` (stderr) in the set format.

    Idempotent: a second call replaces the handler instead of adding another one.
    """
    handler: logging.Handler = (
        logging.StreamHandler(stream) if stream is not None else StderrHandler()
    )
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(json_formatter() if settings.log_format == "json" else TextFormatter())
    level = logging.getLevelName(settings.log_level)
    for name in (ROOT_LOGGER, *OTHER_LOGGERS):
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if h.get_name() == _HANDLER_NAME]:
            logger.removeHandler(old)
        if name != "uvicorn.error":  # it propagates to "uvicorn": one line, not two
            logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = name == "uvicorn.error"


def log_refusal(request: Request, error: SystokError) -> None:
    """One log line per refused request, with the reason the client was given.

    Why: a 401 of the webhook or a 403 of an API key is the client's problem until it is
    the operator's; the line names the error, its reason, the route and the client's
    address (after the proxy's forwarded headers). Server errors (5xx) are ``error``,
    authentication and authorisation refusals ``warning``, other refusals ``info``.
    """
    status = error.status_code
    if status >= 500:
        level = logging.ERROR
    elif status in (401, 403):
        level = logging.WARNING
    else:
        level = logging.INFO
    client = request.client.host if request.client is not None else None
    get_logger("api").log(
        level,
        "request refused",
        extra={
            "status": status,
            "error": error.error_name,
            "reason": error.message,
            "method": request.method,
            "path": request.url.path,
            "client": client,
        },
    )
