"""``systok ledger …``, ``systok audit`` and ``systok demo``."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.table import Table

from systok import clock
from systok.cli.context import engine_from_settings, migrated_engine
from systok.cli.output import JSON_OPTION, make_console, print_json
from systok.config import get_settings
from systok.core.amount import STK, format_amount
from systok.core.ledger import (
    AccountType,
    HoldDraft,
    TransactionCode,
    member_account,
    system_account,
)
from systok.core.policy import HalvingEmission
from systok.core.vesting import vesting_days_for
from systok.db import migrate
from systok.db.engine import make_engine, run_transaction
from systok.economy.emission import issue_caps, mint_emission
from systok.economy.transfers import TransferOutcome, transfer_between_members
from systok.errors import AuditFailed, InsufficientFunds
from systok.ledger.audit import audit_ledger
from systok.ledger.service import Ledger
from systok.policy_files import default_policy

app = typer.Typer(help="The ledger: balances, expiring holds.", no_args_is_help=True)
console = make_console()

SECONDS_PER_DAY = 86_400
MICROS = 1_000_000


def _stk(units: int) -> str:
    return format_amount(units, 6)


@app.command()
def balances(
    asset: str = typer.Option(None, help="Only this asset (e.g. STK)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List every account with its posted, held and available balance."""
    engine = migrated_engine()
    rows = run_transaction(engine, lambda s: Ledger(s).balances(asset))
    scales = run_transaction(
        engine, lambda s: {a: Ledger(s).asset_scale(a) for a in {r.account.asset for r in rows}}
    )
    if as_json:
        print_json(
            [
                {
                    "account": row.account.name,
                    "type": row.account.type.value,
                    "owner": row.account.owner,
                    "asset": row.account.asset,
                    "scale": scales[row.account.asset],
                    "posted_units": row.posted_units,
                    "held_units": row.held_units,
                    "available_units": row.available_units,
                }
                for row in rows
            ]
        )
        return
    table = Table("account", "posted", "held", "available", title="balances")
    for row in rows:
        scale = scales[row.account.asset]
        table.add_row(
            row.account.name,
            format_amount(row.posted_units, scale),
            format_amount(row.held_units, scale),
            format_amount(row.available_units, scale),
        )
    console.print(table)


@app.command("expire-holds")
def expire_holds(
    limit: int = typer.Option(10_000, help="At most this many holds in one run."),
) -> None:
    """Expire every pending hold whose expiry has passed (run it daily; safe to repeat)."""
    engine = migrated_engine()
    expired = run_transaction(engine, lambda s: Ledger(s).expire_holds(limit=limit))
    console.print(f"expired {len(expired)} hold(s)")


def audit() -> None:
    """Check every ledger invariant; exit 2 naming each violation if one fails."""
    engine = migrated_engine()
    started = time.perf_counter()
    policy = default_policy()
    scales = {code: asset.scale for code, asset in policy.assets.items()}
    caps = issue_caps(policy)
    report = run_transaction(engine, lambda s: audit_ledger(s, scales, caps), snapshot=True)
    elapsed = time.perf_counter() - started
    if not report.ok:
        raise AuditFailed(report.violations)
    supply = ", ".join(f"{asset} {units}" for asset, units in sorted(report.supply_units.items()))
    console.print(
        f"audit ok: {report.entries_checked} journal entries, {report.accounts_checked} accounts, "
        f"hash chain intact (head {report.chain_head[:16]}); supply in base units: "
        f"{supply or 'none'} ({elapsed:.2f} s)"
    )


def demo(
    database: Path = typer.Option(
        None, help="SQLite file for the demo (default: a fresh var/demo.sqlite3)."
    ),
) -> None:
    """A tour of the ledger alone on a fresh SQLite file (emission, transfer, refusal, hold).

    Mints one week of emission into the funds by the default policy, pays rewards,
    makes a member-to-member transfer with the policy's fee, replays it idempotently,
    shows a refused overdraft changing nothing, freezes a peer-review reward in a
    vesting hold, and ends with the full audit.
    """
    started = time.perf_counter()
    settings = get_settings()
    if settings.database_url and database is None:
        engine = engine_from_settings(settings)
    else:
        path = database or settings.data_dir / "demo.sqlite3"
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)
        engine = make_engine(f"sqlite:///{path.as_posix()}")
    migrate.upgrade(engine)
    policy = default_policy()
    console.print(
        f"[bold]SysTok ledger demo[/] on {engine.url.render_as_string(hide_password=True)}\n"
        f"policy {policy.version} ({policy.title}), hash {policy.content_hash[:12]}"
    )
    scale = policy.stk_scale
    emission = policy.emission
    if isinstance(emission, HalvingEmission):
        week_units = emission.week_amount(0)
    else:  # a quarterly schedule: one thirteenth of the first quarter stands for a week
        week_units = emission.quarter_amount(emission.total_supply) // 13
    pool = system_account(AccountType.POOL_REWARDS)
    now_us = clock.now_us()

    def week(session):  # type: ignore[no-untyped-def]
        ledger = Ledger(session)
        ledger.ensure_assets({code: asset.scale for code, asset in policy.assets.items()})
        mint_emission(ledger, policy, "demo-week-1", week_units)
        rewards = {"m001": 1_584, "m002": 640, "m003": 95}
        for member_id, whole in rewards.items():
            ledger.transfer(
                pool,
                member_account(member_id),
                whole * 10**scale,
                code=TransactionCode.REWARD,
                idempotency_key=f"demo:reward:{member_id}",
                reference="demo reward",
            )
        return rewards

    rewards = run_transaction(engine, week)
    console.print(
        f"minted one week of emission: {_stk(week_units)} STK, split "
        + ", ".join(f"{n} {f.share_bps / 100:g} %" for n, f in policy.funds.split.items())
    )
    console.print(f"paid demo rewards from the pool: {rewards}")

    def transfer(sender: str, recipient: str, whole: int, key: str) -> TransferOutcome:
        return run_transaction(
            engine,
            lambda session: transfer_between_members(
                Ledger(session),
                policy,
                sender_id=sender,
                recipient_id=recipient,
                amount_units=whole * 10**scale,
                idempotency_key=key,
            ),
        )

    first = transfer("m001", "m002", 200, "demo:transfer:1")
    again = transfer("m001", "m002", 200, "demo:transfer:1")
    console.print(
        f"m001 → m002 200 STK, fee {_stk(first.fee_units)} STK "
        f"(entry {first.entry.transaction_id}); "
        f"retry with the same key: replayed={again.entry.replayed}, "
        f"same entry={again.entry.transaction_id == first.entry.transaction_id}"
    )

    try:
        transfer("m003", "m001", 10_000, "demo:transfer:overdraft")
    except InsufficientFunds as refused:
        console.print(f"refused as expected, nothing written: {refused.message}")

    vesting_days = vesting_days_for(policy, "PeerReviewCompleted")

    def freeze(session):  # type: ignore[no-untyped-def]
        return Ledger(session).create_hold(
            HoldDraft(
                code=TransactionCode.VESTING_LOCK,
                idempotency_key="demo:vesting:m002:review",
                debit=pool,
                credit=member_account("m002"),
                amount_units=150 * 10**scale,
                expires_at_us=now_us + vesting_days * SECONDS_PER_DAY * MICROS,
                reference="peer review reward, vesting",
            )
        )

    held = run_transaction(engine, freeze)
    console.print(
        f"peer-review reward of 150 STK frozen for {vesting_days} days (hold {held.hold_id})"
    )

    table = Table("account", "posted STK", "held STK", "available STK", title="balances")
    for row in run_transaction(engine, lambda s: Ledger(s).balances(STK)):
        table.add_row(
            row.account.name,
            _stk(row.posted_units),
            _stk(row.held_units),
            _stk(row.available_units),
        )
    console.print(table)
    scales = {code: asset.scale for code, asset in policy.assets.items()}
    caps = issue_caps(policy)
    report = run_transaction(engine, lambda s: audit_ledger(s, scales, caps), snapshot=True)
    if not report.ok:
        raise AuditFailed(report.violations)
    console.print(
        f"audit ok: {report.entries_checked} journal entries on an unbroken hash chain, "
        f"STK supply {_stk(report.supply_units['STK'])} "
        f"= −world − burned; finished in {time.perf_counter() - started:.2f} s"
    )
