"""Property tests: the ledger against a plain Python model, on every backend.

Hypothesis generates sequences of operations (mints, transfers, multi-way splits,
holds created, posted in part or whole, voided, expired) with idempotency keys drawn
from a small pool, so replays and conflicts are frequent. The model predicts each
outcome (written, replayed, or which refusal); after every refusal every table must be
exactly as before; at the end the audit must pass and the balances must match the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from systok.core.ledger import (
    AccountRef,
    AccountType,
    HoldDraft,
    HoldStatus,
    Posting,
    TransactionCode,
    TransactionDraft,
    member_account,
    system_account,
)
from systok.db.engine import run_transaction
from systok.errors import (
    HoldNotFound,
    HoldNotPending,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidPosting,
    SystokError,
)
from systok.ledger.audit import audit_ledger
from systok.ledger.service import Ledger
from tests.conftest import reset_ledger
from tests.ledger.conftest import snapshot

WORLD = system_account(AccountType.WORLD)
POOL = system_account(AccountType.POOL_REWARDS)
MEMBERS = [member_account(name) for name in ("ann", "bob", "cyd", "dan")]
ACCOUNTS = [WORLD, POOL, *MEMBERS]

account = st.sampled_from(ACCOUNTS)
spender = st.sampled_from([POOL, *MEMBERS])


def draw_key(data: st.DataObject, model: Model) -> str:
    """Mostly a fresh key; sometimes one already used (a replay or a conflict)."""
    used = sorted(model.keys)
    if used and data.draw(st.integers(0, 3)) == 0:
        return data.draw(st.sampled_from(used))
    model.fresh += 1
    return f"k{model.fresh}"


def amount_near(available: int) -> st.SearchStrategy[int]:
    """Amounts that hit the interesting edges: the whole balance and one unit more."""
    edges = [a for a in (available - 1, available, available + 1) if a > 0]
    return st.one_of(st.integers(1, max(1, available)), st.sampled_from(edges or [1]))


def draw_operation(data: st.DataObject, model: Model) -> tuple:
    """One operation, with amounts chosen around what the model says is available."""
    kind = data.draw(
        st.sampled_from(
            [
                "mint",
                "transfer",
                "transfer",
                "split",
                "hold",
                "hold",
                "post_hold",
                "post_hold",
                "void_hold",
                "tick",
                "expire",
            ]
        )
    )
    if kind == "mint":
        return ("mint", data.draw(spender), data.draw(st.integers(1, 1000)), draw_key(data, model))
    if kind == "transfer":
        source, target = data.draw(st.one_of(spender, account)), data.draw(account)
        return (
            "transfer",
            source,
            target,
            data.draw(amount_near(model.available(source))),
            draw_key(data, model),
        )
    if kind == "split":
        source = data.draw(account)
        targets = data.draw(st.lists(spender, min_size=2, max_size=3, unique=True))
        amounts = [data.draw(st.integers(1, 300)) for _ in targets]
        return ("split", source, targets, amounts, draw_key(data, model))
    if kind == "hold":
        debit, credit = data.draw(st.one_of(spender, account)), data.draw(account)
        ttl = data.draw(st.one_of(st.none(), st.integers(1, 50)))
        return (
            "hold",
            debit,
            credit,
            data.draw(amount_near(model.available(debit))),
            draw_key(data, model),
            ttl,
        )
    if kind in ("post_hold", "void_hold"):
        pending = [i - 1 for i, h in model.holds.items() if h["status"] is HoldStatus.PENDING]
        index = data.draw(
            st.sampled_from(pending)
            if pending and data.draw(st.booleans())
            else st.integers(0, len(model.holds))
        )
        if kind == "void_hold":
            return ("void_hold", index, draw_key(data, model))
        hold = model.holds.get(index + 1)
        full = hold["amount"] if hold else 10
        units = data.draw(
            st.one_of(
                st.none(), st.sampled_from([full, full - 1, full + 1, 0]), st.integers(1, 600)
            )
        )
        return ("post_hold", index, units, draw_key(data, model))
    if kind == "tick":
        return ("tick", data.draw(st.integers(1, 40)))
    return ("expire",)


@dataclass
class Model:
    """What the ledger should hold, computed without a database."""

    now: int = 1_000
    fresh: int = 0
    posted: dict[AccountRef, int] = field(default_factory=dict)
    held: dict[AccountRef, int] = field(default_factory=dict)
    holds: dict[int, dict] = field(default_factory=dict)
    keys: dict[str, tuple] = field(default_factory=dict)  # key -> (description, transaction id)

    def available(self, ref: AccountRef) -> int:
        return self.posted.get(ref, 0) - self.held.get(ref, 0)

    def can_spend(self, ref: AccountRef, units: int) -> bool:
        return ref.type is AccountType.WORLD or self.available(ref) >= units

    def move(self, lines: list[tuple[AccountRef, int]]) -> None:
        for ref, units in lines:
            self.posted[ref] = self.posted.get(ref, 0) + units


def _expect_key(model: Model, key: str, description: tuple):
    """'new', or ('replay', id), or 'conflict'."""
    if key not in model.keys:
        return "new"
    stored, transaction_id = model.keys[key]
    return ("replay", transaction_id) if stored == description else "conflict"


def _run(engine, path, model: Model, op: tuple):
    """Apply one operation to the model, returning (expected outcome, ledger call)."""
    kind = op[0]
    if kind == "mint":
        _, target, units, k = op
        op = ("transfer", WORLD, target, units, k)
        kind = "transfer"
    if kind == "transfer":
        _, source, target, units, k = op
        postings = ((source, -units), (target, units))
    elif kind == "split":
        _, source, targets, amounts, k = op
        postings = tuple((t, a) for t, a in zip(targets, amounts, strict=False))
        total = sum(a for _, a in postings)
        postings = ((source, -total), *postings)
    if kind in ("transfer", "split"):
        draft = TransactionDraft(
            TransactionCode.TRANSFER, k, tuple(Posting(r, a) for r, a in postings)
        )
        refs = [r for r, _ in postings]

        def call(ledger: Ledger):
            return ledger.post(draft)

        if len(set(refs)) != len(refs):
            return InvalidPosting, call, None
        description = ("tx", tuple(sorted((r.name, a) for r, a in postings)))
        expectation = _expect_key(model, k, description)
        if expectation == "conflict":
            return IdempotencyConflict, call, None
        if expectation != "new":
            return expectation, call, None
        if not all(model.can_spend(r, -a) for r, a in postings if a < 0):
            return InsufficientFunds, call, None

        def commit(result):
            model.move(list(postings))
            model.keys[k] = (description, result.transaction_id)

        return "new", call, commit
    if kind == "hold":
        _, debit, credit, units, k, ttl = op
        expires = None if ttl is None else model.now + ttl
        draft = HoldDraft(TransactionCode.ESCROW, k, debit, credit, units, expires)

        def call(ledger: Ledger):
            return ledger.create_hold(draft)

        if debit == credit:
            return InvalidPosting, call, None
        description = ("hold", debit.name, credit.name, units, expires)
        expectation = _expect_key(model, k, description)
        if expectation == "conflict":
            return IdempotencyConflict, call, None
        if expectation != "new":
            return expectation, call, None
        if not model.can_spend(debit, units):
            return InsufficientFunds, call, None

        def commit(result):
            model.held[debit] = model.held.get(debit, 0) + units
            model.holds[result.hold_id] = {
                "debit": debit,
                "credit": credit,
                "amount": units,
                "status": HoldStatus.PENDING,
                "expires": expires,
                "posted": 0,
            }
            model.keys[k] = (description, result.transaction_id)

        return "new", call, commit
    if kind in ("post_hold", "void_hold"):
        hold_id = op[1] + 1
        units = op[2] if kind == "post_hold" else None
        k = op[-1]

        def call(ledger: Ledger):
            if kind == "post_hold":
                return ledger.post_hold(hold_id, idempotency_key=k, amount_units=units)
            return ledger.void_hold(hold_id, idempotency_key=k)

        hold = model.holds.get(hold_id)
        if hold is None:
            return HoldNotFound, call, None
        resolved = (
            (hold["amount"] if units is None else units) if kind == "post_hold" else hold["amount"]
        )
        description = (kind, hold_id, resolved)
        expectation = _expect_key(model, k, description)
        if expectation == "conflict":
            return IdempotencyConflict, call, None
        if expectation != "new":
            return expectation, call, None
        if hold["status"] is not HoldStatus.PENDING:
            return HoldNotPending, call, None
        expired = hold["expires"] is not None and hold["expires"] <= model.now
        if kind == "post_hold" and expired:
            return HoldNotPending, call, None
        if not 0 < resolved <= hold["amount"]:
            return InvalidPosting, call, None

        def commit(result):
            model.held[hold["debit"]] -= hold["amount"]
            if kind == "post_hold":
                model.move([(hold["debit"], -resolved), (hold["credit"], resolved)])
                hold["status"], hold["posted"] = HoldStatus.POSTED, resolved
            else:
                hold["status"] = HoldStatus.VOIDED
            model.keys[k] = (description, result.transaction_id)

        return "new", call, commit
    raise AssertionError(kind)


def draft_lines(draft: TransactionDraft) -> list[tuple[AccountRef, int]]:
    return [(p.account, p.amount_units) for p in draft.postings]


def check_sequence(engine, path, data, steps: int) -> None:
    reset_ledger(engine)
    model = Model()

    def ledger_for(session):
        return Ledger(session, path=path, clock=lambda: model.now)

    opening = [(ref, data.draw(st.integers(0, 1000))) for ref in (POOL, *MEMBERS)]
    opening = [(ref, units) for ref, units in opening if units]
    if opening:
        total = sum(units for _, units in opening)
        draft = TransactionDraft(
            TransactionCode.EMISSION,
            "opening",
            (Posting(WORLD, -total), *(Posting(ref, units) for ref, units in opening)),
        )
        result = run_transaction(engine, lambda s: ledger_for(s).post(draft))
        model.move([(WORLD, -total), *opening])
        model.keys["opening"] = (
            ("tx", tuple(sorted((r.name, a) for r, a in draft_lines(draft)))),
            result.transaction_id,
        )

    for _ in range(steps):
        op = draw_operation(data, model)
        if op[0] == "tick":
            model.now += op[1]
            continue
        if op[0] == "expire":
            due = sorted(
                i
                for i, h in model.holds.items()
                if h["status"] is HoldStatus.PENDING
                and h["expires"] is not None
                and h["expires"] <= model.now
            )
            results = run_transaction(engine, lambda s: ledger_for(s).expire_holds())
            assert sorted(r.hold_id for r in results) == due
            for hold_id in due:
                hold = model.holds[hold_id]
                hold["status"] = HoldStatus.EXPIRED
                model.held[hold["debit"]] -= hold["amount"]
            continue
        expected, call, commit = _run(engine, path, model, op)
        if isinstance(expected, type) and issubclass(expected, SystokError):
            before = snapshot(engine)
            with pytest.raises(expected):
                run_transaction(engine, lambda s, call=call: call(ledger_for(s)))
            assert snapshot(engine) == before, f"refused {op} changed the tables"
            continue
        result = run_transaction(engine, lambda s, call=call: call(ledger_for(s)))
        if expected == "new":
            assert not result.replayed, op
            commit(result)
        else:
            assert result.replayed and result.transaction_id == expected[1], (op, result)

    report = run_transaction(engine, audit_ledger)
    assert report.ok, report.violations
    balances = run_transaction(engine, lambda s: {b.account: b for b in Ledger(s).balances()})
    for ref in ACCOUNTS:
        actual = balances.get(ref)
        assert (actual.posted_units if actual else 0) == model.posted.get(ref, 0), ref
        assert (actual.held_units if actual else 0) == model.held.get(ref, 0), ref
    assert report.supply_units.get("STK", 0) == -model.posted.get(WORLD, 0)
    stored_holds = run_transaction(engine, lambda s: {h: Ledger(s).hold(h) for h in model.holds})
    for hold_id, hold in model.holds.items():
        assert stored_holds[hold_id].status is hold["status"], hold_id
        assert stored_holds[hold_id].posted_units == hold["posted"], hold_id


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data(), steps=st.integers(1, 40))
def test_ledger_matches_model(backend, data, steps):
    engine, path = backend
    check_sequence(engine, path, data, steps)
