"""Statements beyond the golden member: vesting and a two-leaf proof, the rank ladder,
and the run's statements (written by the notify stage once paid, rewritten byte for
byte; one member's failure is counted and blocks nobody).

Vesting (``tests.accrual.test_vesting_run.setup``): m1 and m2, level 1 (×1.0), each with
one section (50) and one peer review (150) on Tuesday 2026-01-27: 200 × 1.0 × 1.00 =
200 STK each; the peer review's 150 STK vest 30 days from the week's end (Monday
2026-02-02 00:00 UTC) → 2026-03-04. Two leaves: m1's proof is one step, ("R", m2's leaf).
"""

from __future__ import annotations

import logging
import subprocess

import pytest

from systok.accrual import repository as accrual_repo
from systok.accrual.service import WeeklyRun
from systok.core.language import Language
from systok.core.merkle import leaf_hash, node_hash
from systok.db.engine import run_transaction
from systok.documents.statement import render_statement
from systok.documents.statement_service import (
    StatementsWritten,
    member_statement,
    render_statements,
    statement_file,
    week_statements,
)
from tests.accrual.test_rank_ladder_run import POLICY as RANK_POLICY
from tests.accrual.test_rank_ladder_run import WEEKS as RANK_WEEKS
from tests.accrual.test_vesting_run import WEEK, setup
from tests.accrual.test_weekly_run import POLICY


def _flat(path) -> str:
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode().split())


@pytest.mark.usefixtures("poppler")
def test_vesting_parts_and_a_two_leaf_proof(engine, tmp_path):
    setup(engine)
    WeeklyRun(engine, POLICY, reports_dir=tmp_path, write_statements=True).run(WEEK)
    st = run_transaction(engine, lambda s: member_statement(s, "m1", str(WEEK)))
    assert st.paid == "200.000000"
    assert [(v.event_type, v.amount, v.unlock_on, v.status) for v in st.vesting] == [
        ("PeerReviewCompleted", "150.000000", "2026-03-04", "held")
    ]
    release = [r for r in st.recommendations if r.kind == "vesting_release"]
    assert [(r.amount, r.on) for r in release] == [("150.000000", "2026-03-04")]
    m2_leaf = leaf_hash("m2", 200_000_000)
    assert [(s.side, s.sibling) for s in st.proof.path] == [("R", m2_leaf.hex())]
    root = node_hash(leaf_hash("m1", 200_000_000), m2_leaf)
    assert st.proof.root == st.proof.stored_root == root.hex() and st.proof.verified
    written = statement_file(tmp_path, str(WEEK), POLICY.version, "m1")
    flat = _flat(written)
    assert "150,000000 STK за взаимные проверки: до 2026-03-04 (заморожено)" in flat
    assert m2_leaf.hex() in flat


@pytest.mark.usefixtures("poppler")
def test_the_run_writes_paid_statements_and_rewrites_the_same_bytes(engine, tmp_path):
    setup(engine)
    WeeklyRun(engine, POLICY, reports_dir=tmp_path, write_statements=True).run(WEEK)
    files = sorted((tmp_path / "statements").rglob("*.pdf"))
    assert [f.name for f in files] == ["m1.pdf", "m2.pdf"]
    before = [f.read_bytes() for f in files]

    def again(session):
        run = accrual_repo.find_run(session, str(WEEK), POLICY.version)
        return render_statements(run, 2, week_statements(session, run, tmp_path))

    assert run_transaction(engine, again) == StatementsWritten(written=2, failed=0)
    # Written after the week is paid, the run's files already say "paid": regenerating
    # them from the same data is byte-identical.
    assert [f.read_bytes() for f in files] == before
    assert "выплачено" in _flat(files[0]) and "ожидает выплаты" not in _flat(files[0])


def test_odd_member_ids_cannot_leave_the_folder(tmp_path):
    plain = statement_file(tmp_path, "2026-W05", "p", "m-1_x")
    odd = statement_file(tmp_path, "2026-W05", "p", "../../etc/passwd")
    assert plain.name == "m-1_x.pdf"
    assert odd.parent == plain.parent and odd.name.startswith("id-") and len(odd.name) == 39


@pytest.mark.usefixtures("poppler")
def test_a_rank_ladder_statement(engine, tmp_path, monkeypatch):
    """stk-2025-04: m1 reads one section every day of 2025-W20 and W21, so W20 ends in
    a rise; the statement says so and advises the rank of the following week."""
    monkeypatch.delenv("SYSTOK_POLICY", raising=False)
    from tests.accrual import test_rank_ladder_run as rank

    rank.test_a_fully_active_week_raises_the_rank_for_the_next(  # type: ignore[no-untyped-call]
        engine, tmp_path, monkeypatch
    )
    st = run_transaction(engine, lambda s: member_statement(s, "m1", str(RANK_WEEKS[0])))
    assert st.coefficients.model == "rank_ladder" and st.coefficients.rank_change == "rise"
    assert st.policy_version == RANK_POLICY.version
    assert [r.kind for r in st.recommendations][:1] == ["rank_next"]
    expected: tuple[tuple[Language, str], ...] = (
        (Language.RU, "ранг поднимется"),
        (Language.EN, "the rank rises next week"),
    )
    for language, words in expected:
        path = tmp_path / f"{language}.pdf"
        path.write_bytes(render_statement(st, language))
        assert words in _flat(path)


@pytest.mark.usefixtures("poppler")
def test_a_failing_statement_is_counted_and_blocks_nothing(engine, tmp_path, monkeypatch, caplog):
    """m2's statement fails to render: the run still pays and finishes (stage ``done``,
    root stored, both members paid on the ledger), m1's file is whole and says "paid",
    no temporary file is left, and the stage logs one failure naming m2."""
    from systok.documents import statement_service

    setup(engine)
    real = render_statement

    def fail_on_m2(statement, language="ru"):
        if statement.member == "m2":
            raise RuntimeError("disk full")
        return real(statement, language)

    monkeypatch.setattr(statement_service, "render_statement", fail_on_m2)
    caplog.set_level(logging.INFO)
    summary = WeeklyRun(engine, POLICY, reports_dir=tmp_path, write_statements=True).run(WEEK)
    assert summary.stage == "done" and summary.merkle_root
    folder = tmp_path / "statements" / f"{WEEK}-{POLICY.version}"
    assert sorted(p.name for p in folder.iterdir()) == ["m1.pdf"]
    assert "выплачено" in _flat(folder / "m1.pdf")
    failures = [r for r in caplog.records if r.getMessage() == "weekly statement failed"]
    assert [(r.member, r.step, r.error) for r in failures] == [("m2", "render", "RuntimeError")]
    totals = [r for r in caplog.records if r.getMessage() == "weekly statements written"]
    assert [(r.written, r.failed) for r in totals] == [(1, 1)]
    paid = run_transaction(engine, lambda s: statement_service.member_statement(s, "m2", str(WEEK)))
    assert (paid.status, paid.paid) == ("paid", "200.000000")


def test_a_statement_that_cannot_be_assembled_is_counted(engine, tmp_path, monkeypatch):
    """Assembling m1's statement fails: m2's is still written; 2 members, 1 written,
    1 failed."""
    from systok.documents import statement_service

    setup(engine)
    WeeklyRun(engine, POLICY, reports_dir=tmp_path).run(WEEK)
    real = statement_service.assemble

    def fail_on_m1(session, context, member_id):
        if member_id == "m1":
            raise RuntimeError("no data")
        return real(session, context, member_id)

    monkeypatch.setattr(statement_service, "assemble", fail_on_m1)

    def write(session):
        run = accrual_repo.find_run(session, str(WEEK), POLICY.version)
        return render_statements(run, 2, week_statements(session, run, tmp_path))

    assert run_transaction(engine, write) == StatementsWritten(written=1, failed=1)
    folder = tmp_path / "statements" / f"{WEEK}-{POLICY.version}"
    assert sorted(p.name for p in folder.iterdir()) == ["m2.pdf"]
