"""``systok policy``: check, show and compare economic policy files.

``check`` is what a policy author runs before proposing a change (and what CI runs on
``policies/``): it prints every problem of every file at once, one per line as
``file: key.path: reason``, on stdout, and exits 65 (EX_DATAERR) when any file is
refused. ``diff`` shows what a proposed policy changes in the economy, key by key.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from systok.cli.output import JSON_OPTION, print_json
from systok.core.amount import format_amount
from systok.core.events import EVENT_DESCRIPTIONS
from systok.core.policy import (
    HalvingEmission,
    Policy,
    QuarterlyDecayEmission,
    RankLadder,
    WeightedDailyCaps,
    policy_diff,
)
from systok.core.policy.status import Status, declared_in, status_of
from systok.errors import PolicyInvalid, PolicyNotFound, SystokError
from systok.policy_files import default_policy, load_policy, load_policy_file, policy_files

app = typer.Typer(
    help="Check, show and compare economic policy files (policies/*.toml).",
    no_args_is_help=True,
)


class PolicyCheckError(SystokError):
    """``policy check`` refused at least one file (its problems are already printed)."""

    status_code = PolicyInvalid.status_code
    exit_code = PolicyInvalid.exit_code  # 65, EX_DATAERR


@app.command()
def check(
    files: list[Path] = typer.Argument(
        None,
        help="Policy files to check. None: every file in the policy folder.",
        show_default=False,
    ),
) -> None:
    """Parse policy files and print 'ok' or every problem (exit 65 if any is refused)."""
    targets = list(files) if files else policy_files()
    invalid: list[Path] = []
    missing: list[Path] = []
    for file in targets:
        try:
            policy = load_policy_file(file)
        except PolicyInvalid as refused:
            invalid.append(file)
            for problem in refused.problems:
                typer.echo(str(problem))
        except PolicyNotFound as error:
            missing.append(file)
            typer.echo(f"{file}: (file): {error.message}")
        else:
            typer.echo(f"ok: {file} {policy.version} {policy.content_hash[:12]}")
    # Errors, not typer.Exit: main() maps SystokError to its exit code in one place.
    if invalid:
        raise PolicyCheckError(
            f"{len(invalid)} of {len(targets)} policy file(s) refused: "
            + ", ".join(map(str, invalid))
        )
    if missing:
        raise PolicyNotFound(
            f"{len(missing)} policy file(s) not found: " + ", ".join(map(str, missing))
        )


def _shown(value: Any) -> str:
    return "(absent)" if value is None else str(value)


@app.command()
def diff(
    a: str = typer.Argument(..., help="Old policy: a version name or a file path."),
    b: str = typer.Argument(..., help="New policy: a version name or a file path."),
) -> None:
    """Print every key path whose value differs between A and B, as 'key: old → new'."""
    old, new = load_policy(a), load_policy(b)
    changes = policy_diff(old, new)
    if not changes:
        typer.echo(f"no differences ({old.version} and {new.version} have the same content)")
        return
    for key, before, after in changes:
        typer.echo(f"{key}: {_shown(before)} → {_shown(after)}")
    typer.echo(f"{len(changes)} difference{'s' if len(changes) != 1 else ''}")


# --- show ------------------------------------------------------------------------------


def _stk(policy: Policy, units: int) -> str:
    """Base units as human STK without trailing zeros: ``500``, ``0.01``."""
    text = format_amount(units, policy.stk_scale)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} STK"


def _pct(bps: int) -> str:
    percent = Decimal(bps) / 100
    text = (
        format(percent.normalize(), "f") if percent != percent.to_integral() else str(int(percent))
    )
    return f"{text} %"


def _dec(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return format(value, "f")


def _mark(key_path: str) -> str:
    """A note after a title whose keys the code does not enforce yet (docs/policy.md)."""
    return " — declared, not enforced" if status_of(key_path) is Status.DECLARED else ""


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold")
    for column in columns:
        table.add_column(column)
    return table


def _show_scoring(console: Console, policy: Policy) -> None:
    scoring = policy.scoring
    if isinstance(scoring, WeightedDailyCaps):
        levels = _table(
            "Qualification levels (weighted_daily_caps)", "level", "name", "coefficient"
        )
        for level in scoring.levels.values():
            levels.add_row(str(level.level), level.name, _dec(level.coefficient))
        console.print(levels)
        consistency = _table("Consistency", "active weeks in a row", "coefficient")
        last = len(scoring.consistency) - 1
        for index, step in enumerate(scoring.consistency):
            weeks = f"{step.weeks}+" if index == last else str(step.weeks)
            consistency.add_row(weeks, _dec(step.coefficient))
        console.print(consistency)
        console.print(
            f"A week is active with ≥ {scoring.active_week_min_counted_events} counted event(s)."
        )
    elif isinstance(scoring, RankLadder):
        levels = _table(
            "Rank ladder base ranks (rank_ladder)",
            "level",
            "name",
            "cap (points/day)",
            "multiplier",
            "ladder step",
        )
        for rank in scoring.levels.values():
            levels.add_row(
                str(rank.level),
                rank.name,
                str(rank.base_cap_daily),
                _dec(rank.multiplier),
                str(scoring.base_step(rank.level)),
            )
        console.print(levels)
        console.print(
            f"Rise {scoring.rise_steps_per_full_week} step per week with "
            f"{scoring.full_week_active_days} active days; {scoring.weeks_to_next_level} steps "
            f"per level; fall {scoring.fall_steps_per_inactive_week} step per week with ≤ "
            f"{scoring.inactive_week_max_active_days} active days; never below level "
            f"{scoring.floor_level}'s base; between bases: {scoring.between_levels}."
        )


def _show_emission(console: Console, policy: Policy) -> None:
    emission = policy.emission
    table = _table(f"Emission ({emission.kind})", "key", "value")
    table.add_row("genesis date", emission.genesis_date.isoformat())
    table.add_row("period", emission.period)
    if isinstance(emission, HalvingEmission):
        table.add_row("yearly amount", _stk(policy, emission.yearly_amount))
        table.add_row("halving every", f"{emission.halving_interval_years} years")
        table.add_row("daily amount, years 0..", _stk(policy, emission.daily_amount(0)))
        table.add_row("weekly amount, years 0..", _stk(policy, emission.week_amount(0)))
    elif isinstance(emission, QuarterlyDecayEmission):
        table.add_row("total supply", _stk(policy, emission.total_supply))
        table.add_row("first quarter", _stk(policy, emission.first_quarter_amount))
        table.add_row(
            "second quarter",
            _stk(
                policy,
                emission.quarter_amount(emission.total_supply - emission.first_quarter_amount),
            ),
        )
        table.add_row("tail", emission.tail)
    table.add_row("rounding", f"{emission.rounding} to {_stk(policy, emission.amount_quantum)}")
    console.print(table)


def _show_funds(console: Console, policy: Policy) -> None:
    funds = _table(
        f"Emission split (remainder to {policy.funds.remainder_to})",
        "fund",
        "account",
        "share",
        "vesting" + _mark("funds.split.*.vesting_days"),
    )
    for fund in policy.funds.split.values():
        funds.add_row(fund.name, fund.account, _pct(fund.share_bps), f"{fund.vesting_days} d")
    console.print(funds)
    backing = policy.backing
    console.print(
        f"Backing fund{_mark('backing')}: {_pct(backing.subscriptions_share_bps)} of "
        f"subscriptions, "
        f"{_pct(backing.donations_share_bps)} of donations; reserves "
        f"{', '.join(backing.reserve_assets)}."
    )
    if policy.initial_sale is not None:
        sale = policy.initial_sale
        console.print(
            f"Initial sale{_mark('initial_sale')} to {sale.buyers}: "
            f"{_pct(sale.share_bps_min)}–{_pct(sale.share_bps_max)}"
            f" of supply, vesting {sale.vesting_days} d."
        )


def _show_watch(console: Console, policy: Policy) -> None:
    """Stabilisation, health, price, ingestion and schedule: what is watched and when."""
    stabilisation = _table(
        "Stabilisation triggers" + _mark("stabilisation"), "name", "metric", "trigger", "action"
    )
    for trigger_rule in policy.stabilisation.values():
        trigger = (
            f"< {_dec(trigger_rule.trigger_below)}"
            if trigger_rule.trigger_below is not None
            else f"> {_dec(trigger_rule.trigger_above)}"
        )
        action = trigger_rule.action + (
            f" (step {_pct(trigger_rule.step_bps)})" if trigger_rule.step_bps else ""
        )
        stabilisation.add_row(trigger_rule.name, trigger_rule.metric, trigger, action)
    console.print(stabilisation)

    health = _table("Health" + _mark("health"), "metric", "unit", "target", "critical")
    for metric in policy.health.values():
        target = " and ".join(
            part
            for part in (
                f"≥ {_dec(metric.target_min)}" if metric.target_min is not None else "",
                f"≤ {_dec(metric.target_max)}" if metric.target_max is not None else "",
            )
            if part
        )
        critical = " or ".join(
            part
            for part in (
                f"< {_dec(metric.critical_below)}" if metric.critical_below is not None else "",
                f"> {_dec(metric.critical_above)}" if metric.critical_above is not None else "",
            )
            if part
        )
        health.add_row(metric.name, metric.unit, target, critical)
    console.print(health)

    price = policy.price
    console.print(
        f"Price{_mark('price')}: {price.model} per {price.period} in {price.quote_asset}, "
        f"{_pct(price.subscription_share_bps)} of subscriptions, one-off inflows spread over "
        f"{price.one_off_spread_quarters} quarters."
    )
    ingestion = policy.ingestion
    console.print(
        f"Ingestion: future skew ≤ {ingestion.max_future_skew_seconds} s, age ≤ "
        f"{ingestion.max_age_days} d, weekly grace {ingestion.weekly_grace_hours} h."
    )
    schedule = policy.schedule
    console.print(
        f"Schedule{_mark('schedule')} (Monday, UTC hours): aggregate by "
        f"{schedule.aggregate_by_hour}, score by {schedule.score_by_hour}, report by "
        f"{schedule.report_by_hour}, pay out by {schedule.payout_by_hour}, notify at "
        f"{schedule.notify_at_hour}."
    )


def _show(console: Console, policy: Policy) -> None:
    console.print(f"[bold]{policy.version}[/] — {policy.title}")
    console.print(
        f"effective from {policy.effective_from} ({policy.effective_from.start:%Y-%m-%d}); "
        f"content hash {policy.content_hash}"
    )
    console.print(f"source: {policy.source}")
    declared = declared_in(policy)
    if declared:
        console.print("Declared, not enforced yet (parsed, checked and hashed; no code acts):")
        for key_path, reason in declared.items():
            console.print(f"  {key_path}: {reason}")

    events = _table("Events", "event", "weight", "limit/day", "reward type", "vesting", "what")
    for rule in policy.events.values():
        events.add_row(
            rule.event_type,
            str(rule.weight),
            str(rule.limit_daily),
            rule.reward_type,
            f"{policy.vesting.reward_types[rule.reward_type].vesting_days} d",
            EVENT_DESCRIPTIONS.get(rule.event_type, ""),
        )
    console.print(events)
    conversion = policy.conversion
    console.print(
        f"Points → STK: × {_dec(conversion.stk_per_point)}, {conversion.rounding} to the base "
        f"unit, remainder to {conversion.remainder_to}. Paid members only: "
        f"{policy.eligibility.paid_members_only} ({policy.eligibility.membership_product}, "
        f"{policy.eligibility.membership_period_months} months)."
    )
    _show_scoring(console, policy)

    vesting = _table("Vesting", "reward type", "days")
    for vesting_rule in policy.vesting.reward_types.values():
        vesting.add_row(vesting_rule.reward_type, str(vesting_rule.vesting_days))
    console.print(vesting)

    slashing = _table(
        f"Inactive wallets (per {policy.slashing.period}, to {policy.slashing.to})"
        + _mark("slashing"),
        "days inactive",
        "rate",
        "warn",
    )
    for tier in policy.slashing.tiers:
        span = (
            f"{tier.from_days}–{tier.to_days}"
            if tier.to_days is not None
            else f"≥ {tier.from_days}"
        )
        slashing.add_row(span, _pct(tier.rate_bps), "yes" if tier.warn else "")
    console.print(slashing)

    _show_emission(console, policy)
    _show_funds(console, policy)

    services = _table("Services", "id", "name", "price", "days", "split")
    for service in policy.services.values():
        split = ", ".join(f"{who} {_pct(bps)}" for who, bps in service.split_bps.items())
        services.add_row(
            service.service_id,
            service.name,
            _stk(policy, service.price),
            str(service.period_days),
            split,
        )
    console.print(services)
    fee = policy.transfer_fee
    cap = _stk(policy, fee.max_fee) if fee.max_fee is not None else "none"
    console.print(
        f"Transfer fee: {_pct(fee.rate_bps)} ({fee.rounding}), min {_stk(policy, fee.min_fee)}, "
        f"max {cap}, to {fee.to}."
    )

    _show_watch(console, policy)


@app.command()
def show(
    name: str | None = typer.Argument(
        None, help="A version name or file path. None: the default (newest or pinned) policy."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Print a policy as tables: events, levels, vesting, funds, services, fee, health, ….

    Sections the code does not enforce yet are marked "declared, not enforced"; the JSON
    lists them under ``declared`` (key path → why) next to the canonical ``policy`` data.
    """
    policy = load_policy(name) if name else default_policy()
    if as_json:
        print_json(
            {
                "version": policy.version,
                "title": policy.title,
                "effective_from": str(policy.effective_from),
                "content_hash": policy.content_hash,
                "source": policy.source,
                "policy": policy.canonical_data(),
                "declared": declared_in(policy),
            }
        )
        return
    _show(Console(highlight=False), policy)
