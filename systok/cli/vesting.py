"""``systok vesting …``: frozen rewards — list, flag, release."""

from __future__ import annotations

import typer
from rich.table import Table

from systok.cli.context import migrated_engine
from systok.cli.output import JSON_OPTION, make_console, print_json
from systok.core.amount import format_amount
from systok.db.engine import run_transaction
from systok.errors import RunError

console = make_console()

vesting_app = typer.Typer(help="Frozen rewards: list, flag, release.", no_args_is_help=True)


@vesting_app.command("release")
def vesting_release() -> None:
    """Release every due vesting grant, or cancel it back to the pool if flagged (daily)."""
    from systok.accrual.vesting import release_due
    from systok.clock import now_us
    from systok.policy_files import default_policy

    engine = migrated_engine()
    policy = default_policy()
    done = run_transaction(engine, lambda s: release_due(s, policy, clock=now_us))
    scale = policy.stk_scale
    console.print(
        f"released {done.released} grant(s), {format_amount(done.released_units, scale)} STK; "
        f"cancelled {done.cancelled}, {format_amount(done.cancelled_units, scale)} STK "
        "back to the pool"
    )


@vesting_app.command("flag")
def vesting_flag(
    grant_id: int = typer.Argument(..., help="The grant's id (systok vesting list)."),
    reason: str = typer.Option("work_flagged", help="Why it must not be released."),
) -> None:
    """Mark a held grant so that it is cancelled, not released, when it comes due."""
    from systok.accrual.vesting import flag_grant
    from systok.core.vesting import CancelReason

    try:
        cause = CancelReason(reason)
    except ValueError:
        known = ", ".join(r.value for r in CancelReason)
        raise RunError(f"reason {reason!r} is not one of: {known}") from None
    engine = migrated_engine()
    run_transaction(engine, lambda s: flag_grant(s, grant_id, cause))
    console.print(f"grant {grant_id} flagged: {cause.value}")


@vesting_app.command("list")
def vesting_list(
    limit: int = typer.Option(50, help="At most this many grants."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Vesting grants, newest first: member, type, amount, unlock date, status."""
    from systok.accrual.service import latest_grants
    from systok.core.times import us_to_iso
    from systok.policy_files import default_policy

    engine = migrated_engine()
    scale = default_policy().stk_scale
    rows = latest_grants(engine, limit)
    if as_json:
        print_json(
            [
                {
                    "id": row.id,
                    "member": row.member_id,
                    "event_type": row.event_type,
                    "units": row.units,
                    "scale": scale,
                    "unlock_at": us_to_iso(row.unlock_at_us),
                    "status": row.status,
                    "flagged_reason": row.flagged_reason,
                }
                for row in rows
            ]
        )
        return
    table = Table("id", "member", "type", "STK", "unlocks", "status", "flag")
    for row in rows:
        table.add_row(
            str(row.id),
            row.member_id,
            row.event_type,
            format_amount(row.units, 6),
            us_to_iso(row.unlock_at_us)[:10],
            row.status,
            row.flagged_reason or "",
        )
    console.print(table)
