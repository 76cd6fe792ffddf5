"""Monitoring: /metrics of a real ``systok serve`` reads the database (and so survives a
restart); refusals and failed stages are logged as JSON lines that carry the reason."""

from __future__ import annotations

import io
import json
import logging
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, text

from systok.accrual.schemas import STAGES, Stage
from systok.accrual.service import WeeklyRun
from systok.accrual.stages import HANDLERS
from systok.config import Settings
from systok.db.engine import make_engine, run_transaction
from systok.ingest.repository import ensure_member
from systok.ingest.service import Ingestor
from systok.observability.collector import DatabaseCollector
from systok.observability.logs import configure_logging
from systok.payout.adapters import LitesvmAdapter, Refusal
from systok.payout.embedded import EmbeddedChain
from systok.payout.reconcile import reconcile
from tests.accrual.test_weekly_run import POLICY, WEEKS, events_for, setup_community
from tests.api.served import WEBHOOK_SECRET, systok_serve
from tests.conftest import empty_database_url
from tests.payout.conftest import link

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _logging_left_as_found() -> Iterator[None]:
    """Tests that configure logging in this process take their handlers away after."""
    yield
    for name in ("systok", "uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        for handler in [h for h in logger.handlers if h.get_name() == "systok-stderr"]:
            logger.removeHandler(handler)


class RefusingAdapter(LitesvmAdapter):
    """The embedded chain, refusing every transaction (an empty payer, say)."""

    def send(self, raw: bytes) -> Refusal | None:
        return Refusal("Attempt to debit an account but found no record of a prior credit.")


def scrape(base_url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """``/metrics`` as {(sample name, sorted labels): value}."""
    answer = httpx.get(f"{base_url}/metrics", timeout=10)
    assert answer.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict[Any, float], name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


def with_prefix(samples: dict[Any, float], name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {labels: v for (n, labels), v in samples.items() if n == name}


@dataclass
class Operated:
    url: str
    engine: Engine
    last_run_finished_us: int


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def operated(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Operated]:
    """A database after ingestion, four weekly runs (the last one's payout refused) and a
    reconciliation, as an operator's would be on a Monday."""
    url = empty_database_url(request, tmp_path)
    engine = make_engine(url)
    setup_community(engine)

    record = {
        "source": "posthog",
        "id": "ph-1",
        "type": "SectionCompleted",
        "member": "m1",
        "occurred_at": "2026-01-06T10:00:00Z",
    }
    conflicting = {**record, "occurred_at": "2026-01-07T11:00:00Z"}  # another day
    unknown_type = {**record, "id": "ph-2", "type": "LessonDone"}

    def ingest(session: Any) -> None:
        ingestor = Ingestor(session, policy=POLICY)
        ingestor.ingest([record], source="posthog", live=False)
        ingestor.ingest([record, conflicting, unknown_type], source="posthog", live=False)

    run_transaction(engine, ingest)

    chain = EmbeddedChain()
    from solders.keypair import Keypair

    payer = Keypair()
    link(engine, "m1")
    for week in WEEKS[:-1]:
        WeeklyRun(
            engine, POLICY, reports_dir=tmp_path, payout_adapter=LitesvmAdapter(chain, payer)
        ).run(week)
    WeeklyRun(
        engine, POLICY, reports_dir=tmp_path, payout_adapter=RefusingAdapter(chain, payer)
    ).run(WEEKS[-1])
    reconcile(engine, LitesvmAdapter(chain, payer))
    finished = run_transaction(
        engine,
        lambda s: s.execute(
            text("SELECT updated_at_us FROM accrual_runs WHERE week = :w"), {"w": str(WEEKS[-1])}
        ).scalar_one(),
    )
    yield Operated(url, engine, int(finished))
    engine.dispose()


def test_metrics_come_from_the_database_and_survive_a_restart(
    operated: Operated, tmp_path: Path
) -> None:
    with systok_serve(operated.url, tmp_path) as server:
        httpx.get(f"{server.base_url}/api/v1/health", timeout=10)
        first = scrape(server.base_url)
    with systok_serve(operated.url, tmp_path) as restarted:
        second = scrape(restarted.base_url)

    week = str(WEEKS[-1])
    assert value(
        first,
        "systok_weekly_run_last_success_timestamp_seconds",
        week=week,
        policy_version=POLICY.version,
    ) == pytest.approx(operated.last_run_finished_us / 1e6)
    durations = with_prefix(first, "systok_weekly_run_stage_duration_seconds")
    assert {dict(labels)["stage"] for labels in durations} == set(STAGES[:-1])
    assert all(dict(labels)["week"] == week and v >= 0 for labels, v in durations.items())
    assert value(first, "systok_weekly_runs_unfinished") == 0

    def ingested(source: str, outcome: str) -> float:
        return value(first, "systok_ingest_records_total", source=source, outcome=outcome)

    assert [
        ingested("posthog", o) for o in ("accepted", "duplicate", "conflict", "quarantined")
    ] == [1, 1, 1, 1]
    sent_by_setup = sum(len(events_for(w, golden=i == 3)) for i, w in enumerate(WEEKS))
    assert ingested("t", "accepted") == sent_by_setup
    assert value(first, "systok_ingest_batches_total", source="posthog") == 2

    assert value(first, "systok_quarantine_entries", status="open") == 1
    assert value(first, "systok_quarantine_entries", status="conflict") == 1
    assert value(first, "systok_payout_batches", status="confirmed") == 3
    assert value(first, "systok_payout_batches", status="failed") == 1
    assert value(first, "systok_payout_failed_items") == 1
    assert value(first, "systok_reconcile_accounts_checked") == 1
    assert value(first, "systok_reconcile_differences", kind="wrong_amount") == 0
    assert value(first, "systok_metrics_database_up") == 1

    from_database = {
        key: v
        for key, v in first.items()
        if key[0].startswith("systok_")
        and not key[0].startswith(("systok_http_", "systok_metrics_database_read"))
    }
    assert from_database, "no database metrics"
    assert {k: second.get(k) for k in from_database} == from_database
    # the in-process request counters did start again: this really was a new process
    health = (
        "systok_http_requests_total",
        (("method", "GET"), ("route", "/api/v1/health"), ("status", "200")),
    )
    assert second.get(health, 0) < first[health]


def test_an_unreadable_database_is_a_metric_not_a_failed_scrape(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing' / 'nothing.sqlite3'}")
    families = {family.name: family for family in DatabaseCollector(engine).collect()}
    assert families["systok_metrics_database_up"].samples[0].value == 0
    assert "systok_quarantine_entries" not in families


def json_lines(log: str) -> list[dict[str, Any]]:
    lines = []
    for line in log.splitlines():
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return lines


def test_a_refused_webhook_logs_a_json_line_with_the_reason(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    path = tmp_path / "systok.sqlite3"
    shutil.copy(request.getfixturevalue("sqlite_template"), path)
    with systok_serve(f"sqlite:///{path}", tmp_path, SYSTOK_LOG_FORMAT="json") as server:
        url = f"{server.base_url}/api/v1/webhooks/discourse"
        unsigned = httpx.post(url, content=b"{}", timeout=10)
        wrong = httpx.post(
            url,
            content=b'{"post": {}}',
            headers={"X-Discourse-Event-Signature": "sha256=" + "0" * 64},
            timeout=10,
        )
        assert (unsigned.status_code, wrong.status_code) == (401, 401)
    assert WEBHOOK_SECRET not in server.log.read_text()
    refusals = [
        line
        for line in json_lines(server.log.read_text())
        if line.get("message") == "request refused"
    ]
    reasons = {line["reason"] for line in refusals}
    assert "X-Discourse-Event-Signature is missing or not sha256=<64 hex digits>" in reasons
    assert "X-Discourse-Event-Signature does not match the body" in reasons
    for line in refusals:
        assert line["status"] == 401 and line["error"] == "WebhookSignatureInvalid"
        assert line["level"] == "WARNING" and line["logger"] == "systok.api"
        assert line["path"] == "/api/v1/webhooks/discourse" and line["client"] == "127.0.0.1"
        assert line["time"].endswith("+00:00")
    # uvicorn's own lines are JSON too (one format for a log shipper)
    assert any(
        line.get("logger", "").startswith("uvicorn") for line in json_lines(server.log.read_text())
    )


def test_a_failed_stage_logs_which_run_which_stage_and_why(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream = io.StringIO()
    configure_logging(Settings(_env_file=None, log_format="json"), stream)  # type: ignore[call-arg]
    setup_community(engine)

    def broken(*_: Any) -> None:
        raise RuntimeError("report folder is read-only")

    monkeypatch.setitem(HANDLERS, Stage.REPORT, broken)
    with pytest.raises(RuntimeError):
        WeeklyRun(engine, POLICY, reports_dir=tmp_path).run(WEEKS[0])
    lines = json_lines(stream.getvalue())
    committed = [line for line in lines if line["message"] == "weekly run stage committed"]
    assert [line["stage"] for line in committed] == ["collect", "score"]
    (failed,) = [line for line in lines if line["message"] == "weekly run stage failed"]
    assert failed["stage"] == "report" and failed["week"] == str(WEEKS[0])
    assert failed["run_id"] == committed[0]["run_id"]
    assert failed["error"] == "RuntimeError" and failed["reason"] == "report folder is read-only"
    assert failed["level"] == "ERROR"


def test_text_format_and_level_from_settings() -> None:
    stream = io.StringIO()
    configure_logging(
        Settings(_env_file=None, log_format="TEXT", log_level="warning"),
        stream,  # type: ignore[call-arg]
    )
    from systok.observability.logs import get_logger

    get_logger("run").info("not shown")
    get_logger("run").warning("shown", extra={"week": "2026-W05"})
    (line,) = stream.getvalue().splitlines()
    assert line.endswith("WARNING systok.run shown week='2026-W05'")


def test_ingestion_totals_stay_exact_as_batches_settle_into_the_cache(engine: Engine) -> None:
    """Later scrapes read only new and recent batches, and never count one twice."""
    import time_machine

    from systok import clock

    collector = DatabaseCollector(engine)
    run_transaction(engine, lambda s: ensure_member(s, "m1", 0))

    def ingest(n: int, first: int) -> None:
        records = [
            {
                "source": "posthog",
                "id": f"ph-{first + i}",
                "type": "SectionCompleted",
                "member": "m1",
                "occurred_at": "2026-01-06T10:00:00Z",
            }
            for i in range(n)
        ]
        run_transaction(
            engine,
            lambda s: Ingestor(s, policy=POLICY).ingest(records, source="posthog", live=False),
        )

    def accepted() -> float:
        families = {f.name: f for f in collector.collect()}
        (sample,) = [
            s
            for s in families["systok_ingest_records"].samples
            if s.labels == {"source": "posthog", "outcome": "accepted"}
        ]
        return sample.value

    start = clock.now()
    ingest(1, 0)
    assert accepted() == 1
    hour = 3600
    with time_machine.travel(start.timestamp() + 2 * hour, tick=False):
        ingest(2, 1)
        assert accepted() == 3
        assert collector.settled["posthog"].accepted == 1  # the first batch settled
    with time_machine.travel(start.timestamp() + 5 * hour, tick=False):
        assert accepted() == 3
        assert accepted() == 3
        assert collector.settled["posthog"].accepted == 3
    fresh = DatabaseCollector(engine)  # a restarted process: one full read
    assert {f.name: f for f in fresh.collect()}["systok_ingest_batches"].samples[0].value == 2
