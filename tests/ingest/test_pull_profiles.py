"""Platform profiles: effective-dated history, alias linking, paging and the cursor."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, select

from systok.core.times import parse_date_day
from systok.db.engine import run_transaction
from systok.db.tables import Event
from systok.ingest import repository as repo
from systok.ingest.schemas import IncomingEvent
from systok.ingest.service import Ingestor
from systok.ingest.sources import platform
from tests.ingest.stand_in import Sleeps, policy, serve, settings

TOKEN = "platform-token"


@dataclass
class State:
    pages: list[list[dict[str, Any]]] = field(default_factory=list)
    queries: list[dict[str, str]] = field(default_factory=list)
    fail_once_on_page: int | None = None


state = State()


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/api/members")
    def members(request: Request) -> JSONResponse:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        query = dict(request.query_params)
        state.queries.append(query)
        page = int(query["page"])
        if state.fail_once_on_page == page:
            state.fail_once_on_page = None
            return JSONResponse({"error": "restarting"}, 503)
        members = state.pages[page - 1] if page <= len(state.pages) else []
        next_page = page + 1 if page < len(state.pages) else None
        return JSONResponse({"members": members, "next_page": next_page})

    return app


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve(_app()) as url:
        yield url


@pytest.fixture(autouse=True)
def _fresh_state() -> None:
    state.__dict__.update(State().__dict__)


IVAN = {
    "id": "m042",
    "aliases": {"posthog": ["d-8f2c"], "discourse": "Ivan"},
    "qualification": [{"level": 3, "from": "2025-01-01"}, {"level": 1, "from": "2024-09-01"}],
    "membership": [
        {"from": "2025-01-01", "to": "2025-07-01"},
        {"from": "2025-09-01", "to": None},
    ],
}
OLGA = {"id": "m043", "qualification": [{"level": 2, "from": "2025-02-03"}], "membership": []}
BROKEN = {"id": "m044", "membership": [{"from": "2025-03-01", "to": "2025-03-01"}]}
THIEF = {"id": "m045", "aliases": {"discourse": ["ivan"]}}  # ivan belongs to m042


def pull(engine: Engine, base_url: str, sleeps: Sleeps | None = None, **kwargs: Any) -> Any:
    config = settings(platform_url=base_url, platform_token=TOKEN)
    with platform.client_for(config, sleep=sleeps if sleeps is not None else Sleeps()) as c:
        return platform.pull_profiles(engine, config, policy(), client=c, **kwargs)


def test_profiles_become_history_and_aliases_attribute_waiting_events(
    engine: Engine, base_url: str
) -> None:
    waiting = IncomingEvent(
        source="discourse",
        id="post:1:created",
        type="ClubPostCreated",
        member="discourse:ivan",
        occurred_at="2025-05-14T10:00:00Z",
    )
    run_transaction(
        engine,
        lambda s: Ingestor(s, policy=policy()).ingest([waiting], source="discourse", live=False),
    )
    state.pages = [[IVAN, BROKEN], [OLGA, THIEF]]
    state.fail_once_on_page = 2
    sleeps = Sleeps()
    summary = pull(engine, base_url, sleeps)
    assert (summary.pages, summary.accepted, summary.quarantined) == (2, 3, 1)
    assert sleeps == [0.5]  # page 2's 503, retried
    assert any("m044" in note and "empty" in note for note in summary.notes)
    assert any("already belongs to member 'm042'" in note for note in summary.notes)

    def read(session: Any) -> Any:
        return (
            repo.member_history(session, "m042"),
            repo.member_history(session, "m043"),
            repo.existing_members(session, ["m042", "m043", "m044", "m045"]),
            repo.linked_aliases(
                session, [("discourse", "ivan"), ("posthog", "d-8f2c"), ("discourse", "Ivan")]
            ),
            session.execute(select(Event.member_id)).scalar_one(),
        )

    ivan, olga, members, aliases, event_member = run_transaction(engine, read)
    day = parse_date_day
    assert ivan == (
        [(day("2024-09-01"), 1), (day("2025-01-01"), 3)],
        [(day("2025-01-01"), day("2025-07-01")), (day("2025-09-01"), None)],
    )
    assert olga == ([(day("2025-02-03"), 2)], [])
    assert members == {"m042", "m043", "m045"}
    assert aliases == {("discourse", "ivan"): "m042", ("posthog", "d-8f2c"): "m042"}
    assert event_member == "m042"


def test_second_pull_asks_for_changes_since_the_first_and_replaces_history(
    engine: Engine, base_url: str
) -> None:
    state.pages = [[IVAN]]
    pull(engine, base_url)
    assert "updated_since" not in state.queries[0]
    promoted = IVAN | {"qualification": [{"level": 4, "from": "2025-06-02"}]}
    state.pages = [[promoted]]
    state.queries.clear()
    summary = pull(engine, base_url)
    assert summary.accepted == 1
    assert state.queries[0]["updated_since"].endswith("Z")
    qualifications, _ = run_transaction(engine, lambda s: repo.member_history(s, "m042"))
    assert qualifications == [(parse_date_day("2025-06-02"), 4)]
    state.queries.clear()
    pull(engine, base_url, full=True)
    assert "updated_since" not in state.queries[0]


def test_cli_profiles_prints_a_summary(
    engine: Engine, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from systok.cli.pull import app
    from systok.config import get_settings
    from tests.ingest.stand_in import POLICY_FILE

    state.pages = [[IVAN, BROKEN]]
    monkeypatch.setenv("SYSTOK_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SYSTOK_PLATFORM_URL", base_url)
    monkeypatch.setenv("SYSTOK_PLATFORM_TOKEN", TOKEN)
    monkeypatch.setenv("SYSTOK_POLICY_DIR", str(POLICY_FILE.parent))
    monkeypatch.delenv("SYSTOK_POLICY", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["profiles"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "profiles: accepted 1, duplicate 0, quarantined 1" in result.output
    assert "m044" in result.output


def test_a_profile_may_list_several_names_per_source(engine: Engine, base_url: str) -> None:
    """``"discourse": ["a", "b"]`` links both names (lowercased), like a members file does."""
    state.pages = [
        [{"id": "m050", "aliases": {"discourse": ["Anna", "anna_old"], "posthog": "d-9"}}]
    ]
    summary = pull(engine, base_url)
    assert (summary.accepted, summary.quarantined) == (1, 0)
    linked = run_transaction(
        engine,
        lambda s: sorted(
            repo.linked_aliases(
                s, [("discourse", "anna"), ("discourse", "anna_old"), ("posthog", "d-9")]
            ).items()
        ),
    )
    assert linked == [
        (("discourse", "anna"), "m050"),
        (("discourse", "anna_old"), "m050"),
        (("posthog", "d-9"), "m050"),
    ]


def test_profiles_with_unstorable_ids_or_aliases_are_refused_not_a_crash(
    engine: Engine, base_url: str
) -> None:
    """A NUL id, a bidi alias and a 40-character alias source were database errors on
    PostgreSQL that stopped the pull (SQLite stored them); now each is a note."""
    state.pages = [
        [
            {"id": "m\u0000x"},
            {"id": "m050", "aliases": {"posthog": ["ev\u202eil"], "s" * 40: ["name"]}},
            {"id": "m051", "aliases": {"posthog": ["ok"]}},
        ]
    ]
    summary = pull(engine, base_url)
    assert (summary.accepted, summary.quarantined) == (2, 1)
    assert any("NUL (U+0000)" in note for note in summary.notes)
    assert any("U+202E" in note for note in summary.notes)
    assert any("longer than 32" in note for note in summary.notes)
    aliases = run_transaction(
        engine, lambda s: repo.linked_aliases(s, [("posthog", "ok"), ("posthog", "ev\u202eil")])
    )
    assert aliases == {("posthog", "ok"): "m051"}
