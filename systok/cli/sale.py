"""``systok sale open|buy|close|status``: the initial sale to members at a special
price, each purchase vesting for the policy's ``initial_sale.vesting_days`` (ADR 0029)."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from systok.cli.context import migrated_engine
from systok.cli.output import JSON_OPTION, make_console, print_json
from systok.core.amount import format_amount

console = make_console()

sale_app = typer.Typer(
    help="The initial sale to members: open, buy (RUB paid off-ledger), close, status.",
    no_args_is_help=True,
)


def sale_document(sale: Any, stk_scale: int, quote_scale: int) -> dict[str, Any]:
    """A sale as ``--json`` prints it (docs/cli-json.md)."""
    from systok.core.times import us_to_iso

    return {
        "id": sale.id,
        "reference": sale.reference,
        "open": sale.is_open,
        "share_bps": sale.share_bps,
        "quote_asset": sale.quote_asset,
        "quote_scale": quote_scale,
        "price_units": sale.price_units,
        "price": format_amount(sale.price_units, quote_scale),
        "stk_scale": stk_scale,
        "issued_units": sale.issued_units,
        "cap_units": sale.cap_units,
        "sold_units": sale.sold_units,
        "remaining_units": sale.remaining_units,
        "vesting_days": sale.vesting_days,
        "policy_version": sale.policy_version,
        "opened_at": us_to_iso(sale.opened_at_us),
        "closed_at": None if sale.closed_at_us is None else us_to_iso(sale.closed_at_us),
    }


def purchase_document(purchase: Any, stk_scale: int, quote_scale: int) -> dict[str, Any]:
    """A purchase as ``--json`` prints it (docs/cli-json.md)."""
    from systok.core.times import us_to_iso

    return {
        "id": purchase.id,
        "sale_id": purchase.sale_id,
        "member": purchase.member_id,
        "units": purchase.units,
        "amount": format_amount(purchase.units, stk_scale),
        "paid_units": purchase.paid_units,
        "paid": format_amount(purchase.paid_units, quote_scale),
        "reference": purchase.reference,
        "purchased_at": us_to_iso(purchase.purchased_at_us),
        "unlock_at": us_to_iso(purchase.unlock_at_us),
        "transaction_id": purchase.transaction_id,
    }


def _scales() -> tuple[Any, int, int]:
    from systok.policy_files import default_policy

    policy = default_policy()
    return policy, policy.stk_scale, policy.assets[policy.price.quote_asset].scale


@sale_app.command("open")
def sale_open(
    share_bps: int = typer.Option(
        ..., "--share-bps", help="The share of the STK issued so far, in basis points."
    ),
    price: str = typer.Option(..., "--price", help="The special price in RUB per STK, e.g. 1.00."),
    reference: str = typer.Option(
        ..., "--reference", help="Your unique reference for the sale; idempotent by it."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Open the sale: its cap is floor(issued STK × share_bps / 10 000)."""
    from systok.clock import now_us
    from systok.db.engine import run_transaction
    from systok.sale.service import open_sale, parse_sale

    policy, stk_scale, quote_scale = _scales()
    draft = parse_sale(policy, share_bps=share_bps, price=price, reference=reference)
    engine = migrated_engine()
    done = run_transaction(engine, lambda s: open_sale(s, policy, draft, now_us=now_us()))
    if as_json:
        print_json(sale_document(done.sale, stk_scale, quote_scale) | {"replayed": done.replayed})
        return
    sale = done.sale
    verb = "already open" if done.replayed else "opened"
    console.print(
        f"sale {sale.id} {verb}: up to {format_amount(sale.cap_units, stk_scale)} STK at "
        f"{format_amount(sale.price_units, quote_scale)} {sale.quote_asset} per STK, "
        f"vesting {sale.vesting_days} days"
    )


@sale_app.command("buy")
def sale_buy(
    member: str = typer.Argument(..., help="The buyer's platform id."),
    amount: str = typer.Argument(..., help="STK bought, e.g. 1000 or 12.5."),
    reference: str = typer.Option(
        ..., "--reference", help="The RUB payment's id; idempotent by it."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Record a purchase paid in RUB: mint the STK into the member's vesting account."""
    from systok.clock import now_us
    from systok.db.engine import run_transaction
    from systok.sale.service import buy, parse_purchase

    policy, stk_scale, quote_scale = _scales()
    draft = parse_purchase(policy, member_id=member, amount=amount, reference=reference)
    engine = migrated_engine()
    done = run_transaction(engine, lambda s: buy(s, policy, draft, now_us=now_us()))
    if as_json:
        print_json(
            purchase_document(done.purchase, stk_scale, quote_scale)
            | {"remaining_units": done.sale.remaining_units, "replayed": done.replayed}
        )
        return
    bought = done.purchase
    verb = "already recorded" if done.replayed else "recorded"
    console.print(
        f"{verb}: {bought.member_id} bought {format_amount(bought.units, stk_scale)} STK for "
        f"{format_amount(bought.paid_units, quote_scale)} {done.sale.quote_asset}, vesting "
        f"until {purchase_document(bought, stk_scale, quote_scale)['unlock_at']}; "
        f"{format_amount(done.sale.remaining_units, stk_scale)} STK left"
    )


@sale_app.command("close")
def sale_close(as_json: bool = JSON_OPTION) -> None:
    """Close the open sale; what is left of its cap is not sold."""
    from systok.clock import now_us
    from systok.db.engine import run_transaction
    from systok.sale.service import close_sale

    _, stk_scale, quote_scale = _scales()
    engine = migrated_engine()
    sale = run_transaction(engine, lambda s: close_sale(s, now_us=now_us()))
    if as_json:
        print_json(sale_document(sale, stk_scale, quote_scale))
        return
    console.print(
        f"sale {sale.id} closed: sold {format_amount(sale.sold_units, stk_scale)} of "
        f"{format_amount(sale.cap_units, stk_scale)} STK"
    )


@sale_app.command("status")
def sale_status_command(as_json: bool = JSON_OPTION) -> None:
    """The latest sale, what it sold, what is left, and its purchases."""
    from systok.db.engine import run_transaction
    from systok.sale.service import sale_status

    _, stk_scale, quote_scale = _scales()
    engine = migrated_engine()
    status = run_transaction(engine, sale_status)
    if as_json:
        print_json(
            {
                "sale": None
                if status.sale is None
                else sale_document(status.sale, stk_scale, quote_scale),
                "purchases": [
                    purchase_document(p, stk_scale, quote_scale) for p in status.purchases
                ],
            }
        )
        return
    if status.sale is None:
        console.print("no sale was ever opened")
        return
    sale = status.sale
    state = "open" if sale.is_open else "closed"
    console.print(
        f"sale {sale.id} ({state}): sold {format_amount(sale.sold_units, stk_scale)} of "
        f"{format_amount(sale.cap_units, stk_scale)} STK, "
        f"{format_amount(sale.remaining_units, stk_scale)} left"
    )
    table = Table("id", "member", "STK", sale.quote_asset, "unlock at", "reference")
    for p in status.purchases:
        row = purchase_document(p, stk_scale, quote_scale)
        table.add_row(
            str(p.id), p.member_id, row["amount"], row["paid"], row["unlock_at"], p.reference
        )
    console.print(table)
