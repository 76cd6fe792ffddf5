"""Telegram through the Bot API's ``sendMessage`` (https://core.telegram.org/bots/api).

``POST {SYSTOK_TELEGRAM_API_URL}/bot<token>/sendMessage`` with ``chat_id`` and
``text`` (plain text: no ``parse_mode``, so nothing needs escaping). The Bot API
answers ``{"ok": true, "result": Message}`` or ``{"ok": false, "error_code": …,
"description": …, "parameters": {"retry_after": …}}`` (its "Making requests" and
``ResponseParameters`` sections). Its fate:

* 429 Too Many Requests: deferred for at least ``parameters.retry_after`` seconds;
* 5xx, a network failure, an answer that is not the documented JSON: deferred;
* 401/404 (a wrong token or API URL): deferred — the deployment's fault, every
  message would fail alike until it is fixed;
* other 4xx (400 chat not found, 403 bot blocked by the user): refused, parked.

A message longer than the Bot API's 4096 characters is cut to fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from systok.errors import DeliveryDeferred, DeliveryRefused
from systok.notify.schemas import OutboxMessage

TEXT_CHARS_MAX = 4096
CONFIGURATION_CODES = (401, 404)


def message_text(message: OutboxMessage) -> str:
    """The subject as a first line, then the body, within the Bot API's length."""
    text = f"{message.subject}\n\n{message.body}".strip()
    return text if len(text) <= TEXT_CHARS_MAX else text[: TEXT_CHARS_MAX - 1] + "…"


@dataclass(frozen=True)
class TelegramChannel:
    """A bot to send through (``SYSTOK_TELEGRAM_*``)."""

    api_url: str
    token: str
    timeout_seconds: float = 20.0

    def send(self, message: OutboxMessage) -> None:
        """Send the message to its chat.

        Raises:
            DeliveryDeferred: try again later (429 with retry_after, 5xx, network).
            DeliveryRefused: the chat cannot be written to (400, 403).
        """
        url = f"{self.api_url.rstrip('/')}/bot{self.token}/sendMessage"
        chat: int | str = (
            int(message.address) if message.address.lstrip("-").isdigit() else (message.address)
        )
        body = {
            "chat_id": chat,
            "text": message_text(message),
            "link_preview_options": {"is_disabled": True},
        }
        try:
            response = httpx.post(url, json=body, timeout=self.timeout_seconds)
        except httpx.HTTPError as error:
            raise DeliveryDeferred(f"Telegram unreachable: {type(error).__name__}") from None
        answer = _json(response)
        if response.status_code == 200 and answer.get("ok") is True:
            return
        code = answer.get("error_code", response.status_code)
        code = code if isinstance(code, int) else response.status_code
        described = f"Telegram {code}: {answer.get('description', response.reason_phrase)}"
        parameters = answer.get("parameters")
        retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
        if code == 429:
            wait = retry_after if isinstance(retry_after, int) and retry_after > 0 else None
            raise DeliveryDeferred(described, retry_after_seconds=wait)
        if code >= 500 or code in CONFIGURATION_CODES or not answer:
            raise DeliveryDeferred(described)
        raise DeliveryRefused(described)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}
