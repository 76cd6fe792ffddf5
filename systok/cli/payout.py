"""``systok payout …``: wallets, withdrawals, the payout batches, reconciliation."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from systok.cli.context import migrated_engine
from systok.cli.output import JSON_OPTION, make_console, print_json
from systok.clock import now_us
from systok.config import get_settings
from systok.core.amount import format_amount
from systok.db.engine import run_transaction

if TYPE_CHECKING:
    from systok.payout.service import PayoutService

app = typer.Typer(
    help="Payouts on Solana: link wallets, withdraw, batches, reconcile.", no_args_is_help=True
)
console = make_console()


def _scale() -> int:
    from systok.policy_files import default_policy

    return default_policy().stk_scale


def _service() -> PayoutService:
    from systok.payout.adapters import make_adapter
    from systok.payout.service import PayoutService

    settings = get_settings()
    return PayoutService(
        migrated_engine(),
        make_adapter(settings),
        scale=_scale(),
        poll_seconds=settings.payout_poll_seconds,
        timeout_seconds=settings.payout_confirm_timeout_seconds,
    )


@app.command("challenge")
def challenge(
    member: str = typer.Argument(..., help="Platform member id."),
    address: str = typer.Argument(..., help="The member's Solana address (base58)."),
) -> None:
    """Issue a nonce message for MEMBER to sign with the wallet at ADDRESS."""
    from systok.payout.wallets import issue_challenge

    ttl = get_settings().wallet_challenge_ttl_seconds
    issued = run_transaction(
        migrated_engine(),
        lambda s: issue_challenge(s, member, address, now_us=now_us(), ttl_seconds=ttl),
    )
    console.print(f"nonce: {issued.nonce}\nsign exactly this message with the wallet:\n")
    typer.echo(issued.message)


@app.command("link")
def link(
    member: str = typer.Argument(..., help="Platform member id."),
    nonce: str = typer.Option(..., help="The nonce of the challenge."),
    signature: str = typer.Option(
        ...,
        help=(
            "The wallet's 64-byte signature of the message: base58, base64 or hex. "
            "A plain signMessage signature or a Ledger's (Solana off-chain message) one."
        ),
    ),
    message_file: Path = typer.Option(
        None,
        help=(
            "The text the wallet signed, if you want it checked against the issued one "
            "(one trailing newline is ignored)."
        ),
    ),
) -> None:
    """Link the challenge's address to MEMBER if the signature proves the key."""
    from systok.payout.wallets import link_wallet, message_of_file

    message = message_of_file(message_file.read_text(encoding="utf-8")) if message_file else None
    address = run_transaction(
        migrated_engine(),
        lambda s: link_wallet(s, member, nonce, signature, now_us=now_us(), message=message),
    )
    console.print(f"{member} linked to {address}; weekly payouts now go to this wallet")


@app.command("sign")
def sign(
    key_file: Path = typer.Argument(..., help="A Solana CLI key file (the wallet's key)."),
    message_file: Path = typer.Argument(
        ..., help="The challenge message, as issued (one trailing newline is ignored)."
    ),
) -> None:
    """Sign a challenge as a wallet would (for local wallets and the demo; never a server key)."""
    from systok.payout.chain import load_keypair
    from systok.payout.wallets import message_of_file, sign_message

    text = message_of_file(message_file.read_text(encoding="utf-8"))
    typer.echo(sign_message(load_keypair(key_file), text))


@app.command("wallets")
def wallets(as_json: bool = JSON_OPTION) -> None:
    """Linked wallets: member, address, when."""
    from systok.core.times import us_to_iso
    from systok.payout.service import linked_wallets

    rows = run_transaction(migrated_engine(), linked_wallets)
    if as_json:
        print_json(
            [
                {
                    "member": r.member_id,
                    "address": r.address,
                    "linked_at": us_to_iso(r.linked_at_us),
                }
                for r in rows
            ]
        )
        return
    table = Table("member", "address", "linked at")
    for row in rows:
        table.add_row(row.member_id, row.address, us_to_iso(row.linked_at_us)[:19])
    console.print(table)
    console.print(f"{len(rows)} linked wallet(s); everybody else is custodial")


@app.command("withdraw")
def withdraw(member: str = typer.Argument(..., help="Platform member id.")) -> None:
    """Pay MEMBER's whole custodial balance out to their linked wallet now."""
    done = _service().withdraw(member)
    if done.failed:
        console.print("[bold red]withdrawal failed[/]; the balance stays custodial:")
        for error in done.errors:
            console.print(f"  {error}")
        raise typer.Exit(1)
    console.print(f"{member}: withdrawn to the linked wallet ({done.confirmed} transaction)")


@app.command("status")
def status(
    limit: int = typer.Option(30, help="At most this many batches, newest first."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Payout batches: memo, members, amount, status, signature."""
    from systok.payout.service import batch_lines

    scale = _scale()
    batches = run_transaction(migrated_engine(), lambda s: batch_lines(s, limit))
    if as_json:
        print_json(
            [
                {
                    "batch": batch.id,
                    "memo": batch.memo,
                    "members": batch.members,
                    "amount_units": batch.amount_units,
                    "scale": scale,
                    "status": batch.status,
                    "signature": batch.signature,
                    "error": batch.error,
                }
                for batch in batches
            ]
        )
        return
    table = Table("batch", "memo", "members", "STK", "status", "signature", "error")
    for batch in batches:
        table.add_row(
            str(batch.id),
            batch.memo,
            str(batch.members),
            format_amount(batch.amount_units, scale),
            batch.status,
            batch.signature[:16] + "…",
            batch.error or "",
        )
    console.print(table)


@app.command("confirm")
def confirm() -> None:
    """Send and confirm every batch still in flight (what `systok run resume` also does)."""
    from systok.payout.service import batches_in_flight

    service = _service()
    pending = run_transaction(service.engine, batches_in_flight)
    if not pending:
        console.print("no payout batch is in flight")
        return
    done = service.drive(pending)
    console.print(f"{done.confirmed} confirmed, {done.failed} failed")


@app.command("info")
def info(as_json: bool = JSON_OPTION) -> None:
    """Where payouts go: adapter, cluster, payer and its SOL, the mint and its authority.

    Refuses like a payout when no adapter is chosen outside the embedded database.
    """
    from systok.payout.adapters import make_adapter
    from systok.payout.info import payout_info

    settings = get_settings()
    adapter = make_adapter(settings)
    try:
        shown = payout_info(settings, adapter, _scale())
    finally:
        adapter.close()
    if as_json:
        print_json(shown)
        return
    table = Table("setting", "value", show_header=False)
    for key, value in shown.items():
        if key != "problems":
            table.add_row(key, "" if value is None else str(value))
    console.print(table)
    for problem in shown["problems"]:
        console.print(f"[bold red]problem:[/] {problem}")
    if not shown["problems"] and shown["on_chain"] and not shown["mint_exists"]:
        console.print("the mint does not exist yet: the first payout creates it")


@app.command("cost")
def cost(
    members: int = typer.Option(..., "--members", min=0, help="Members paid this week."),
    new: int = typer.Option(0, "--new", min=0, help="Of them, paid for the first time."),
    as_json: bool = JSON_OPTION,
) -> None:
    """What a week's payout costs the payer: transactions, fees, new accounts' rent, SOL.

    Arithmetic only (no chain, no key): 5 000 lamports per transaction and 2 039 280 per
    new token account; members per transaction from the exact transaction size with
    the default policy's memo. Priority fees are not included.
    """
    from systok.payout.cost import payout_cost
    from systok.payout.service import MEMO_PREFIX
    from systok.policy_files import default_policy

    if new > members:
        raise typer.BadParameter("--new cannot exceed --members")
    label = f"{MEMO_PREFIX} 2026-W52 {default_policy().version} batch"
    bill = payout_cost(label, members, new)
    if as_json:
        print_json(bill.as_json())
        return
    console.print(
        f"{members} member(s), {new} new: {bill.transactions} transaction(s) "
        f"({bill.per_transaction_existing} existing or {bill.per_transaction_new} new per "
        f"transaction)\nfees {bill.fee_lamports} lamports + rent {bill.rent_lamports} "
        f"lamports = {bill.total_lamports} lamports = {bill.as_json()['total_sol']} SOL"
    )


@app.command("reconcile")
def reconcile_command() -> None:
    """Compare on-chain balances, supply and memos with the ledger; exit 2 on any difference."""
    from systok.payout.adapters import make_adapter
    from systok.payout.errors import PayoutDifferences
    from systok.payout.reconcile import reconcile

    adapter = make_adapter(get_settings())
    if not adapter.on_chain:
        console.print("the custodial adapter has no chain: nothing to reconcile")
        return
    result = reconcile(migrated_engine(), adapter)
    if result.differences:
        raise PayoutDifferences([str(d) for d in result.differences])
    console.print(
        f"chain and ledger agree: {result.accounts_checked} token account(s), "
        f"{result.transactions_checked} transaction(s), supply {result.supply_units or 0}"
    )
