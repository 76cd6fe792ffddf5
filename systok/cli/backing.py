"""``systok backing …`` (record and list inflows to the backing fund) and ``systok price
show`` (a quarter's directive price), ADR 0026."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from systok.cli.context import migrated_engine
from systok.cli.output import JSON_OPTION, make_console, print_json
from systok.core.amount import format_amount

console = make_console()

backing_app = typer.Typer(
    help="The backing fund's book: record and list inflows (RUB).", no_args_is_help=True
)
price_app = typer.Typer(help="The directive price of a quarter.", no_args_is_help=True)


def inflow_document(inflow: Any, scale: int) -> dict[str, Any]:
    """An inflow as ``--json`` prints it (docs/cli-json.md)."""
    from systok.core.times import us_to_iso

    return {
        "id": inflow.id,
        "kind": inflow.kind.value,
        "asset": inflow.asset,
        "held_as": inflow.held_as,
        "amount_units": inflow.amount_units,
        "scale": scale,
        "amount": format_amount(inflow.amount_units, scale),
        "quarter": str(inflow.quarter),
        "reference": inflow.reference,
        "note": inflow.note,
        "recorded_at": us_to_iso(inflow.recorded_at_us),
    }


@backing_app.command(
    "record",
    # "-5" is an amount to refuse by name, not an unknown option (issue 13): the
    # validator says why it is wrong instead of a usage error about an option.
    context_settings={"ignore_unknown_options": True},
)
def backing_record(  # noqa: PLR0917 - typer passes parameters by name
    kind: str = typer.Argument(
        ..., help="subscription, donation, investor_sale, grant or startup_share."
    ),
    amount: str = typer.Argument(..., help="The amount in the quote asset (RUB), e.g. 999000.00."),
    quarter: str = typer.Option(..., "--quarter", help="The quarter it came in, e.g. 2026-Q3."),
    reference: str = typer.Option(
        ..., "--reference", help="Your unique reference (invoice, bank entry); idempotent by it."
    ),
    note: str | None = typer.Option(None, "--note", help="Free text kept with the inflow."),
    held_as: str | None = typer.Option(
        None,
        "--held-as",
        help="The reserve asset the money is held in, one of the policy's "
        "backing.reserve_assets (default: the quote asset, not converted).",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Record an inflow; the same reference and content again is a replay."""
    from systok.backing.service import parse_inflow, record_inflow
    from systok.clock import now_us
    from systok.db.engine import run_transaction
    from systok.policy_files import default_policy

    policy = default_policy()
    draft = parse_inflow(
        policy,
        kind=kind,
        amount=amount,
        quarter=quarter,
        reference=reference,
        note=note,
        held_as=held_as,
    )
    engine = migrated_engine()
    done = run_transaction(engine, lambda s: record_inflow(s, draft, now_us=now_us()))
    scale = policy.assets[done.inflow.asset].scale
    if as_json:
        print_json(inflow_document(done.inflow, scale) | {"replayed": done.replayed})
        return
    verb = "already recorded" if done.replayed else "recorded"
    console.print(
        f"{verb}: {done.inflow.kind.value} {format_amount(done.inflow.amount_units, scale)} "
        f"{done.inflow.asset} for {done.inflow.quarter}, held as {done.inflow.held_as} "
        f"(reference {done.inflow.reference})"
    )


@backing_app.command("list")
def backing_list(
    quarter: str | None = typer.Option(None, "--quarter", help="Only this quarter's inflows."),
    as_json: bool = JSON_OPTION,
) -> None:
    """The recorded inflows, oldest first."""
    from systok.backing.service import list_inflows, parse_quarter
    from systok.db.engine import run_transaction
    from systok.policy_files import default_policy

    wanted = parse_quarter(quarter) if quarter is not None else None
    policy = default_policy()
    engine = migrated_engine()
    rows = run_transaction(engine, lambda s: list_inflows(s, wanted))
    if as_json:
        print_json([inflow_document(r, policy.assets[r.asset].scale) for r in rows])
        return
    table = Table("id", "quarter", "kind", "amount", "held as", "reference", "note")
    for r in rows:
        amount = f"{format_amount(r.amount_units, policy.assets[r.asset].scale)} {r.asset}"
        table.add_row(
            str(r.id), str(r.quarter), r.kind.value, amount, r.held_as, r.reference, r.note or ""
        )
    console.print(table)


@price_app.command("show")
def price_show(
    quarter: str | None = typer.Argument(
        None, help="The quarter, e.g. 2026-Q3 (default: the last closed quarter)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """A quarter's directive price: the one set, else computed from the book and the
    STK issued by the quarter's close."""
    from systok.backing.service import parse_quarter, price_of
    from systok.clock import now
    from systok.core.quarters import Quarter
    from systok.db.engine import run_transaction
    from systok.policy_files import default_policy

    moment = now()
    wanted = parse_quarter(quarter) if quarter is not None else Quarter.last_closed(moment)
    policy = default_policy()
    engine = migrated_engine()
    view = run_transaction(engine, lambda s: price_of(s, policy, wanted))
    price = None if view.price_units is None else format_amount(view.price_units, view.quote_scale)
    if as_json:
        print_json(
            {
                "quarter": str(view.quarter),
                "quote_asset": view.quote_asset,
                "scale": view.quote_scale,
                "price_units": view.price_units,
                "price": price,
                "backing_units": view.backing_units,
                "issued_units": view.issued_units,
                "stk_scale": policy.stk_scale,
                "policy_version": view.policy_version,
                "set": view.is_set,
                "closed": wanted.is_closed_at(moment),
            }
        )
        return
    backing = format_amount(view.backing_units, view.quote_scale)
    issued = format_amount(view.issued_units, policy.stk_scale)
    shown = f"{price} {view.quote_asset} per STK" if price is not None else "none (no STK issued)"
    state = "set" if view.is_set else "computed, not set"
    if not wanted.is_closed_at(moment):
        state += "; the quarter is still open, so this can change"
    console.print(
        f"{view.quarter}: {shown} ({state}); backing {backing} {view.quote_asset}, "
        f"issued {issued} STK"
    )


def quote_document(found: Any, stk_scale: int) -> dict[str, Any]:
    """A bonding-curve quote as ``--json`` prints it (docs/cli-json.md): amounts in
    units and as decimal text, the directive price beside the curve's."""
    view, curve, scale = found.price, found.curve, found.price.quote_scale

    def money(units: int | None) -> str | None:
        return None if units is None else format_amount(units, scale)

    return {
        "quarter": str(view.quarter),
        "quote_asset": view.quote_asset,
        "scale": scale,
        "stk_scale": stk_scale,
        "buy_units": curve.buy_units,
        "buy": format_amount(curve.buy_units, stk_scale),
        "cost_units": curve.cost_units,
        "cost": money(curve.cost_units),
        "average_price_units": curve.average_price_units,
        "average_price": money(curve.average_price_units),
        "marginal_price_units": curve.marginal_price_units,
        "marginal_price": money(curve.marginal_price_units),
        "directive_price_units": curve.directive_price_units,
        "directive_price": money(curve.directive_price_units),
        "backing_units": view.backing_units,
        "issued_units": view.issued_units,
        "treasury_units": found.treasury_units,
        "policy_version": view.policy_version,
        "set": view.is_set,
    }


@price_app.command("quote")
def price_quote_command(
    buy: str = typer.Option(..., "--buy", help="STK to buy from the treasury, e.g. 15000."),
    quarter: str | None = typer.Option(
        None, "--quarter", help="Start from this quarter's price (default: the latest set)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """The bonding-curve quote beside the directive price: buying N STK from the
    treasury puts the RUB into the backing, so each token sold raises the price
    (p = p₀·e^(N/S), ADR 0035). The cost rounds up to the kopeck; nothing is written."""
    from systok.backing.service import parse_buy, parse_quarter, price_quote
    from systok.clock import now
    from systok.core.quarters import Quarter
    from systok.db.engine import run_transaction
    from systok.policy_files import default_policy

    policy = default_policy()
    buy_units = parse_buy(policy, buy)
    wanted = parse_quarter(quarter) if quarter is not None else Quarter.last_closed(now())
    engine = migrated_engine()
    found = run_transaction(
        engine,
        lambda s: price_quote(s, policy, wanted, buy_units, latest=quarter is None),
    )
    document = quote_document(found, policy.stk_scale)
    if as_json:
        print_json(document)
        return
    asset = document["quote_asset"]
    console.print(
        f"buying {document['buy']} STK on the curve from {document['quarter']}'s price: "
        f"{document['cost']} {asset} (rounded up), on average {document['average_price']} "
        f"{asset} per STK; the next token then costs {document['marginal_price']} {asset}. "
        f"Directive price: {document['directive_price']} {asset} per STK."
    )
