"""``systok health``: the economy's health readings of a closed week or quarter (ADR 0028)."""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from systok.cli.context import migrated_engine
from systok.cli.output import JSON_OPTION, make_console, print_json

console = make_console()


def health_document(found: Any, policy: Any) -> dict[str, Any]:
    """A period's readings as ``--json`` prints them (docs/cli-json.md)."""
    from systok.core.health import fraction_text
    from systok.core.times import us_to_iso
    from systok.health.service import bounds_of

    return {
        "period": str(found.period),
        "period_kind": found.period.kind,
        "computed_now": found.computed_now,
        "readings": [
            {
                "metric": r.metric,
                "unit": r.unit,
                "numerator": None if r.value is None else r.value.numerator,
                "denominator": None if r.value is None else r.value.denominator,
                "value": None if r.value is None else fraction_text(r.value),
                "status": r.status.value,
                **bounds_of(policy, r.metric),
                "policy_version": r.policy_version,
                "computed_at": us_to_iso(r.computed_at_us),
            }
            for r in found.readings
        ],
    }


HISTORY_WEEKS_MAX = 520
"""At most ten years of weeks in one ``--history`` listing."""


def _history(limit: int, as_json: bool) -> None:
    """``--history``: the stored weekly readings, newest first (ADR 0036)."""
    from systok.db.engine import run_transaction
    from systok.errors import HealthPeriodInvalid
    from systok.health.service import period_policy, weekly_history

    if not 1 <= limit <= HISTORY_WEEKS_MAX:
        raise HealthPeriodInvalid(f"--limit: must be 1..{HISTORY_WEEKS_MAX}, got {limit}")
    engine = migrated_engine()
    weeks = run_transaction(engine, lambda s: weekly_history(s, limit))
    documents = [health_document(found, period_policy(found.period)) for found in weeks]
    if as_json:
        print_json(documents)
        return
    table = Table("week", *(r.metric for r in weeks[0].readings) if weeks else ())
    for document in documents:
        table.add_row(
            document["period"],
            *(f"{r['value'] or '—'} {r['status']}" for r in document["readings"]),
        )
    console.print(table if weeks else "no weekly health readings are stored yet")


def health_command(
    week: str | None = typer.Option(None, "--week", help="An ISO week, e.g. 2026-W05."),
    quarter: str | None = typer.Option(None, "--quarter", help="A quarter, e.g. 2026-Q3."),
    history: bool = typer.Option(
        False, "--history", help="List the stored weekly readings, newest week first."
    ),
    limit: int = typer.Option(52, "--limit", help="With --history: at most this many weeks."),
    as_json: bool = JSON_OPTION,
) -> None:
    """The six health metrics of a closed period, rated by its policy; default the last
    closed week. Computed from the ledger and stored the first time (each weekly run
    stores its week's); stored readings are shown as they are. ``--history`` lists the
    stored weeks."""
    from systok.clock import now, now_us
    from systok.db.engine import run_transaction
    from systok.errors import HealthPeriodInvalid
    from systok.health.service import last_closed_week, parse_period, period_health, period_policy

    if history:
        if week is not None or quarter is not None:
            raise HealthPeriodInvalid(
                "--history: lists every stored week; give no --week or --quarter"
            )
        _history(limit, as_json)
        return
    if week is not None and quarter is not None:
        raise HealthPeriodInvalid("period: give --week or --quarter, not both")
    text = week if week is not None else quarter
    period = parse_period(text) if text is not None else last_closed_week(now())
    if week is not None and period.kind != "week":
        raise HealthPeriodInvalid(f"--week: {week!r} is not an ISO week like 2026-W05")
    if quarter is not None and period.kind != "quarter":
        raise HealthPeriodInvalid(f"--quarter: {quarter!r} is not a quarter like 2026-Q3")
    policy = period_policy(period)
    engine = migrated_engine()
    found = run_transaction(engine, lambda s: period_health(s, policy, period, now_us=now_us()))
    document = health_document(found, policy)
    if as_json:
        print_json(document)
        return
    table = Table("metric", "value", "unit", "target", "critical", "status")
    for r in document["readings"]:
        target = f"{r['target_min'] or '…'} – {r['target_max'] or '…'}"
        critical = f"< {r['critical_below'] or '…'} or > {r['critical_above'] or '…'}"
        table.add_row(r["metric"], r["value"] or "—", r["unit"], target, critical, r["status"])
    state = "computed now" if found.computed_now else "stored"
    console.print(f"health of {period} ({state}, policy {policy.version})")
    console.print(table)
