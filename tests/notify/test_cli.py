"""``systok notify …`` end to end: a real loopback SMTP server, settings from the
environment, ``--json`` read back (docs/cli-json.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import time_machine
from sqlalchemy import Engine

from systok.cli.main import main
from systok.config import get_settings
from tests.notify.outbox import outbox, with_profile
from tests.notify.servers import smtp_server
from tests.notify.test_outbox import T0, T0_US, transfer_note


@pytest.fixture
def smtp_env(cli_on: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """The CLI's SMTP settings pointing at a loopback server that refuses one address."""
    with smtp_server(refuse={"gone@example.org"}) as server:
        monkeypatch.setenv("SYSTOK_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SYSTOK_SMTP_PORT", str(server.port))
        monkeypatch.setenv("SYSTOK_SMTP_STARTTLS", "false")
        monkeypatch.setenv("SYSTOK_SMTP_FROM", "SysTok <systok@example.org>")
        get_settings.cache_clear()
        yield server.port
        get_settings.cache_clear()


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


@time_machine.travel(T0, tick=False)
def test_dispatch_list_retry(cli_on: Engine, smtp_env: int, capsys) -> None:
    with_profile(cli_on, "anna", email="anna@example.org")
    with_profile(cli_on, "gone", email="gone@example.org")
    transfer_note(cli_on, "transfer:1", "anna")
    transfer_note(cli_on, "transfer:2", "gone")
    summary = run_json(capsys, "notify", "dispatch", "--once", "--limit", "10")
    assert summary == {"claimed": 2, "sent": 1, "deferred": 0, "parked": 1, "lost": 0}
    [parked] = run_json(capsys, "notify", "list", "--failed")
    assert (parked["member"], parked["status"], parked["attempts"]) == ("gone", "parked", 1)
    assert parked["last_error"].startswith("SMTP refused the recipient: 550")
    everything = run_json(capsys, "notify", "list")
    assert [m["status"] for m in everything] == ["parked", "sent"]  # newest first
    again = run_json(capsys, "notify", "retry", str(parked["id"]))
    assert (again["status"], again["attempts"]) == ("pending", 0)
    assert main(["notify", "retry", str(everything[1]["id"])]) != 0
    assert "sent already" in capsys.readouterr().err
    assert main(["notify", "retry", "999"]) != 0
    assert "no outbox message has id 999" in capsys.readouterr().err
    assert {r["created_at_us"] for r in outbox(cli_on)} == {T0_US}


def test_profile_command_sets_and_refuses_naming_the_option(cli_on: Engine, capsys) -> None:
    with_profile(cli_on, "ops")
    shown = run_json(capsys, "notify", "profile", "ops", "--email", "ops@example.org", "--admin")
    assert shown == {
        "member": "ops",
        "email": "ops@example.org",
        "telegram_chat_id": None,
        "language": "ru",
        "opt_outs": [],
        "admin": True,
    }
    assert main(["notify", "profile", "ops", "--telegram", "12ab"]) != 0
    assert "--telegram: '12ab' is not a Telegram chat id" in capsys.readouterr().err
    assert main(["notify", "profile", "ops", "--lang", "de"]) == 2
    refused = capsys.readouterr().err
    assert "--lang" in refused and "'de' is not one of 'ru', 'en'" in refused
    assert run_json(capsys, "notify", "profile", "ops") == shown
    assert main(["notify", "profile", "ghost"]) != 0
    assert "ghost" in capsys.readouterr().err
