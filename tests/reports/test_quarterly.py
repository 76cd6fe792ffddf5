"""``systok report quarterly`` and ``reports.service.quarterly_report`` on the golden
quarter of ``tests.reports.golden`` (both backends): every field, before and after the
quarterly run, the refusals (open, malformed, unpublished) writing nothing."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

import pytest
import time_machine
from sqlalchemy import Engine, text

from systok.cli.main import main
from systok.core.times import datetime_to_us
from systok.db.engine import run_transaction
from systok.errors import ReportNotPublished, ReportQuarterInvalid
from systok.quarter.schemas import Stage
from systok.quarter.service import QuarterRun
from systok.reports.service import parse_quarter, quarterly_report
from tests.quarter.crash import CrashingQuarterRun, SimulatedCrash
from tests.quarter.health_world import NOW, build_health
from tests.quarter.test_run import every_table
from tests.quarter.world import POLICY
from tests.quarter.world import QUARTER as Q1
from tests.reports.golden import GOLDEN, STORED_BY_THE_RUN, names_no_member


def member_ids(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return {str(r[0]) for r in connection.execute(text("SELECT id FROM members"))}


def test_golden_report_before_and_after_the_run(engine: Engine) -> None:
    build_health(engine)
    before_run = run_transaction(engine, lambda s: quarterly_report(s, POLICY, Q1, now=NOW))
    document = asdict(before_run)
    by_the_run = (*STORED_BY_THE_RUN, "missing", "history")
    assert {k: v for k, v in document.items() if k not in by_the_run} == {
        k: v for k, v in GOLDEN.items() if k not in by_the_run
    }
    # The supply history is the ledger's; the price of 2026-Q1 is set by the run.
    assert [(p["quarter"], p["supply_units"], p["price_units"]) for p in document["history"]] == [
        ("2025-Q4", 10_000, None),
        ("2026-Q1", 10_300, None),
    ]
    assert all(document[k] is None for k in STORED_BY_THE_RUN)
    assert [m.split(":")[0] for m in document["missing"]] == list(STORED_BY_THE_RUN)
    assert "has no run" in document["missing"][4]

    QuarterRun(engine, POLICY, clock=lambda: datetime_to_us(NOW)).run(Q1)
    after = asdict(run_transaction(engine, lambda s: quarterly_report(s, POLICY, Q1, now=NOW)))
    assert after == GOLDEN
    names_no_member(after, member_ids(engine))


def test_unpublished_policy_is_refused_in_public_only(engine: Engine) -> None:
    build_health(engine)
    hidden = replace(POLICY, reports=replace(POLICY.reports, quarterly_published=False))
    with pytest.raises(ReportNotPublished, match=r"reports\.quarterly_published is false"):
        run_transaction(engine, lambda s: quarterly_report(s, hidden, Q1, now=NOW, public=True))
    own = run_transaction(engine, lambda s: quarterly_report(s, hidden, Q1, now=NOW))
    assert own.quarter == "2026-Q1"


def test_top_holders_follow_the_policy_count(engine: Engine) -> None:
    build_health(engine)
    two = replace(POLICY, reports=replace(POLICY.reports, top_holders_count=2))
    report = run_transaction(engine, lambda s: quarterly_report(s, two, Q1, now=NOW))
    assert [(h.rank, h.units) for h in report.top_holders] == [(1, 3_800), (2, 1_000)]


def test_systok_report_quarterly_golden_json(cli_on, capsys) -> None:
    build_health(cli_on)
    QuarterRun(cli_on, POLICY, clock=lambda: datetime_to_us(NOW)).run(Q1)
    before = every_table(cli_on)
    with time_machine.travel(NOW, tick=False):
        assert main(["report", "quarterly", "2026-Q1", "--json"]) == 0, capsys.readouterr().err
        document = json.loads(capsys.readouterr().out)
        assert document == GOLDEN
        assert main(["report", "quarterly", "2026-q1"]) == 0
        assert "quarterly report 2026-Q1" in capsys.readouterr().out
    assert every_table(cli_on) == before  # a report reads, never writes
    names_no_member(document, member_ids(cli_on))


def test_report_refusals_write_nothing(cli_on, capsys) -> None:
    build_health(cli_on)
    before = every_table(cli_on)
    with time_machine.travel(NOW, tick=False):
        assert main(["report", "quarterly", "2026-Q2", "--json"]) == 1
        err = capsys.readouterr().err
        assert "quarter: 2026-Q2 is still open" in err
        assert main(["report", "quarterly", "2026-Q5", "--json"]) == 65
        assert "quarter: '2026-Q5' is not a quarter" in capsys.readouterr().err
        assert main(["report", "quarterly", "soon"]) == 65
        capsys.readouterr()
    assert every_table(cli_on) == before


def test_parse_quarter_names_the_field() -> None:
    assert str(parse_quarter(" 2026-q3 ")) == "2026-Q3"
    with pytest.raises(ReportQuarterInvalid, match=r"^quarter: "):
        parse_quarter("2026-Q0")


def test_a_run_half_done_shows_what_it_stored(engine: Engine) -> None:
    build_health(engine)
    clock = lambda: datetime_to_us(NOW)  # noqa: E731
    with pytest.raises(SimulatedCrash):
        CrashingQuarterRun(engine, POLICY, clock=clock, crash_after=Stage.SNAPSHOT).run(Q1)
    early = run_transaction(engine, lambda s: quarterly_report(s, POLICY, Q1, now=NOW))
    assert early.redistribution is None and early.price is None
    assert "has a run at stage redistribute" in early.missing[4]
    with pytest.raises(SimulatedCrash):
        CrashingQuarterRun(engine, POLICY, clock=clock, crash_after=Stage.REDISTRIBUTE).run(Q1)
    later = asdict(run_transaction(engine, lambda s: quarterly_report(s, POLICY, Q1, now=NOW)))
    assert later["redistribution"] == GOLDEN["redistribution"]
    assert later["price"] is None and later["active_wallets"] is None
    assert [m.split(":")[0] for m in later["missing"]] == [
        "active_wallets",
        "inflation",
        "velocity",
        "treasury",
        "vesting",
        "price",
    ]
    by_the_run = (*STORED_BY_THE_RUN, "missing", "history")  # history holds the price
    assert {k: v for k, v in later.items() if k not in by_the_run} == {
        k: v for k, v in GOLDEN.items() if k not in by_the_run
    }  # the ledger figures do not depend on how far the run got
