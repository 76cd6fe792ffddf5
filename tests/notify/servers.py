"""Loopback stand-ins for the notification channels' servers.

``SmtpServer``: a real SMTP server (aiosmtpd) on a free loopback port. aiosmtpd 1.4
cannot start on ``port=0`` (``start()`` connects to the configured port to check it
is up; INTEGRATIONS.md §4), so the port is found by binding a socket first.
Recipients in ``refuse`` get a permanent 550; in ``defer`` a temporary 451.

``BotApi``: a stand-in Telegram Bot API answering ``POST /bot<token>/sendMessage`` in
the shapes the Bot API documents (https://core.telegram.org/bots/api#making-requests):
``{"ok": true, "result": Message}`` or ``{"ok": false, "error_code": …,
"description": …, "parameters": {"retry_after": …}}``. ``script`` lists the answers to
give first (status, body); after it, every message succeeds.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

TOKEN = "123456:TEST-token"
FORBIDDEN_BLOCKED = (
    403,
    {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
)
TOO_MANY = (
    429,
    {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    },
)
BAD_GATEWAY = (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class _Handler:
    refuse: set[str] = field(default_factory=set)
    defer: set[str] = field(default_factory=set)
    received: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    quit_reply: str | None = None
    """What to answer QUIT instead of 221 (after ``quit_delay_seconds``)."""
    quit_delay_seconds: float = 0.0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user here"
        if address in self.defer:
            return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        if self.quit_delay_seconds:
            await asyncio.sleep(self.quit_delay_seconds)
        return self.quit_reply or "221 Bye"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        parsed = BytesParser(policy=policy.default).parsebytes(raw)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.received.append(parsed)
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    """A running loopback SMTP server and what it received."""

    port: int
    handler: _Handler

    @property
    def received(self) -> list[EmailMessage]:
        with self.handler.lock:
            return list(self.handler.received)


@contextmanager
def smtp_server(
    port: int | None = None, *, smtp: dict[str, Any] | None = None, **handler: Any
) -> Iterator[SmtpServer]:
    """An aiosmtpd server on ``port`` (a free one by default) for the block's time;
    ``smtp`` passes the controller's TLS and AUTH options (``tls_context``,
    ``require_starttls``, ``authenticator``, ``ssl_context`` for implicit TLS …)."""
    chosen = port or free_port()
    state = _Handler(**handler)
    controller = Controller(state, hostname="127.0.0.1", port=chosen, **(smtp or {}))
    controller.start()
    try:
        yield SmtpServer(chosen, state)
    finally:
        controller.stop()


@dataclass
class BotApi:
    """A running stand-in Bot API and the messages it accepted."""

    url: str
    script: list[tuple[int, dict[str, Any]]]
    accepted: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.requests += 1
            if path != f"/bot{TOKEN}/sendMessage":
                return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            if self.script:
                return self.script.pop(0)
            self.accepted.append(body)
            # A Message as sendMessage returns it: the bot as ``from`` (a User), the chat
            # with its numeric id (an Integer, whatever form ``chat_id`` was sent in).
            chat_id = str(body["chat_id"])
            message = {
                "message_id": len(self.accepted),
                "from": {
                    "id": int(TOKEN.split(":", maxsplit=1)[0]),
                    "is_bot": True,
                    "first_name": "SysTok",
                },
                "chat": {
                    "id": int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id,
                    "type": "private",
                },
                "date": 1764662400,
                "text": body["text"],
            }
            return 200, {"ok": True, "result": message}


@contextmanager
def bot_api(
    script: list[tuple[int, dict[str, Any]]] | None = None, port: int | None = None
) -> Iterator[BotApi]:
    """The stand-in Bot API on a loopback port for the block's time."""
    server = ThreadingHTTPServer(("127.0.0.1", port or 0), _BotHandler)
    api = BotApi(f"http://127.0.0.1:{server.server_address[1]}", list(script or []))
    server.api = api  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class _BotHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        status, answer = self.server.api.answer(self.path, body)  # type: ignore[attr-defined]
        data = json.dumps(answer).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests read what the server accepted, not its log."""
