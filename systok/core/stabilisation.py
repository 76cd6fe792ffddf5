"""Stabilisation triggers: which of the policy's rules fire on a period's numbers
[002 §Механизмы стабилизации, SPEC §9].

Each ``[stabilisation.<name>]`` rule watches one metric — a health metric (in the unit
the policy's ``[health.<metric>]`` gives it, the value ``health.assess`` reports) or
``price_change`` — and has exactly one threshold:

- ``trigger_below``: fires when the value is **strictly** below it;
- ``trigger_above``: fires when the value is **strictly** above it.

"Buyback when the price falls by more than 20 %" is ``price_change < −20``: a fall of
exactly 20 % does not fire, 20.01 % does. The strict rule matches the health rating,
where a value equal to a critical bound is not critical.

``price_change`` is the quarter-over-quarter change of the directive price in percent:
``(current − previous) / previous × 100``, exact, from prices in the quote asset's minor
units (kopecks). It has no value without a previous price or when the previous price is
not positive.

Nothing fires on a missing input: a rule whose metric has no value (undefined for the
period, or not given) is listed as *unevaluated*, with the reason, never as a proposal.
A rule that fires yields a ``Proposal``: what to do (``action``, ``step_bps``) and the
numbers that fired it. Whether it only proposes or executes is the rule's ``automatic``
flag, carried on the proposal for the caller to honour.

Pure: standard library and ``systok.core`` only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from systok.core.health import PERCENT, Reading
from systok.core.policy.model import Policy, StabilisationRule

__all__ = [
    "PRICE_CHANGE",
    "Direction",
    "Proposal",
    "Stabilisation",
    "Unevaluated",
    "evaluate",
    "metric_values",
    "price_change_percent",
    "stabilise",
]

PRICE_CHANGE = "price_change"
"""The one trigger metric that is not a health metric (always in percent)."""


class Direction(StrEnum):
    """Which side of its threshold fires a rule."""

    BELOW = "below"
    ABOVE = "above"


@dataclass(frozen=True, slots=True)
class Proposal:
    """A rule that fired: what it proposes and the numbers that fired it.

    Attributes:
        rule: the rule's name (``buyback``, ``burn``, …).
        metric: the metric it watches.
        value: the metric's value for the period, exact, in the metric's unit.
        direction: ``below`` or ``above`` the threshold.
        threshold: the policy's ``trigger_below`` / ``trigger_above``.
        action: the policy's text of what to do.
        step_bps: how large a step to take (None when the rule names none).
        automatic: whether the policy lets it execute without an admin's approval.
    """

    rule: str
    metric: str
    value: Fraction
    direction: Direction
    threshold: Decimal
    action: str
    step_bps: int | None
    automatic: bool


@dataclass(frozen=True, slots=True)
class Unevaluated:
    """A rule that could not be evaluated, and why (its metric has no value)."""

    rule: str
    metric: str
    reason: str


@dataclass(frozen=True, slots=True)
class Stabilisation:
    """Every rule of the policy, evaluated: the proposals (fired), in rule-name order,
    and the rules left unevaluated for a missing input. Rules that neither fired nor
    lack an input are quiet and not listed."""

    proposals: tuple[Proposal, ...]
    unevaluated: tuple[Unevaluated, ...]


def price_change_percent(previous_units: int | None, current_units: int | None) -> Fraction | None:
    """``(current − previous) / previous × 100``, exact; None without both prices or when
    the previous price is not positive (a change from nothing has no percentage)."""
    if previous_units is None or current_units is None or previous_units <= 0:
        return None
    return Fraction((current_units - previous_units) * PERCENT, previous_units)


def metric_values(
    readings: Iterable[Reading], price_change: Fraction | None
) -> Mapping[str, Fraction | None]:
    """The trigger inputs: each health reading's value (in its unit) and ``price_change``."""
    values: dict[str, Fraction | None] = {r.metric: r.value for r in readings}
    values[PRICE_CHANGE] = price_change
    return values


def _fires(value: Fraction, rule: StabilisationRule) -> tuple[Direction, Decimal] | None:
    if rule.trigger_below is not None and value < Fraction(rule.trigger_below):
        return Direction.BELOW, rule.trigger_below
    if rule.trigger_above is not None and value > Fraction(rule.trigger_above):
        return Direction.ABOVE, rule.trigger_above
    return None


def evaluate(
    rules: Mapping[str, StabilisationRule], values: Mapping[str, Fraction | None]
) -> Stabilisation:
    """Evaluate every rule against ``values`` (metric → value in its unit, None if none).

    Rules are taken in name order, so the same numbers always give the same tuple.
    """
    proposals: list[Proposal] = []
    unevaluated: list[Unevaluated] = []
    for name in sorted(rules):
        rule = rules[name]
        value = values.get(rule.metric)
        if value is None:
            reason = (
                "no value for this period" if rule.metric in values else "the metric was not given"
            )
            unevaluated.append(Unevaluated(name, rule.metric, reason))
            continue
        fired = _fires(value, rule)
        if fired is not None:
            direction, threshold = fired
            proposals.append(
                Proposal(
                    rule=name,
                    metric=rule.metric,
                    value=value,
                    direction=direction,
                    threshold=threshold,
                    action=rule.action,
                    step_bps=rule.step_bps,
                    automatic=rule.automatic,
                )
            )
    return Stabilisation(tuple(proposals), tuple(unevaluated))


def stabilise(
    policy: Policy,
    readings: Iterable[Reading],
    *,
    previous_price_units: int | None,
    current_price_units: int | None,
) -> Stabilisation:
    """Every ``[stabilisation]`` rule of the policy on a period's health readings and the
    directive price of the previous and the current quarter (minor units; None when
    there is none yet, e.g. the first priced quarter)."""
    change = price_change_percent(previous_price_units, current_price_units)
    return evaluate(policy.stabilisation, metric_values(readings, change))
