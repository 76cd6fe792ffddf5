"""``systok demo``: the weekly run on a realistic synthetic community, end to end.

On a fresh embedded database (SQLite) it generates a community (by default 500 members
and 12 000 free users) and five weeks of their activity with a realistic skew. It
imports the people and ingests every week's events through the same door as the real
sources, then runs each week: collect, score, report, post. It ends with the economy's
state (funds, pool, the top earners and why), each week's Merkle root, the ledger audit
and a bit-for-bit replay (verify) of every week.

One member in ``--wallet-every`` links a Solana wallet (a deterministic key, signing the
server's nonce message like a wallet would), so each week's payout stage pays them on
the in-process chain (LiteSVM); the demo ends by showing their on-chain balances equal
to the ledger and by reconciling the chain with the ledger. Everybody else stays
custodial, which keeps the chain part cheap.

The weeks are the ``--weeks`` ISO weeks that closed before ``--today`` (default: today
by :mod:`systok.clock`), so a given ``--today`` and ``--seed`` give the same community,
weeks and Merkle roots on any day. ``--json`` prints the summary as one JSON document
on stdout (docs/cli-json.md) and the progress for people on stderr.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from datetime import UTC, datetime
from datetime import time as day_time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from solders.keypair import Keypair
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from systok import clock
from systok.accrual.explain import explain_week
from systok.accrual.service import WeeklyRun
from systok.accrual.verify import verify_week
from systok.cli.output import JSON_OPTION, print_json
from systok.clock import now_us
from systok.config import get_settings
from systok.core.amount import STK, format_amount
from systok.core.ledger import AccountType
from systok.core.weeks import IsoWeek
from systok.db import migrate
from systok.db.engine import make_engine, run_transaction
from systok.errors import AuditFailed
from systok.ingest.files import import_member_lines
from systok.ingest.service import Ingestor, Outcome
from systok.ledger.audit import audit_ledger
from systok.ledger.service import Ledger
from systok.payout.adapters import LitesvmAdapter
from systok.policy_files import policy_for_week
from systok.sim.community import generate_community

EVENTS_PER_UNIT = 10_000


def demo(  # noqa: PLR0915, PLR0917 - one Typer option per parameter; a linear script
    members: int = typer.Option(500, help="Paying members."),
    free_users: int = typer.Option(12_000, help="Free users (active, but they earn nothing)."),
    weeks: int = typer.Option(5, min=1, max=12, help="Closed weeks of activity to simulate."),
    seed: int = typer.Option(42, help="Seed of the community (same seed, same community)."),
    database: Path = typer.Option(None, help="SQLite file (default: a fresh var/demo.sqlite3)."),
    wallet_every: int = typer.Option(
        10, min=1, help="One member in this many links a wallet and is paid on chain."
    ),
    today: datetime = typer.Option(
        None,
        formats=["%Y-%m-%d"],
        help="Simulate the weeks closed before this UTC day, at noon (default: today).",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Run the weekly accrual on a synthetic community, on the embedded default."""
    from systok.accrual.schedule import last_closed_week

    started = time.perf_counter()
    console = Console(stderr=as_json)
    now = _reference_moment(today)
    settings = get_settings()
    if "log_level" not in settings.model_fields_set:
        # The demo prints its own account of every stage; the stage log lines a cron job
        # wants would only repeat it. SYSTOK_LOG_LEVEL=INFO brings them back.
        logging.getLogger("systok").setLevel(logging.WARNING)
    path = database or settings.data_dir / "demo.sqlite3"
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path.as_posix()}")
    migrate.upgrade(engine)
    week_list = [last_closed_week(now=now)]
    while len(week_list) < weeks:
        week_list.insert(0, week_list[0].previous())
    policy = policy_for_week(week_list[0])
    console.print(
        f"[bold]SysTok demo[/]: {members} members, {free_users} free users, weeks "
        f"{week_list[0]}…{week_list[-1]}, policy {policy.version} ({policy.content_hash[:12]}), "
        f"database {path}"
    )
    community = generate_community(seed, members=members, free_users=free_users, weeks=week_list)
    people = [*community.members, *community.free_users]
    report = import_member_lines(engine, ((n, json.dumps(p)) for n, p in enumerate(people, 1)))
    console.print(f"people imported: {report.accepted} (aliases linked, history effective-dated)")
    linked = sorted(str(p["id"]) for p in community.members)[::wallet_every]
    wallets = _link_wallets(engine, linked, seed)
    adapter = _demo_chain(settings.data_dir, path)
    console.print(
        f"wallets linked by signed nonce: {len(wallets)} members; payouts on the in-process "
        f"chain (LiteSVM), mint {adapter.token().mint}"
    )

    counts = {o: 0 for o in Outcome}
    roots: dict[str, str] = {}
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    with progress:
        task = progress.add_task("weeks", total=len(week_list))
        for week in week_list:
            progress.update(task, description=f"{week}: ingesting")
            batch: list[dict[str, object]] = []

            def flush(batch: list[dict[str, object]]) -> None:
                result = run_transaction(
                    engine,
                    lambda s: Ingestor(s, policy=policy).ingest(batch, source="demo", live=False),
                )
                for outcome in Outcome:
                    counts[outcome] += result.count(outcome)

            for record in community.events(week):
                batch.append(record)
                if len(batch) >= EVENTS_PER_UNIT:
                    flush(batch)
                    batch = []
            if batch:
                flush(batch)
            progress.update(task, description=f"{week}: weekly run")
            settled = WeeklyRun(
                engine, policy, reports_dir=settings.data_dir / "reports", payout_adapter=adapter
            ).run(week)
            roots[str(week)] = settled.merkle_root or ""
            progress.advance(task)
    summary: dict[str, Any] = {
        "today": now.date().isoformat(),
        "weeks": [str(w) for w in week_list],
        "policy_version": policy.version,
        "policy_hash": policy.content_hash,
        "scale": policy.stk_scale,
        "people_imported": report.accepted,
        "wallets_linked": len(wallets),
        "events": {o.value: n for o, n in counts.items()},
        "roots": [{"week": w, "merkle_root": r} for w, r in roots.items()],
    }
    console.print(
        f"events: {counts[Outcome.ACCEPTED]} accepted, {counts[Outcome.DUPLICATE]} duplicate, "
        f"{counts[Outcome.QUARANTINED]} quarantined with a reason (systok events quarantine list)"
    )
    summary |= _print_economy(console, engine, policy.stk_scale, week_list)
    table = Table("week", "Merkle root of (member, amount)", title="published roots")
    for week_name, root in roots.items():
        table.add_row(week_name, root)
    console.print(table)

    scales = {code: asset.scale for code, asset in policy.assets.items()}
    audit = run_transaction(engine, lambda s: audit_ledger(s, scales), snapshot=True)
    if not audit.ok:
        raise AuditFailed(audit.violations)
    for week in week_list:
        differences = verify_week(engine, policy, week)
        if differences:
            raise AuditFailed(differences)
    summary["chain"] = _print_chain(console, engine, adapter, wallets, policy.stk_scale)
    summary["audit"] = {"ok": True, "entries_checked": audit.entries_checked}
    summary["verified_weeks"] = [str(w) for w in week_list]
    summary["reports"] = sorted(
        p.name for p in (settings.data_dir / "reports").glob("rewards-*.csv")
    )
    console.print(
        f"ledger audit ok ({audit.entries_checked} journal entries); every week verified by "
        f"replay; {time.perf_counter() - started:.1f} s"
    )
    if as_json:
        print_json(summary)


def _reference_moment(today: datetime | None) -> datetime:
    """Now, or noon UTC of ``--today`` (refused after today: its weeks have not happened)."""
    now = clock.now()
    if today is None:
        return now
    if today.date() > now.date():
        raise typer.BadParameter(
            f"{today.date()} is after today ({now.date()}): its weeks have not "
            "happened yet (their events would be quarantined as from the future)",
            param_hint="--today",
        )
    return min(now, datetime.combine(today.date(), day_time(12), UTC))


def _print_economy(
    console: Console, engine: Engine, scale: int, week_list: list[IsoWeek]
) -> dict[str, Any]:
    """Print the funds and the top earners; return them for the JSON summary."""

    def stk(units: int) -> str:
        return format_amount(units, scale)

    balances = run_transaction(engine, lambda s: Ledger(s).balances(STK))
    funds = Table("account", "STK", title="funds after the weeks")
    for balance in balances:
        if balance.account.type is not AccountType.MEMBER:
            funds.add_row(balance.account.name, stk(balance.posted_units))
    console.print(funds)
    members = sorted(
        (b for b in balances if b.account.type is AccountType.MEMBER),
        key=lambda b: (-b.posted_units, b.account.owner),
    )
    paid_total = sum(b.posted_units for b in members)
    console.print(f"{len(members)} members hold {stk(paid_total)} STK earned")
    last_week = str(week_list[-1])

    leaders = [b.account.owner for b in members[:5]]

    def last_rewards(session: Session) -> dict[str, Any]:
        policy = policy_for_week(IsoWeek.parse(last_week))
        return explain_week(session, policy, last_week, leaders)

    rewards = run_transaction(engine, last_rewards)
    top = Table(
        "member",
        "total STK",
        f"{last_week} points",
        "streak",
        "why (last week)",
        title="top earners",
    )
    for balance in members[:5]:
        explained = rewards.get(balance.account.owner)
        reward = explained.reward if explained else None
        detail = explained.score.consistency or explained.score.rank if explained else None
        why = detail.why if detail else "inactive"
        top.add_row(
            balance.account.owner,
            stk(balance.posted_units),
            reward.points if reward else "0",
            str(reward.streak_weeks if reward else 0),
            why,
        )
    console.print(top)
    return {
        "funds": [
            {"account": b.account.name, "posted_units": b.posted_units}
            for b in balances
            if b.account.type is not AccountType.MEMBER
        ],
        "members_holding": len(members),
        "members_units": paid_total,
        "top_earners": [
            {
                "member": b.account.owner,
                "units": b.posted_units,
                "last_week_points": (
                    rewards[b.account.owner].reward.points if rewards.get(b.account.owner) else "0"
                ),
            }
            for b in members[:5]
        ],
    }


def _link_wallets(engine: Engine, member_ids: list[str], seed: int) -> dict[str, Keypair]:
    """Link a deterministic wallet per member through the real proof: nonce, sign, verify."""
    from systok.payout.wallets import issue_challenge, link_wallet, sign_message

    wallets = {
        m: Keypair.from_seed(hashlib.sha256(f"systok-demo:{seed}:{m}".encode()).digest())
        for m in member_ids
    }

    def work(session: Session) -> None:
        now = now_us()
        for member_id, keypair in wallets.items():
            issued = issue_challenge(
                session, member_id, str(keypair.pubkey()), now_us=now, ttl_seconds=600
            )
            proof = sign_message(keypair, issued.message)
            link_wallet(session, member_id, issued.nonce, proof, now_us=now)

    run_transaction(engine, work)
    return wallets


def _demo_chain(data_dir: Path, database: Path) -> LitesvmAdapter:
    """A fresh embedded chain next to the demo database, with its own payer key."""
    from systok.payout.chain import ensure_keypair
    from systok.payout.embedded import EmbeddedChain

    state = database.with_name(database.stem + "-chain.json")
    state.unlink(missing_ok=True)
    payer = ensure_keypair(data_dir / "chain" / "demo-payer.json")
    return LitesvmAdapter(EmbeddedChain(state), payer)


def _print_chain(
    console: Console,
    engine: Engine,
    adapter: LitesvmAdapter,
    wallets: dict[str, Keypair],
    scale: int,
) -> dict[str, int]:
    """On-chain balances next to the ledger's, then the reconciliation; differences fail."""
    from systok.payout.chain import token_account
    from systok.payout.reconcile import reconcile
    from systok.payout.service import paid_to_wallets

    token = adapter.token()
    members = sorted(wallets)
    ledger = run_transaction(engine, lambda s: paid_to_wallets(s, STK))
    chain = adapter.token_balances(
        [token_account(wallets[m].pubkey(), token.mint) for m in members]
    )
    table = Table("member", "wallet", "on chain STK", "ledger wallet STK", title="paid on chain")
    for member, amount in sorted(
        zip(members, chain, strict=True), key=lambda pair: (-(pair[1] or 0), pair[0])
    )[:5]:
        table.add_row(
            member,
            str(wallets[member].pubkey())[:12] + "…",
            format_amount(amount or 0, scale),
            format_amount(ledger.get(member, 0), scale),
        )
    console.print(table)
    result = reconcile(engine, adapter)
    if result.differences:
        raise AuditFailed([str(d) for d in result.differences])
    console.print(
        f"chain = ledger: {result.accounts_checked} token accounts hold "
        f"{format_amount(sum(a or 0 for a in chain), scale)} STK, the mint's supply is "
        f"{format_amount(result.supply_units or 0, scale)}, {result.transactions_checked} "
        "payout transactions found on chain with their memos"
    )
    return {
        "accounts_checked": result.accounts_checked,
        "transactions_checked": result.transactions_checked,
        "supply_units": result.supply_units or 0,
        "wallets_units": sum(a or 0 for a in chain),
    }
