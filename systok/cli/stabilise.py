"""``systok stabilise list|approve|reject|sell``: the stabilisation proposals the
quarterly run recorded, the admin's decision on each (ADR 0030), and the sales to an
approved buyback (ADR 0034)."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from systok.cli.context import migrated_engine
from systok.cli.output import JSON_OPTION, make_console, print_json
from systok.core.health import fraction_text

console = make_console()

stabilise_app = typer.Typer(
    help="Stabilisation proposals: list, approve (executes), reject; sell to a buyback.",
    no_args_is_help=True,
)


def proposal_document(proposal: Any) -> dict[str, Any]:
    """A proposal as ``--json`` prints it (docs/cli-json.md)."""
    from systok.core.times import us_to_iso

    decided = proposal.decided_at_us
    return {
        "id": proposal.id,
        "run_id": proposal.run_id,
        "quarter": proposal.quarter,
        "rule": proposal.rule,
        "action": proposal.action,
        "metric": proposal.metric,
        "value": {
            "numerator": str(proposal.value.numerator),
            "denominator": str(proposal.value.denominator),
        },
        "direction": proposal.direction,
        "threshold": proposal.threshold,
        "step_bps": proposal.step_bps,
        "automatic": proposal.automatic,
        "status": proposal.status.value,
        "effective_quarter": str(proposal.effective_quarter),
        "policy_version": proposal.policy_version,
        "proposed_at": us_to_iso(proposal.proposed_at_us),
        "decided_by": proposal.decided_by,
        "decided_at": None if decided is None else us_to_iso(decided),
        "reason": proposal.reason,
        "amount_units": proposal.amount_units,
        "transaction_id": proposal.transaction_id,
        "budget_units": proposal.budget_units,
        "spent_units": proposal.spent_units,
    }


@stabilise_app.command("list")
def stabilise_list(
    quarter: str | None = typer.Option(None, "--quarter", help="Only this quarter, e.g. 2026-Q3."),
    status: str | None = typer.Option(
        None, "--status", help="Only this status: proposed, approved, rejected or executed."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """The recorded proposals, by quarter then id."""
    from systok.db.engine import run_transaction
    from systok.stabilisation.service import list_proposals, parse_quarter, parse_status

    wanted_quarter = None if quarter is None else parse_quarter(quarter)
    wanted_status = None if status is None else parse_status(status)
    engine = migrated_engine()
    rows = run_transaction(engine, lambda s: list_proposals(s, wanted_quarter, wanted_status))
    if as_json:
        print_json([proposal_document(r) for r in rows])
        return
    table = Table("id", "quarter", "rule", "metric", "value", "threshold", "status", "decided by")
    for r in rows:
        value = fraction_text(r.value, 4)  # floored, display only; --json is exact
        table.add_row(
            str(r.id),
            r.quarter,
            r.rule,
            r.metric,
            value,
            f"{r.direction} {r.threshold}",
            r.status.value,
            r.decided_by or "",
        )
    console.print(table)


def _decided(proposal: Any, as_json: bool) -> None:
    if as_json:
        print_json(proposal_document(proposal))
        return
    moved = (
        f"; burned {proposal.amount_units} base units (transaction {proposal.transaction_id})"
        if proposal.amount_units is not None
        else ""
    )
    console.print(
        f"proposal {proposal.id} ({proposal.quarter} {proposal.rule}): "
        f"{proposal.status.value} by {proposal.decided_by}{moved}"
    )


@stabilise_app.command("approve")
def stabilise_approve(  # noqa: PLR0917 - typer passes parameters by name
    proposal_id: int = typer.Argument(..., help="The proposal's id (systok stabilise list)."),
    by: str | None = typer.Option(None, "--by", help="Who approves (required)."),
    reason: str | None = typer.Option(None, "--reason", help="Why (optional)."),
    budget: str | None = typer.Option(
        None, "--budget", help="A buyback's budget in the quote asset (RUB); buyback only."
    ),
    amount: str | None = typer.Option(
        None,
        "--amount",
        help="STK to burn from the treasury; a burn whose policy has no step_bps only.",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Approve a proposal: a burn executes now (--amount STK when the policy gives no
    step); an emission or fee step applies to every week / transfer of the next quarter;
    a buyback opens with --budget (ADRs 0034, 0041)."""
    from systok.clock import now_us
    from systok.db.engine import run_transaction
    from systok.policy_files import default_policy
    from systok.stabilisation.service import approve

    policy = default_policy()
    engine = migrated_engine()
    done = run_transaction(
        engine,
        lambda s: approve(
            s,
            policy,
            proposal_id,
            by=by,
            reason=reason,
            now_us=now_us(),
            budget=budget,
            amount=amount,
        ),
    )
    _decided(done, as_json)


def sale_document(sale: Any, stk_scale: int) -> dict[str, Any]:
    """A buyback sale as ``stabilise sell --json`` prints it (docs/cli-json.md)."""
    outflow, buyback = sale.outflow, sale.buyback
    return {
        "reference": outflow.reference,
        "member": outflow.member_id,
        "proposal_id": outflow.proposal_id,
        "quarter": str(outflow.quarter),
        "stk_units": outflow.stk_units,
        "stk_scale": stk_scale,
        "asset": outflow.asset,
        "price_units": outflow.price_units,
        "paid_units": outflow.amount_units,
        "transaction_id": outflow.transaction_id,
        "budget_units": buyback.budget_units,
        "spent_units": buyback.spent_units,
        "replayed": sale.replayed,
    }


@stabilise_app.command("sell")
def stabilise_sell(
    member: str = typer.Argument(..., help="The seller's platform id."),
    amount: str = typer.Argument(..., help="STK to sell, e.g. 12.5."),
    reference: str = typer.Option(..., "--reference", help="Idempotency reference (required)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Sell a member's STK to this quarter's approved buyback at the directive price: the
    STK goes to fund:treasury, the RUB paid (floored to the kopeck) leaves the backing
    book. Idempotent by --reference; refused past the budget (ADR 0034)."""
    from systok.clock import now_us
    from systok.core.amount import format_amount
    from systok.db.engine import run_transaction
    from systok.policy_files import default_policy
    from systok.stabilisation.buyback import sell

    policy = default_policy()
    engine = migrated_engine()
    sale = run_transaction(
        engine,
        lambda s: sell(
            s, policy, member_id=member, amount=amount, reference=reference, now_us=now_us()
        ),
    )
    if as_json:
        print_json(sale_document(sale, policy.stk_scale))
        return
    outflow, buyback = sale.outflow, sale.buyback
    scale = policy.assets[outflow.asset].scale
    console.print(
        f"bought {format_amount(outflow.stk_units, policy.stk_scale)} STK from "
        f"{outflow.member_id} for {format_amount(outflow.amount_units, scale)} {outflow.asset} "
        f"(transaction {outflow.transaction_id}); budget left "
        f"{format_amount(buyback.remaining_units, scale)} {outflow.asset}"
        + (" — replayed, nothing new" if sale.replayed else "")
    )


@stabilise_app.command("reject")
def stabilise_reject(
    proposal_id: int = typer.Argument(..., help="The proposal's id (systok stabilise list)."),
    by: str | None = typer.Option(None, "--by", help="Who rejects (required)."),
    reason: str | None = typer.Option(None, "--reason", help="Why (required)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Reject a proposal with a reason; nothing moves."""
    from systok.clock import now_us
    from systok.db.engine import run_transaction
    from systok.stabilisation.service import reject

    engine = migrated_engine()
    done = run_transaction(
        engine, lambda s: reject(s, proposal_id, by=by, reason=reason, now_us=now_us())
    )
    _decided(done, as_json)
