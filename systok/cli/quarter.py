"""``systok run quarter`` and ``systok verify quarter``: the quarterly run (SPEC §6)."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from systok import clock
from systok.cli.context import migrated_engine
from systok.cli.output import JSON_OPTION, make_console, print_json
from systok.core.amount import format_amount
from systok.core.policy import Policy
from systok.core.quarters import Quarter
from systok.core.weeks import IsoWeek
from systok.errors import AuditFailed, NoQuarterToVerify
from systok.policy_files import policy_for_week
from systok.quarter.schemas import QuarterSummary
from systok.quarter.service import QuarterRun, parse_quarter, quarter_summary
from systok.quarter.verify import verify_quarter

console = make_console()


def quarter_policy(quarter: Quarter) -> Policy:
    """The policy in force for the quarter's last week: the one its run follows."""
    return policy_for_week(IsoWeek.containing(quarter.last_day))


def summary_json(summary: QuarterSummary, scale: int) -> dict[str, Any]:
    """A quarterly run (or a dry run) as documented in docs/cli-json.md (base units)."""
    return {
        "run": None if summary.dry_run else summary.run_id,
        "quarter": summary.quarter,
        "policy_version": summary.policy_version,
        "stage": summary.stage,
        "dry_run": summary.dry_run,
        "scale": scale,
        "members": summary.members,
        "custodial_units": summary.custodial_units,
        "held_units": summary.held_units,
        "wallet_units": summary.wallet_units,
        "redistributed_members": summary.redistributed_members,
        "due_units": summary.due_units,
        "moved_units": summary.moved_units,
        "warnings": summary.warnings,
        "redistributions": [
            {
                "member": r.member_id,
                "from_days": r.from_days,
                "to_days": r.to_days,
                "rate_bps": r.rate_bps,
                "warn": r.warn,
                "due_units": r.due_units,
                "moved_units": r.moved_units,
                "transaction": r.transaction_id,
            }
            for r in summary.redistributions
        ],
        "vesting": [
            {
                "kind": t.kind,
                "grantee": t.grantee,
                "grants": t.grants,
                "granted_units": t.granted_units,
                "released_units": t.released_units,
                "transaction": t.transaction_id,
            }
            for t in summary.tranches
        ],
        "stabilisation": _stabilisation_json(summary),
    }


def _stabilisation_json(summary: QuarterSummary) -> dict[str, Any] | None:
    found = summary.stabilisation
    if found is None:
        return None
    return {
        "proposals": [
            {"id": p.id, "rule": p.rule, "metric": p.metric, "status": p.status.value}
            for p in found.proposals
        ],
        "unevaluated": [
            {"rule": u.rule, "metric": u.metric, "reason": u.reason} for u in found.unevaluated
        ],
    }


def _print(summary: QuarterSummary, scale: int) -> None:
    def stk(units: int) -> str:
        return format_amount(units, scale)

    title = f"{summary.quarter} under {summary.policy_version}" + (
        " — dry run (nothing written)" if summary.dry_run else f", stage {summary.stage}"
    )
    table = Table("member", "inactive tier (days)", "rate", "due STK", "moved STK", title=title)
    for r in summary.redistributions[:20]:
        span = f"{r.from_days}–{r.to_days}" if r.to_days is not None else f"{r.from_days}+"
        table.add_row(
            r.member_id + (" (warned)" if r.warn else ""),
            span,
            f"{r.rate_bps / 100:g} %",
            stk(r.due_units),
            "—" if summary.dry_run else stk(r.moved_units),
        )
    console.print(table)
    moved = "would move" if summary.dry_run else "moved"
    amount = summary.due_units if summary.dry_run else summary.moved_units
    console.print(
        f"{summary.members} members held tokens at the close; "
        f"{summary.redistributed_members} inactive members {moved} "
        f"{stk(amount)} STK to the rewards pool ({summary.warnings} warned).\n"
        f"Out of reach: {stk(summary.wallet_units)} STK in members' own Solana wallets "
        f"(redistribution reaches custodial balances only; {stk(summary.custodial_units)} "
        "STK available there at the close)."
    )
    released = "would release" if summary.dry_run else "released"
    for t in summary.tranches:
        console.print(
            f"Vesting: {t.kind} {t.grantee} {released} {stk(t.released_units)} STK "
            f"of {stk(t.granted_units)} granted ({t.grants} grants)."
        )
    found = summary.stabilisation
    if found is not None:
        for p in found.proposals:
            console.print(
                f"Stabilisation: {p.rule} ({p.metric}) {p.status.value} — proposal {p.id} "
                "(systok stabilise list)"
            )
        for u in found.unevaluated:
            console.print(f"Stabilisation: {u.rule} not evaluated: {u.metric}, {u.reason}")


def run_quarter(
    quarter: str = typer.Argument(
        None, help="Quarter, e.g. 2026-Q3 (default: the last closed quarter)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Snapshot and plan, write nothing."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Run (or finish) the quarterly run: snapshot, redistribute, vest, price, health,
    stabilise. An open quarter is refused; a settled quarter changes nothing."""
    target = Quarter.last_closed(clock.now()) if quarter is None else parse_quarter(quarter)
    policy = quarter_policy(target)
    runner = QuarterRun(migrated_engine(), policy)
    summary = runner.preview(target) if dry_run else runner.run(target)
    if as_json:
        print_json(summary_json(summary, policy.stk_scale))
        return
    _print(summary, policy.stk_scale)


def verify_quarter_command(
    quarter: str = typer.Argument(..., help="Quarter, e.g. 2026-Q3."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Recompute a settled quarter's redistribution from its stored snapshot and its
    vesting tranches from the grants, and compare them with what was posted; exit 2
    naming each difference, 66 when it has no run."""
    target = parse_quarter(quarter)
    policy = quarter_policy(target)
    engine = migrated_engine()
    if quarter_summary(engine, target) is None:
        raise NoQuarterToVerify(
            f"no run of {target} to verify; run it first: systok run quarter {target}"
        )
    differences = verify_quarter(engine, policy, target)
    if differences:
        raise AuditFailed(differences)
    if as_json:
        print_json({"quarter": str(target), "verified": True})
        return
    console.print(
        f"{target} verified: every tier, due amount and ledger entry of the redistribution "
        "replays exactly from the stored snapshot, and every vesting tranche from its grants"
    )
