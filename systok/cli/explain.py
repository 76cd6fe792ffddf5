"""``systok explain``: why a member got exactly this many tokens in a week."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from systok.accrual.explain import breakdown, explain_member, level_multipliers
from systok.accrual.score import points_text
from systok.cli.output import JSON_OPTION, make_console, print_json
from systok.cli.run import settled_run
from systok.core.amount import format_amount
from systok.core.policy import Policy
from systok.errors import RunError

console = make_console()


def explain(
    member: str = typer.Argument(..., help="Platform member id."),
    week: str = typer.Argument(..., help="ISO week, e.g. 2026-W05."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Why a member got exactly this many tokens in a week: each day's level and
    multiplier, each event type's count, cap and points, and when frozen parts unlock."""
    engine, row, policy = settled_run(week)
    explained, vesting = explain_member(engine, policy, row, member)
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
                "scored_by": reward.scored_by,
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
