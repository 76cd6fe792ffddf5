"""One retrying HTTP client for every pull source (PostHog, Discourse REST, the platform).

Pulls run unattended (cron, the weekly run), so a rate limit or a server hiccup must
not end them, yet a real outage must end them with one clear line instead of a
traceback or an endless loop. The rules, the same for every source:

- **429**: wait the server's hint — the ``Retry-After`` header (seconds or an HTTP
  date) or Discourse's JSON ``extras.wait_seconds`` — capped at ``wait_cap_seconds``;
  without a hint, back off as for a 5xx.
- **5xx, timeouts, connection errors**: exponential backoff (``backoff_base_seconds``
  × 2ⁿ, capped at ``backoff_cap_seconds``).
- At most ``retries_max`` retries (``Settings.http_retries_max``), then ``PullFailed``
  naming the URL and the last status (or the connection error).
- Any other 4xx is not retried: a wrong key or a wrong URL does not heal by waiting.

``sleep`` is injectable so tests record the waits instead of sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any

import httpx

from systok import clock
from systok.config import Settings
from systok.errors import ConfigurationError, PullFailed

Sleep = Callable[[float], None]

HTTP_NOT_FOUND = 404
HTTP_TOO_MANY_REQUESTS = 429
HTTP_SERVER_ERROR_MIN = 500
HTTP_CLIENT_ERROR_MIN = 400
BODY_EXCERPT_CHARS = 300


class RetryingClient:
    """A synchronous httpx client with the retry rules of the module docstring."""

    def __init__(
        self,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        timeout_seconds: float = 20.0,
        retries_max: int = 5,
        sleep: Sleep = time.sleep,
        backoff_base_seconds: float = 0.5,
        backoff_cap_seconds: float = 30.0,
        wait_cap_seconds: float = 300.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.retries_max = retries_max
        self.sleep = sleep
        self.backoff_base_seconds = backoff_base_seconds
        self.backoff_cap_seconds = backoff_cap_seconds
        self.wait_cap_seconds = wait_cap_seconds
        self._client = httpx.Client(
            headers=dict(headers or {}), timeout=timeout_seconds, transport=transport
        )

    def __enter__(self) -> RetryingClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def url_of(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"

    def get_json(self, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("GET", path, params=params).json()

    def post_json(self, path: str, body: Any) -> Any:
        return self.request("POST", path, json=body).json()

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """Send one request, retrying as the module docstring says; 2xx/3xx or raise."""
        url = self.url_of(path)
        last_status: int | None = None
        last_problem = ""
        for attempt in range(self.retries_max + 1):
            try:
                response = self._client.request(method, url, params=params, json=json)
            except httpx.TransportError as error:  # timeouts and connection errors
                last_status, last_problem = None, f"{type(error).__name__}: {error}"
                wait_seconds = self._backoff_seconds(attempt)
            else:
                status = response.status_code
                if status < HTTP_CLIENT_ERROR_MIN:
                    return response
                last_status, last_problem = status, _excerpt(response)
                if status == HTTP_TOO_MANY_REQUESTS:
                    hint = wait_hint_seconds(response)
                    wait_seconds = (
                        min(hint, self.wait_cap_seconds)
                        if hint is not None
                        else self._backoff_seconds(attempt)
                    )
                elif status >= HTTP_SERVER_ERROR_MIN:
                    wait_seconds = self._backoff_seconds(attempt)
                else:
                    raise PullFailed(
                        f"{method} {url} was refused with HTTP {status}: {last_problem}",
                        url=url,
                        status=status,
                    )
            if attempt < self.retries_max:
                self.sleep(wait_seconds)
        what = f"HTTP {last_status}" if last_status is not None else "no response"
        raise PullFailed(
            f"{method} {url} failed after {self.retries_max} retries; last: {what}"
            + (f" ({last_problem})" if last_problem else ""),
            url=url,
            status=last_status,
        )

    def _backoff_seconds(self, attempt: int) -> float:
        return float(min(self.backoff_cap_seconds, self.backoff_base_seconds * 2**attempt))


def wait_hint_seconds(response: httpx.Response) -> float | None:
    """The server's "wait this long" hint of a 429, if it gave one.

    ``Retry-After`` (delta seconds or an HTTP date) first, then Discourse's body
    ``{"extras": {"wait_seconds": n}}`` (pydiscourse waits that plus one second).
    """
    header = response.headers.get("Retry-After")
    if header:
        text = header.strip()
        try:
            return max(0.0, float(text))
        except ValueError:
            pass
        try:
            moment = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            moment = None
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return max(0.0, (moment - clock.now()).total_seconds())
    try:
        body = response.json()
    except ValueError:
        return None
    extras = body.get("extras") if isinstance(body, dict) else None
    wait = extras.get("wait_seconds") if isinstance(extras, dict) else None
    if isinstance(wait, int | float) and not isinstance(wait, bool):
        return max(0.0, float(wait)) + 1.0
    return None


def client_from_settings(
    settings: Settings,
    base_url: str | None,
    *,
    setting_name: str,
    headers: Mapping[str, str],
    sleep: Sleep = time.sleep,
) -> RetryingClient:
    """A client for one source, with the timeout and retry budget from settings.

    Raises:
        ConfigurationError: the source's base URL is not configured.
    """
    if not base_url:
        raise ConfigurationError(f"{setting_name} is not set (SYSTOK_{setting_name.upper()})")
    return RetryingClient(
        base_url,
        headers=headers,
        timeout_seconds=settings.http_timeout_seconds,
        retries_max=settings.http_retries_max,
        sleep=sleep,
    )


def _excerpt(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:BODY_EXCERPT_CHARS] + ("…" if len(text) > BODY_EXCERPT_CHARS else "")
