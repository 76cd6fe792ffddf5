"""Stabilisation proposals: recorded by the quarterly run, decided by an admin (ADR 0030).

Every function runs inside the caller's unit of work and never commits.

- ``record_quarter`` (the run's stabilise stage) evaluates
  ``core.stabilisation.stabilise`` on the quarter's stored health readings and the
  directive prices (``quarter_prices``) of the quarter and the one before, and stores
  every rule that fired as a ``proposed`` proposal, once per (quarter, rule). A rule
  the policy marks ``automatic`` is decided at once by ``policy`` — but a buyback,
  whose budget only an approver gives, stays ``proposed`` (policy files cannot mark it
  automatic; a policy built in code could).
- ``approve``: a ``burn`` rule is executed on the ledger —
  ``floor(treasury available × step_bps / 10 000)`` STK base units (or, when the policy
  gives no ``step_bps``, as the shipped ones do, the amount the approver types,
  ``--amount``, at most the treasury's available balance; ADR 0041) move from
  ``fund:treasury`` to ``burn`` (code ``burn``; the remainder of the floor stays in the
  treasury) and the proposal is ``executed``. ``emission_adjustment`` and
  ``fee_adjustment`` store an override of the effective quarter
  (``stabilisation.overrides`` applies it); ``buyback`` opens a budget the approver
  gives (``stabilisation.buyback``). These are ``approved``: they act during the
  effective quarter (ADR 0034). An override rule without ``step_bps`` is recorded only.
  A burn without a step, like a buyback, waits for an approver even when automatic.
- ``reject``: recorded with the reason; nothing moves.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from systok.backing import repository as backing_repo
from systok.core.amount import STK, format_amount
from systok.core.health import Reading
from systok.core.ledger import AccountRef, AccountType, Posting, TransactionCode, TransactionDraft
from systok.core.policy import Policy
from systok.core.quarters import Quarter
from systok.core.stabilisation import Proposal, Stabilisation, stabilise
from systok.core.times import us_to_datetime
from systok.errors import ProposalDecided, ProposalNotFound, StabilisationInvalid
from systok.health.schemas import QUARTER, Period, StoredReading
from systok.health.service import period_health, stored_readings
from systok.ledger.service import Ledger
from systok.stabilisation import repository as repo
from systok.stabilisation.burn import BURN_RULE, burn_units, parse_burn
from systok.stabilisation.buyback import open_buyback, parse_budget
from systok.stabilisation.schemas import (
    OverrideKind,
    ProposalStatus,
    QuarterStabilisation,
    StoredProposal,
)

BUYBACK_RULE = "buyback"
"""The rule whose approval opens a buyback budget (``stabilisation.buyback``)."""
OVERRIDE_RULES = {
    "emission_adjustment": OverrideKind.EMISSION,
    "fee_adjustment": OverrideKind.TRANSFER_FEE,
}
"""The rules whose approval stores an override of the effective quarter (ADR 0034)."""
POLICY_DECIDER = "policy"
"""``decided_by`` of a proposal the policy's ``automatic`` flag decided."""
NAME_LENGTH_MAX = 128


def _needs_approver(rule: str, step_bps: int | None) -> bool:
    """A buyback (its budget) and a burn without a policy step (its amount) are sized by
    an approver, so the policy cannot decide them."""
    return rule == BUYBACK_RULE or (rule == BURN_RULE and step_bps is None)


def _price_units(session: Session, quarter: Quarter) -> int | None:
    stored = backing_repo.price_of(session, quarter)
    return None if stored is None else stored.price_units


def _evaluate(
    session: Session, policy: Policy, quarter: Quarter, stored: Iterable[StoredReading]
) -> Stabilisation:
    return stabilise(
        policy,
        [Reading(r.metric, r.unit, r.value, r.status) for r in stored],
        previous_price_units=_price_units(session, quarter.previous()),
        current_price_units=_price_units(session, quarter),
    )


def record_quarter(
    session: Session, policy: Policy, quarter: Quarter, *, run_id: int, now_us: int
) -> QuarterStabilisation:
    """Evaluate the policy's rules on the quarter and store what fired (ADR 0030).

    A rerun stores nothing new: a (quarter, rule) proposal is written once.
    """
    health = period_health(session, policy, Period(QUARTER, quarter), now_us=now_us)
    result = _evaluate(session, policy, quarter, health.readings)
    recorded = []
    for fired in result.proposals:
        stored = repo.insert_proposal(session, _row(fired, policy, quarter, run_id, now_us))
        if stored is None:
            continue
        if fired.automatic and not _needs_approver(fired.rule, fired.step_bps):
            stored = _decide(
                session, policy, stored, by=POLICY_DECIDER, reason="automatic", now_us=now_us
            )
        recorded.append(stored)
    return QuarterStabilisation(tuple(recorded), result.unevaluated)


def quarter_stabilisation(
    session: Session, policy: Policy, quarter: Quarter
) -> QuarterStabilisation:
    """A settled quarter's stored proposals and the rules its stored readings and prices
    leave unevaluated (what the quarterly run reports). Reads only."""
    stored = stored_readings(session, Period(QUARTER, quarter))
    return QuarterStabilisation(
        tuple(repo.proposals(session, str(quarter))),
        _evaluate(session, policy, quarter, stored).unevaluated,
    )


def _row(
    fired: Proposal, policy: Policy, quarter: Quarter, run_id: int, now_us: int
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "quarter": str(quarter),
        "rule": fired.rule,
        "action": fired.action,
        "metric": fired.metric,
        "numerator": str(fired.value.numerator),
        "denominator": str(fired.value.denominator),
        "direction": fired.direction.value,
        "threshold": str(fired.threshold),
        "step_bps": fired.step_bps,
        "automatic": fired.automatic,
        "status": ProposalStatus.PROPOSED.value,
        "policy_version": policy.version,
        "proposed_at_us": now_us,
    }


def list_proposals(
    session: Session, quarter: Quarter | None = None, status: ProposalStatus | None = None
) -> list[StoredProposal]:
    """The proposals, by quarter then id."""
    return repo.proposals(
        session,
        None if quarter is None else str(quarter),
        None if status is None else status.value,
    )


def parse_status(text: str) -> ProposalStatus:
    """A status from the command line.

    Raises:
        StabilisationInvalid: naming the field and the statuses there are.
    """
    try:
        return ProposalStatus(text.strip().lower())
    except ValueError:
        known = ", ".join(s.value for s in ProposalStatus)
        raise StabilisationInvalid(f"status: {text!r} is not one of {known}") from None


def parse_quarter(text: str) -> Quarter:
    """A quarter from the command line (``2026-Q3``).

    Raises:
        StabilisationInvalid: naming the field and the reason.
    """
    try:
        return Quarter.parse(text)
    except ValueError as error:
        raise StabilisationInvalid(f"quarter: {text!r}: {error}") from None


def _decider(by: str | None) -> str:
    name = (by or "").strip()
    if not name or len(name) > NAME_LENGTH_MAX:
        raise StabilisationInvalid(
            f"by: who decides must be named (1..{NAME_LENGTH_MAX} characters; --by NAME)"
        )
    return name


def _pending(session: Session, proposal_id: int) -> StoredProposal:
    found = repo.proposal(session, proposal_id, lock=True)
    if found is None:
        raise ProposalNotFound(f"id: no stabilisation proposal {proposal_id}")
    if found.status is not ProposalStatus.PROPOSED:
        raise ProposalDecided(
            f"id: proposal {proposal_id} was {found.status.value} already by "
            f"{found.decided_by}; a decision is taken once"
        )
    return found


def approve(
    session: Session,
    policy: Policy,
    proposal_id: int,
    *,
    by: str | None,
    reason: str | None,
    now_us: int,
    budget: str | None = None,
    amount: str | None = None,
) -> StoredProposal:
    """Approve a proposal: execute a burn (of ``amount`` STK, as typed, when the policy
    has no step), store an emission or fee override, open a buyback with ``budget``
    (quote asset, as typed) (ADRs 0030, 0034, 0041).

    Raises:
        StabilisationInvalid: no ``by``; a buyback without a budget (or with a budget
            above the backing, or no price); a budget on any other rule; a burn without a
            policy step and without an amount (or above the treasury's available
            balance); an amount on any other proposal.
        ProposalNotFound: no proposal has the id.
        ProposalDecided: it was decided already, or the quarter after its quarter has
            closed (after its quarter: too late to act on it).
    """
    name = _decider(by)
    found = _pending(session, proposal_id)
    deadline = found.effective_quarter
    if deadline.is_closed_at(us_to_datetime(now_us)):
        raise ProposalDecided(
            f"id: proposal {proposal_id} of {found.quarter} can no longer be approved: "
            f"{deadline} (the quarter after its quarter) has closed"
        )
    budget_units = None
    if found.rule == BUYBACK_RULE:
        budget_units = parse_budget(policy, budget)
    elif budget is not None:
        raise StabilisationInvalid(f"budget: only a buyback takes a budget, not {found.rule}")
    burn = parse_burn(policy, found, amount)
    return _decide(
        session,
        policy,
        found,
        by=name,
        reason=_text(reason),
        now_us=now_us,
        budget=budget_units,
        burn=burn,
    )


def reject(
    session: Session, proposal_id: int, *, by: str | None, reason: str | None, now_us: int
) -> StoredProposal:
    """Reject a proposal with a reason; nothing moves.

    Raises:
        StabilisationInvalid: no ``by`` or no reason.
        ProposalNotFound: no proposal has the id.
        ProposalDecided: it was decided already.
    """
    name = _decider(by)
    why = _text(reason)
    if why is None:
        raise StabilisationInvalid("reason: a rejection says why (--reason TEXT)")
    found = _pending(session, proposal_id)
    repo.decide(
        session,
        found.id,
        {
            "status": ProposalStatus.REJECTED.value,
            "decided_by": name,
            "decided_at_us": now_us,
            "reason": why,
        },
    )
    return _reloaded(session, found.id)


def _text(reason: str | None) -> str | None:
    cleaned = (reason or "").strip()
    return cleaned or None


def _reloaded(session: Session, proposal_id: int) -> StoredProposal:
    stored = repo.proposal(session, proposal_id)
    assert stored is not None
    return stored


def _decide(
    session: Session,
    policy: Policy,
    found: StoredProposal,
    *,
    by: str,
    reason: str | None,
    now_us: int,
    budget: int | None = None,
    burn: int | None = None,
) -> StoredProposal:
    values: dict[str, object] = {
        "status": ProposalStatus.APPROVED.value,
        "decided_by": by,
        "decided_at_us": now_us,
        "reason": reason,
    }
    kind = OVERRIDE_RULES.get(found.rule)
    if kind is not None and found.step_bps is not None:
        repo.insert_override(
            session,
            {
                "proposal_id": found.id,
                "quarter": str(found.effective_quarter),
                "kind": kind.value,
                "step_bps": found.step_bps,
                "recorded_at_us": now_us,
            },
        )
    if found.rule == BUYBACK_RULE:
        if budget is None:  # approve parsed one; the stage never decides a buyback
            raise StabilisationInvalid("budget: a buyback is approved with a budget")
        open_buyback(session, policy, found, budget, now_us)
    if found.rule == BURN_RULE and (found.step_bps is not None or burn is not None):
        ledger = Ledger(session, clock=lambda: now_us)
        treasury = AccountRef(AccountType.FUND_TREASURY, STK)
        available = ledger.balance(treasury).available_units
        if burn is not None and burn > available:
            raise StabilisationInvalid(
                f"amount: {format_amount(burn, policy.stk_scale)} STK is more than the "
                f"{format_amount(available, policy.stk_scale)} STK the treasury holds available"
            )
        amount = burn if burn is not None else burn_units(available, found.step_bps or 0)
        sized = f"{found.step_bps} bps" if burn is None else "amount given by the approver"
        values |= {"status": ProposalStatus.EXECUTED.value, "amount_units": amount}
        if amount > 0:
            entry = ledger.post(
                TransactionDraft(
                    code=TransactionCode.BURN,
                    idempotency_key=f"stabilisation:{found.quarter}:{found.rule}",
                    reference=f"stabilisation {found.quarter} {found.rule} {sized}",
                    postings=(
                        Posting(treasury, -amount),
                        Posting(AccountRef(AccountType.BURN, STK), amount),
                    ),
                )
            )
            values["transaction_id"] = entry.transaction_id
    repo.decide(session, found.id, values)
    return _reloaded(session, found.id)


def verify_proposals(session: Session, policy: Policy, quarter: Quarter) -> list[str]:
    """The quarter's stored proposals against the rules its stored readings and prices
    fire under ``policy``; each difference named (an empty list: they agree)."""
    stored = {p.rule: p for p in repo.proposals(session, str(quarter))}
    readings = stored_readings(session, Period(QUARTER, quarter))
    differences = []
    for fired in _evaluate(session, policy, quarter, readings).proposals:
        got = stored.pop(fired.rule, None)
        if got is None:
            differences.append(f"stabilisation {quarter} {fired.rule}: fires, not stored")
        elif (got.metric, got.value) != (fired.metric, fired.value):
            differences.append(
                f"stabilisation {quarter} {fired.rule}: stored {got.metric} = {got.value}, "
                f"the readings give {fired.metric} = {fired.value}"
            )
    differences.extend(
        f"stabilisation {quarter} {rule}: stored, does not fire" for rule in sorted(stored)
    )
    return differences
