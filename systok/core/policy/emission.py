"""The two emission schedules a policy can choose, tagged by ``kind`` (amounts in base units)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Literal


@dataclass(frozen=True, slots=True)
class HalvingEmission:
    """Seed 002: ``yearly_amount`` STK a year, halved every ``halving_interval_years``.

    Minted every ``period`` (a week: 7 × the daily amount). The daily amount is
    ``floor(yearly / 2**halvings / days_per_year)`` rounded down to ``amount_quantum``;
    the rounding remainder is simply never minted. Amounts are base units.
    """

    kind: Literal["halving"]
    genesis_date: date
    period: Literal["week"]
    yearly_amount: int
    halving_interval_years: int
    days_per_year: int
    amount_quantum: int
    rounding: Literal["floor"]

    def daily_amount(self, year_index: int) -> int:
        """Base units minted per day in year ``year_index`` (0 = the genesis year)."""
        if year_index < 0:
            raise ValueError("year_index must be ≥ 0")
        halvings = year_index // self.halving_interval_years
        divisor = (1 << halvings) * self.days_per_year * self.amount_quantum
        return self.yearly_amount // divisor * self.amount_quantum

    def week_amount(self, year_index: int) -> int:
        """Base units minted per weekly period in year ``year_index``."""
        return 7 * self.daily_amount(year_index)


@dataclass(frozen=True, slots=True)
class QuarterlyDecayEmission:
    """Seed 001: a fixed cap, each quarter minting ``remaining × first / total``.

    With 21 000 000 and 500 000 the ratio between quarters is 41/42. Amounts are floored
    to ``amount_quantum``; once that floor is zero each quarter mints one quantum (or
    what is left) — ``tail = "emit_quantum"`` — so amounts never rise ("smoothly
    decreasing" [001]) and the series sums to ``total_supply`` exactly.
    """

    kind: Literal["quarterly_decay"]
    genesis_date: date
    period: Literal["quarter"]
    total_supply: int
    first_quarter_amount: int
    amount_quantum: int
    rounding: Literal["floor"]
    tail: Literal["emit_quantum"]

    def quarter_amount(self, remaining: int) -> int:
        """Base units minted in a quarter that starts with ``remaining`` unminted units."""
        if remaining < 0:
            raise ValueError("remaining must be ≥ 0")
        exact_floor = remaining * self.first_quarter_amount // self.total_supply
        amount = exact_floor // self.amount_quantum * self.amount_quantum
        return amount if amount > 0 else min(self.amount_quantum, remaining)

    def quarter_amounts(self) -> Iterator[int]:
        """Every quarter's amount from genesis until the cap is reached."""
        remaining = self.total_supply
        while remaining > 0:
            amount = self.quarter_amount(remaining)
            remaining -= amount
            yield amount


Emission = HalvingEmission | QuarterlyDecayEmission
"""The emission schedule, tagged by ``kind``."""
