"""The quarterly run's stabilise stage: the policy's stabilisation rules on the quarter
(SPEC §9, ADR 0030).

``stabilisation.service.record_quarter`` evaluates every ``[stabilisation.<name>]``
rule on the quarter's stored health readings and the directive prices of the quarter
and the one before, and stores each rule that fired as a proposal for an admin to
approve or reject (``systok stabilise``). A rule the policy marks ``automatic`` is
decided at once. A rule that could not be evaluated (no value for its metric) is
logged with the reason, never stored as a proposal. A rerun stores nothing new.
"""

from __future__ import annotations

from systok.notify import service as notify
from systok.notify.schemas import MessageKind
from systok.observability.logs import get_logger
from systok.quarter.context import StageContext
from systok.stabilisation.service import record_quarter

log = get_logger("quarter")


def stabilise(ctx: StageContext) -> None:
    """Store the quarter's stabilisation proposals; log the rules left unevaluated."""
    done = record_quarter(
        ctx.session, ctx.policy, ctx.quarter, run_id=int(ctx.run.id), now_us=ctx.clock()
    )
    for rule in done.unevaluated:
        log.warning(
            "quarterly run: stabilisation rule not evaluated",
            extra={
                "quarter": str(ctx.quarter),
                "rule": rule.rule,
                "metric": rule.metric,
                "reason": rule.reason,
            },
        )
    for proposal in done.proposals:
        notify.enqueue_admins(  # in this unit of work (ADR 0037)
            ctx.session,
            MessageKind.STABILISATION_PROPOSAL,
            event_key=f"stabilisation:{proposal.id}",
            params={
                "quarter": str(ctx.quarter),
                "proposal_id": proposal.id,
                "rule": proposal.rule,
                "action": proposal.action,
                "metric": proposal.metric,
                "status": proposal.status.value,
            },
            now_us=ctx.clock(),
        )
        log.info(
            "quarterly run: stabilisation proposal",
            extra={
                "quarter": str(ctx.quarter),
                "proposal_id": proposal.id,
                "rule": proposal.rule,
                "status": proposal.status.value,
            },
        )
