"""``systok run …`` (weekly runs; ``run status`` and ``run resume`` cover quarterly runs
too), ``systok report csv`` and ``systok verify week``."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table
from sqlalchemy import Engine

from systok import clock
from systok.accrual.schedule import last_closed_week, refuse_open_week, stage_deadlines
from systok.accrual.schemas import Preview, RunSummary
from systok.accrual.service import (
    WeeklyRun,
    find_run,
    latest_runs,
    reward_counts,
    run_csv,
    stage_finishes,
)
from systok.cli.context import migrated_engine
from systok.cli.output import JSON_OPTION, make_console, print_json
from systok.cli.quarter import quarter_policy
from systok.cli.quarter import summary_json as quarter_json
from systok.config import get_settings
from systok.core.amount import format_amount
from systok.core.policy import Policy
from systok.core.quarters import Quarter
from systok.core.times import us_to_iso
from systok.core.weeks import IsoWeek
from systok.errors import NoRunToVerify, RunError
from systok.policy_files import policy_for_week
from systok.quarter.schemas import Stage
from systok.quarter.service import QuarterRun, latest_quarter_runs

run_app = typer.Typer(help="The weekly run: score, mint, settle, report.", no_args_is_help=True)
report_app = typer.Typer(help="Reports of settled weeks and closed quarters.", no_args_is_help=True)
console = make_console()


def parse_week(text: str | None) -> IsoWeek:
    """An ISO week from the command line; None: the last week past its grace window."""
    if text is None:
        return last_closed_week()
    try:
        return IsoWeek.parse(text)
    except ValueError as error:
        raise RunError(f"week {text!r}: {error}") from None


def _runner(week: IsoWeek) -> tuple[WeeklyRun, Policy]:
    engine = migrated_engine()
    policy = policy_for_week(week)
    refuse_open_week(week, policy, clock.now())
    settings = get_settings()
    reports = settings.data_dir / "reports"
    runner = WeeklyRun(
        engine,
        policy,
        reports_dir=reports,
        write_statements=settings.run_statements,
        public_url=settings.public_url,
    )
    return runner, policy


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
    target = parse_week(week)
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
    counts = reward_counts(runner.engine, summary.run_id)
    if as_json:
        print_json(summary_json(summary, policy.stk_scale, counts))
        return
    _print_summary(summary, policy.stk_scale, counts)


@run_app.command("resume")
def run_resume(as_json: bool = JSON_OPTION) -> None:
    """Finish every weekly run, then every quarterly run, that stopped before its last
    stage (weeks first: a quarter's vest stage reads the emissions the weeks mint)."""
    engine = migrated_engine()
    unfinished = [r for r in latest_runs(engine) if r.stage != "done"]
    quarters = [r for r in latest_quarter_runs(engine) if r.stage != Stage.DONE.value]
    resumed: list[dict[str, Any]] = []
    if not unfinished and not quarters and not as_json:
        console.print("nothing to resume")
    for row in reversed(unfinished):
        runner, policy = _runner(IsoWeek.parse(row.week))
        summary = runner.run(IsoWeek.parse(row.week))
        counts = reward_counts(engine, summary.run_id)
        if as_json:
            resumed.append({"kind": "week", **summary_json(summary, policy.stk_scale, counts)})
        else:
            _print_summary(summary, policy.stk_scale, counts)
    for row in reversed(quarters):
        quarter = Quarter.parse(row.quarter)
        policy = quarter_policy(quarter)
        done = QuarterRun(engine, policy).run(quarter)
        if as_json:
            resumed.append({"kind": "quarter", **quarter_json(done, policy.stk_scale)})
        else:
            console.print(
                f"quarterly run {done.run_id}: {done.quarter} under {done.policy_version}, "
                f"stage [bold]{done.stage}[/]"
            )
    if as_json:
        print_json(resumed)


def _week_status(row: Any) -> dict[str, Any]:
    return {
        "kind": "week",
        "run": row.id,
        "week": row.week,
        "policy_version": row.policy_version,
        "policy_hash": row.policy_hash,
        "stage": row.stage,
        "scale": policy_for_week(IsoWeek.parse(row.week)).stk_scale,
        "emission_units": row.emission_units,
        "emission_factor_bps": row.emission_factor_bps,
        "budget_units": row.budget_units,
        "rewards_units": row.rewards_units,
        "prorata": row.prorata,
        "merkle_root": row.merkle_root,
        "started_at": us_to_iso(row.started_at_us),
    }


def _quarter_status(row: Any) -> dict[str, Any]:
    return {
        "kind": "quarter",
        "run": row.id,
        "quarter": row.quarter,
        "policy_version": row.policy_version,
        "policy_hash": row.policy_hash,
        "stage": row.stage,
        "started_at": us_to_iso(row.created_at_us),
    }


def deadlines_json(week_text: str, finished_us: dict[str, int]) -> list[dict[str, Any]]:
    """Each deadline stage of a weekly run: the policy's ``[schedule]`` key and Monday
    deadline, when the stage finished, and whether that was on time (ADR 0036)."""
    from systok.core.times import us_to_iso

    week = IsoWeek.parse(week_text)
    return [
        {
            "stage": d.stage,
            "key": d.key,
            "deadline": d.deadline.isoformat(),
            "finished_at": None if d.finished_at_us is None else us_to_iso(d.finished_at_us),
            "on_time": d.on_time,
        }
        for d in stage_deadlines(week, policy_for_week(week), finished_us, clock.now())
    ]


def _late_text(deadlines: list[dict[str, Any]]) -> str:
    late = [d["stage"] for d in deadlines if d["on_time"] is False]
    return "late: " + ", ".join(late) if late else "on time"


@run_app.command("status")
def run_status(
    limit: int = typer.Option(20, help="At most this many runs, newest first."),
    as_json: bool = JSON_OPTION,
) -> None:
    """The latest weekly and quarterly runs, newest first: period, policy, stage, a
    week's rewards and Merkle root, and each weekly stage against its Monday deadline
    from the policy's [schedule] (on time or late)."""
    engine = migrated_engine()
    week_rows = latest_runs(engine, limit)
    finished = stage_finishes(engine, [row.id for row in week_rows])
    weeks = [
        (
            row.started_at_us,
            {**_week_status(row), "deadlines": deadlines_json(row.week, finished[row.id])},
        )
        for row in week_rows
    ]
    quarters = [
        (row.created_at_us, _quarter_status(row)) for row in latest_quarter_runs(engine, limit)
    ]
    items: list[dict[str, Any]] = []
    while (weeks or quarters) and len(items) < limit:
        # Merge by start time; each kind keeps its own order (weeks: newest run id first).
        take = weeks if weeks and (not quarters or weeks[0][0] >= quarters[0][0]) else quarters
        items.append(take.pop(0)[1])
    if as_json:
        print_json(items)
        return
    table = Table("run", "period", "policy", "stage", "rewards STK", "schedule", "Merkle root")
    for item in items:
        rewards = item.get("rewards_units")
        table.add_row(
            f"{item['kind']} {item['run']}",
            item.get("week") or item["quarter"],
            item["policy_version"],
            item["stage"],
            "" if rewards is None else format_amount(rewards, item.get("scale", 6)),
            _late_text(item["deadlines"]) if "deadlines" in item else "",
            (item.get("merkle_root") or "")[:16],
        )
    console.print(table)


def settled_run(week_text: str) -> tuple[Engine, Any, Policy]:
    """The engine, the stored run of the week under its policy, and that policy."""
    week = parse_week(week_text)
    engine = migrated_engine()
    policy = policy_for_week(week)
    row = find_run(engine, week, policy)
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

    target = parse_week(week)
    engine = migrated_engine()
    policy = policy_for_week(target)
    if find_run(engine, target, policy) is None:
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
    """Print the week's rewards as CSV with the policy's reports.weekly_csv_columns."""
    engine, row, policy = settled_run(week)
    typer.echo(run_csv(engine, row, policy), nl=False)
