"""``systok run …``, ``systok report csv`` and ``systok explain``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import typer
from rich.table import Table
from sqlalchemy import Engine

from systok import clock
from systok.accrual import repository as repo
from systok.accrual.explain import (
    breakdown,
    explain_reward,
    level_multipliers,
    reward_counts,
    vesting_of,
)
from systok.accrual.service import (
    Preview,
    RunError,
    RunSummary,
    WeeklyRun,
    points_text,
    rewards_csv,
)
from systok.cli.context import migrated_engine
from systok.cli.output import JSON_OPTION, make_console, print_json
from systok.config import get_settings
from systok.core.amount import format_amount
from systok.core.policy import Policy
from systok.core.times import date_of_day, day_of_date
from systok.core.weeks import IsoWeek
from systok.db.engine import run_transaction
from systok.errors import SystokError
from systok.ingest.repository import find_member
from systok.policy_files import policy_for_week

run_app = typer.Typer(help="The weekly run: score, mint, settle, report.", no_args_is_help=True)
report_app = typer.Typer(help="Reports of settled weeks.", no_args_is_help=True)
console = make_console()

NO_RUN_TO_VERIFY_EXIT_CODE = 66


class NoRunToVerify(SystokError):
    """``verify week`` on a week that has no run: nothing to compare (exit 66, not the
    2 of a failed verification)."""

    status_code = 404
    exit_code = NO_RUN_TO_VERIFY_EXIT_CODE  # EX_NOINPUT


class UnknownMember(SystokError):
    """No member has this platform id (a typo, or the platform has not reported them)."""

    status_code = 404


def last_closed_week(policy_grace_hours: int = 2, now: datetime | None = None) -> IsoWeek:
    """The newest week that closed (Sunday 23:59:59 UTC) more than the grace window ago.

    ``now`` defaults to :func:`systok.clock.now`; pass it to ask about another moment.
    """
    moment = (now or clock.now()) - timedelta(hours=policy_grace_hours)
    return IsoWeek.containing(moment).previous()


def runnable_from(week: IsoWeek, policy: Policy) -> datetime:
    """When a week may be run: its end plus the policy's grace window for late events.

    Events of the week that arrive inside ``ingestion.weekly_grace_hours`` after Sunday
    still count in it; running earlier would settle the week without them, and they would
    become next week's adjustments for no reason but an early timer.
    """
    return week.end + timedelta(hours=policy.ingestion.weekly_grace_hours)


def refuse_open_week(week: IsoWeek, policy: Policy, now: datetime) -> None:
    """Raise :class:`RunError` saying when ``week`` may run if it is still open or in grace."""
    opens = runnable_from(week, policy)
    if opens <= now:
        return
    grace = policy.ingestion.weekly_grace_hours
    why = (
        f"it has not closed yet (it ends {week.end.isoformat()})"
        if week.end > now
        else f"it closed at {week.end.isoformat()} but is inside its {grace} h grace window "
        "for late events"
    )
    raise RunError(
        f"week {week} cannot run yet: {why}; it may run from {opens.isoformat()} "
        f"(policy {policy.version}: ingestion.weekly_grace_hours = {grace})"
    )


def _default_week() -> IsoWeek:
    """The last week whose grace window (under its own policy) has passed."""
    now = clock.now()
    candidate = IsoWeek.containing(now).previous()
    if runnable_from(candidate, policy_for_week(candidate)) > now:
        candidate = candidate.previous()
    return candidate


def _week(text: str | None) -> IsoWeek:
    if text is None:
        return _default_week()
    try:
        return IsoWeek.parse(text)
    except ValueError as error:
        raise RunError(f"week {text!r}: {error}") from None


def _runner(week: IsoWeek) -> tuple[WeeklyRun, Policy]:
    engine = migrated_engine()
    policy = policy_for_week(week)
    refuse_open_week(week, policy, clock.now())
    reports = get_settings().data_dir / "reports"
    return WeeklyRun(engine, policy, reports_dir=reports), policy


def summary_json(summary: RunSummary, scale: int, counts: tuple[int, int]) -> dict[str, Any]:
    """A run's summary as documented in docs/cli-json.md (amounts in base units).

    ``members`` counts the members paid more than 0; ``members_scored_zero`` those
    scored and paid nothing (free users, weight-0 activity): ``counts`` is both.
    """
    rewarded, scored_zero = counts
    return {
        "run": summary.run_id,
        "week": summary.week,
        "policy_version": summary.policy_version,
        "stage": summary.stage,
        "members": rewarded,
        "members_scored_zero": scored_zero,
        "scale": scale,
        "emission_units": summary.emission_units,
        "budget_units": summary.budget_units,
        "rewards_units": summary.rewards_units,
        "prorata": summary.prorata,
        "merkle_root": summary.merkle_root,
    }


def preview_json(preview: Preview, scale: int) -> dict[str, Any]:
    """A dry run as documented in docs/cli-json.md: the run's summary fields, and rows."""
    rewarded = sum(1 for r in preview.rewards if r.paid_units > 0)
    return {
        "dry_run": True,
        "week": preview.week,
        "policy_version": preview.policy_version,
        "members": rewarded,
        "members_scored_zero": len(preview.rewards) - rewarded,
        "scale": scale,
        "emission_units": preview.emission_units,
        "budget_units": preview.budget_units,
        "rewards_units": preview.rewards_units,
        "prorata": preview.prorata,
        "merkle_root": preview.merkle_root,
        "rewards": [
            {
                "member": r.member_id,
                "points": r.points,
                "units": r.paid_units,
                "vesting_units": r.vesting_units,
            }
            for r in preview.rewards
        ],
        "adjustments": [
            {"week": a.week, "member": a.member_id, "delta_units": a.delta_units}
            for a in preview.adjustments
        ],
    }


def _reward_counts(engine: Engine, run_id: int) -> tuple[int, int]:
    return run_transaction(engine, lambda s: reward_counts(s, run_id))


def _print_summary(summary: RunSummary, scale: int, counts: tuple[int, int]) -> None:
    def stk(units: int | None) -> str:
        return "—" if units is None else format_amount(units, scale)

    rewarded, scored_zero = counts
    console.print(
        f"run {summary.run_id}: {summary.week} under {summary.policy_version}, stage "
        f"[bold]{summary.stage}[/]; {rewarded} members rewarded"
        + (f" ({scored_zero} more scored 0)" if scored_zero else "")
        + ", "
        f"{stk(summary.rewards_units)} STK paid of a budget of {stk(summary.budget_units)}; "
        f"emission {stk(summary.emission_units)} STK"
        + (f"; scaled pro rata by {summary.prorata}" if summary.prorata else "")
        + (f"\nMerkle root {summary.merkle_root}" if summary.merkle_root else "")
    )


@run_app.command("week")
def run_week(
    week: str = typer.Argument(
        None, help="ISO week, e.g. 2026-W05 (default: the last week past its grace window)."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Score and show, write nothing."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Run (or finish) the weekly accrual of a week; a settled week changes nothing."""
    target = _week(week)
    runner, policy = _runner(target)
    if dry_run:
        preview = runner.preview(target)
        if as_json:
            print_json(preview_json(preview, policy.stk_scale))
            return
        table = Table("member", "points", "STK", title=f"dry run of {target} (nothing written)")
        for reward in preview.rewards[:20]:
            table.add_row(
                reward.member_id, reward.points, format_amount(reward.paid_units, policy.stk_scale)
            )
        console.print(table)
        console.print(
            f"{sum(1 for r in preview.rewards if r.paid_units > 0)} members would be rewarded, "
            f"{format_amount(preview.rewards_units, policy.stk_scale)} STK of a budget of "
            f"{format_amount(preview.budget_units, policy.stk_scale)}"
            + (f"; scaled pro rata by {preview.prorata}" if preview.prorata else "")
            + f"; {len(preview.adjustments)} adjustment(s) of earlier weeks"
            + f"\nMerkle root {preview.merkle_root} (nothing written)"
        )
        return
    summary = runner.run(target)
    counts = _reward_counts(runner.engine, summary.run_id)
    if as_json:
        print_json(summary_json(summary, policy.stk_scale, counts))
        return
    _print_summary(summary, policy.stk_scale, counts)


@run_app.command("resume")
def run_resume() -> None:
    """Finish every run that stopped before its last stage."""
    engine = migrated_engine()
    unfinished = [r for r in run_transaction(engine, repo.latest_runs) if r.stage != "done"]
    if not unfinished:
        console.print("nothing to resume")
    for row in reversed(unfinished):
        runner, policy = _runner(IsoWeek.parse(row.week))
        summary = runner.run(IsoWeek.parse(row.week))
        _print_summary(summary, policy.stk_scale, _reward_counts(engine, summary.run_id))


@run_app.command("status")
def run_status(
    limit: int = typer.Option(20, help="At most this many runs, newest first."),
    as_json: bool = JSON_OPTION,
) -> None:
    """The latest runs: week, policy, stage, rewards and each week's Merkle root."""
    engine = migrated_engine()
    rows = run_transaction(engine, lambda s: repo.latest_runs(s, limit))
    if as_json:
        print_json(
            [
                {
                    "run": row.id,
                    "week": row.week,
                    "policy_version": row.policy_version,
                    "policy_hash": row.policy_hash,
                    "stage": row.stage,
                    "scale": policy_for_week(IsoWeek.parse(row.week)).stk_scale,
                    "emission_units": row.emission_units,
                    "budget_units": row.budget_units,
                    "rewards_units": row.rewards_units,
                    "prorata": row.prorata,
                    "merkle_root": row.merkle_root,
                }
                for row in rows
            ]
        )
        return
    table = Table("run", "week", "policy", "stage", "rewards STK", "Merkle root")
    for row in rows:
        table.add_row(
            str(row.id),
            row.week,
            row.policy_version,
            row.stage,
            "" if row.rewards_units is None else format_amount(row.rewards_units, 6),
            (row.merkle_root or "")[:16],
        )
    console.print(table)


def _settled(week_text: str) -> tuple[Engine, Any, Policy]:
    week = _week(week_text)
    engine = migrated_engine()
    policy = policy_for_week(week)
    row = run_transaction(engine, lambda s: repo.find_run(s, str(week), policy.version))
    if row is None:
        raise RunError(
            f"week {week} has no run under {policy.version}; run `systok run week {week}`"
        )
    return engine, row, policy


verify_app = typer.Typer(
    help="Replay settled weeks and compare them bit for bit.", no_args_is_help=True
)


@verify_app.command("week")
def verify_week_command(
    week: str = typer.Argument(..., help="ISO week, e.g. 2026-W05."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Replay a settled week from events, profiles and policy; exit 2 on any difference,
    66 when the week has no run to verify."""
    from systok.accrual.verify import verify_week
    from systok.errors import AuditFailed

    target = _week(week)
    engine = migrated_engine()
    policy = policy_for_week(target)
    if run_transaction(engine, lambda s: repo.find_run(s, str(target), policy.version)) is None:
        raise NoRunToVerify(
            f"no run of {target} to verify (under policy {policy.version}); "
            f"run it first: systok run week {target}"
        )
    differences = verify_week(engine, policy, target)
    if differences:
        raise AuditFailed(differences)
    if as_json:
        print_json({"week": str(target), "verified": True})
        return
    console.print(
        f"{target} verified: collected sums or counts, rewards, vesting and Merkle root "
        "replay exactly"
    )


@report_app.command("csv")
def report_csv(week: str = typer.Argument(..., help="ISO week, e.g. 2026-W05.")) -> None:
    """Print the week's rewards as CSV: date,user_id,points,amount."""
    engine, row, policy = _settled(week)
    rewards = run_transaction(engine, lambda s: repo.run_rewards(s, row.id))
    last_day = date_of_day(day_of_date(IsoWeek.parse(row.week).monday) + 6)
    typer.echo(rewards_csv(rewards, last_day, policy.stk_scale), nl=False)


def explain(
    member: str = typer.Argument(..., help="Platform member id."),
    week: str = typer.Argument(..., help="ISO week, e.g. 2026-W05."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Why a member got exactly this many tokens in a week: each day's level and
    multiplier, each event type's count, cap and points, and when frozen parts unlock."""
    engine, row, policy = _settled(week)

    def read(session: Any) -> Any:
        if find_member(session, member) is None:
            raise UnknownMember(f"unknown member {member!r}: no member has this platform id")
        explained = explain_reward(session, policy, row, member)
        vesting = vesting_of(session, row.id, member) if explained is not None else []
        return explained, vesting

    explained, vesting = run_transaction(engine, read, snapshot=True)
    if explained is None:
        raise RunError(f"{member} earned nothing in {row.week} (no counted events)")
    reward, data = explained.reward, breakdown(explained.score)
    levels = level_multipliers(explained.score)
    if as_json:
        print_json(
            {
                "member": member,
                "week": row.week,
                "points": reward.points,
                "scale": policy.stk_scale,
                "units": reward.units,
                "paid_units": reward.paid_units,
                "prorata": row.prorata,
                "matches": explained.matches,
                "levels": levels,
                "vesting": vesting,
                "breakdown": data,
            }
        )
        return
    _print_explanation(
        member=member,
        row=row,
        policy=policy,
        explained=explained,
        data=data,
        levels=levels,
        vesting=vesting,
    )


def _print_explanation(
    *,
    member: str,
    row: Any,
    policy: Policy,
    explained: Any,
    data: dict[str, Any],
    levels: list[dict[str, Any]],
    vesting: list[dict[str, Any]],
) -> None:
    reward, scale = explained.reward, policy.stk_scale
    console.print(
        f"[bold]{member}[/], {row.week}: {reward.points} points → "
        f"{format_amount(reward.units, scale)} STK"
        + (
            f", paid {format_amount(reward.paid_units, scale)} STK after pro rata {row.prorata}"
            if reward.paid_units != reward.units and row.prorata
            else ""
        )
        + f"\npolicy {data['policy_version']} ({data['policy_hash'][:12]}), model {data['model']}"
    )
    if not explained.matches:
        console.print(
            f"[bold red]warning:[/] re-scoring gives {points_text(explained.score.points)} points, "
            f"{format_amount(explained.score.units, scale)} STK, not what was "
            f"stored: the events or the reward changed since; run `systok verify week {row.week}`"
        )
    kinds = {"rank_multiplier": "rank multiplier", "qualification_coefficient": "level coefficient"}
    spans = sorted({(lv["level"], lv["level_name"], lv["multiplier"]) for lv in levels})
    if spans:
        console.print(
            f"{kinds[levels[0]['kind']]}: "
            + "; ".join(f"level {lv} ({name}) ×{mult}" for lv, name, mult in spans)
            + (" (varies by day, see the table)" if len(spans) > 1 else "")
        )
    table = Table(
        "day", "level", "×", "type", "events", "counted", "capped", "earns nothing", "points"
    )
    level_of = {lv["date"]: lv for lv in levels}
    for day in data["days"]:
        day_level = level_of.get(day["calendar_date"], {})
        for line in day["lines"]:
            table.add_row(
                day["calendar_date"],
                str(day_level.get("level", "")),
                str(day_level.get("multiplier", "")),
                line["event_type"],
                str(line["count"]),
                str(line["counted"]),
                str(line["capped"]),
                f"{line['ineligible']} ({line['ineligible_label']})" if line["ineligible"] else "0",
                str(line["points"]),
            )
    console.print(table)
    for key in ("consistency", "rank"):
        if data.get(key):
            console.print(f"{key}: {data[key]['why']}")
    for grant in vesting:
        console.print(
            f"vesting: {format_amount(grant['units'], scale)} STK of {grant['event_type']} "
            f"frozen until {grant['unlock_at'][:10]} ({grant['status']})"
        )
    for note in data.get("notes", []):
        console.print(f"note: {note}")
    if data.get("reason"):
        console.print(f"reason: {data['reason']}")


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
    from sqlalchemy import select

    from systok.core.times import us_to_iso
    from systok.db.kit import vesting_grants_t
    from systok.policy_files import default_policy

    engine = migrated_engine()
    scale = default_policy().stk_scale
    rows = run_transaction(
        engine,
        lambda s: list(
            s.execute(select(vesting_grants_t).order_by(vesting_grants_t.c.id.desc()).limit(limit))
        ),
    )
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
