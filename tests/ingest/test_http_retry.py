"""The retrying client: 429 hints, 5xx backoff with a cap, a clear error at the end."""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from systok.errors import PullFailed
from systok.ingest.http import RetryingClient, wait_hint_seconds
from tests.ingest.stand_in import Sleeps, serve

calls: Counter[str] = Counter()


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/limited")
    def limited() -> JSONResponse:
        calls["limited"] += 1
        if calls["limited"] == 1:
            return JSONResponse({"detail": "slow down"}, 429, headers={"Retry-After": "2"})
        return JSONResponse({"ok": True})

    @app.get("/discourse-limited")
    def discourse_limited() -> JSONResponse:
        calls["discourse"] += 1
        if calls["discourse"] == 1:
            body = {
                "errors": ["too many"],
                "error_type": "rate_limit",
                "extras": {"wait_seconds": 3},
            }
            return JSONResponse(body, 429, headers={"Discourse-Rate-Limit-Error-Code": "admin"})
        return JSONResponse({"ok": True})

    @app.get("/flaky")
    def flaky() -> JSONResponse:
        calls["flaky"] += 1
        if calls["flaky"] <= 2:
            return JSONResponse({"error": "busy"}, 503)
        return JSONResponse({"ok": True})

    @app.get("/down")
    def down() -> JSONResponse:
        return JSONResponse({"error": "broken"}, 500)

    @app.get("/forbidden")
    def forbidden() -> JSONResponse:
        calls["forbidden"] += 1
        return JSONResponse({"detail": "bad key"}, 403)

    return app


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(_app()) as url:
        yield url


@pytest.fixture(autouse=True)
def _reset() -> None:
    calls.clear()


def client(base_url: str, sleeps: Sleeps, retries_max: int = 3) -> RetryingClient:
    return RetryingClient(base_url, retries_max=retries_max, timeout_seconds=5, sleep=sleeps)


def test_429_waits_the_retry_after_hint_then_succeeds(base_url: str) -> None:
    sleeps = Sleeps()
    with client(base_url, sleeps) as http:
        assert http.get_json("/limited") == {"ok": True}
    assert sleeps == [2.0]
    assert calls["limited"] == 2


def test_429_waits_discourse_extras_wait_seconds(base_url: str) -> None:
    sleeps = Sleeps()
    with client(base_url, sleeps) as http:
        assert http.get_json("/discourse-limited") == {"ok": True}
    assert sleeps == [4.0]  # wait_seconds + 1, as pydiscourse does


def test_5xx_backs_off_exponentially(base_url: str) -> None:
    sleeps = Sleeps()
    with client(base_url, sleeps) as http:
        assert http.get_json("/flaky") == {"ok": True}
    assert sleeps == [0.5, 1.0]


def test_gives_up_after_the_retry_budget_naming_url_and_status(base_url: str) -> None:
    sleeps = Sleeps()
    with client(base_url, sleeps, retries_max=4) as http, pytest.raises(PullFailed) as caught:
        http.get_json("/down")
    assert caught.value.status == 500
    assert caught.value.url == f"{base_url}/down"
    assert "/down" in caught.value.message and "HTTP 500" in caught.value.message
    assert sleeps == [0.5, 1.0, 2.0, 4.0]


def test_backoff_is_capped() -> None:
    http = RetryingClient("http://x", backoff_base_seconds=1, backoff_cap_seconds=5)
    assert [http._backoff_seconds(n) for n in range(5)] == [1, 2, 4, 5, 5]
    http.close()


def test_other_4xx_is_not_retried(base_url: str) -> None:
    sleeps = Sleeps()
    with client(base_url, sleeps) as http, pytest.raises(PullFailed) as caught:
        http.get_json("/forbidden")
    assert caught.value.status == 403
    assert sleeps == []
    assert calls["forbidden"] == 1


def test_connection_errors_are_retried_then_reported() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    sleeps = Sleeps()
    with (
        RetryingClient(f"http://127.0.0.1:{port}", retries_max=2, sleep=sleeps) as http,
        pytest.raises(PullFailed) as caught,
    ):
        http.get_json("/x")
    assert caught.value.status is None
    assert "no response" in caught.value.message
    assert sleeps == [0.5, 1.0]


def test_retry_after_as_http_date() -> None:
    response = httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    assert wait_hint_seconds(response) == 0.0  # in the past: retry at once
    assert wait_hint_seconds(httpx.Response(429, text="busy")) is None
