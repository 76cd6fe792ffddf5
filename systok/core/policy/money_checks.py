"""Semantic checks on amounts, splits, payees, emission dates and cross-references.

Like ``checks``, each reads the TOML data tolerantly and reports every problem it finds.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from systok.core.amount import STK, AmountError, parse_amount
from systok.core.ledger import AccountType
from systok.core.policy.canonical import decimal_text
from systok.core.policy.checks import (
    Problems,
    as_int,
    as_number,
    check_bps_sum,
    check_schedule,
    check_stabilisation,
    table,
)
from systok.core.policy.raw import SCALE_MAX


def check_amounts(data: dict[str, Any], problems: Problems) -> None:
    """STK amounts must be exact in base units; refers to the STK scale of the same file."""
    assets = table(data, "assets")
    if assets is None:
        return  # missing or not a table: pydantic reports it
    if STK not in assets:
        problems.add(("assets", STK), "the STK asset must be defined (its scale converts amounts)")
        return
    stk = assets[STK]
    scale = as_int(stk.get("scale")) if isinstance(stk, dict) else None
    if scale is None or not 0 <= scale <= SCALE_MAX:
        return
    places: list[tuple[tuple[str | int, ...], Any]] = []
    emission = table(data, "emission")
    if emission is not None:
        for key in ("yearly_amount", "total_supply", "first_quarter_amount", "amount_quantum"):
            if key in emission:
                places.append((("emission", key), emission[key]))
    fee = table(data, "transfer_fee")
    if fee is not None:
        places.extend((("transfer_fee", k), fee[k]) for k in ("min_fee", "max_fee") if k in fee)
    for service_id, service in (table(data, "services") or {}).items():
        if isinstance(service, dict) and "price" in service:
            places.append((("services", service_id, "price"), service["price"]))
    for path, value in places:
        number = as_number(value)
        if number is None:
            continue  # the type error is pydantic's to report
        try:
            parse_amount(decimal_text(number), scale)
        except AmountError as error:
            problems.add(path, f"not an exact STK amount at scale {scale}: {error}")


def check_splits(data: dict[str, Any], problems: Problems) -> None:
    split = table(data, "funds", "split")
    funds = table(data, "funds")
    if split is not None:
        shares = {
            name: as_int(fund.get("share_bps")) if isinstance(fund, dict) else None
            for name, fund in split.items()
        }
        check_bps_sum(shares, ("funds", "split"), problems)
        remainder_to = funds.get("remainder_to") if funds is not None else None
        if isinstance(remainder_to, str) and remainder_to not in split:
            problems.add(
                ("funds", "remainder_to"), f"{remainder_to!r} is not a fund in funds.split"
            )
    for service_id, service in (table(data, "services") or {}).items():
        if not isinstance(service, dict):
            continue
        service_split = service.get("split_bps")
        if isinstance(service_split, dict) and service_split:
            shares = {k: as_int(v) for k, v in service_split.items()}
            check_bps_sum(shares, ("services", service_id, "split_bps"), problems)
            remainder_to = service.get("remainder_to")
            if isinstance(remainder_to, str) and remainder_to not in service_split:
                problems.add(
                    ("services", service_id, "remainder_to"),
                    f"{remainder_to!r} is not a recipient in split_bps",
                )
        check_payees(service_id, service, problems)


PAYEE_TYPES_REFUSED = frozenset({"world", "hold:vesting", "hold:stake", "fund:vesting", "member"})
"""Account types a purchase may not pay into directly: issuance, holds (they are not
spendable accounts) and a member account without an owner."""


def check_payees(service_id: str, service: dict[str, Any], problems: Problems) -> None:
    """Every split role has exactly one payee, and each payee is a real account type."""
    split, payees = service.get("split_bps"), service.get("payees")
    if not isinstance(payees, dict):
        return  # missing or not a table: pydantic reports it
    if isinstance(split, dict):
        for role in sorted(set(split) - set(payees)):
            problems.add(("services", service_id, "payees"), f"no payee for the role {role!r}")
        for role in sorted(set(payees) - set(split)):
            problems.add(
                ("services", service_id, "payees", role), f"{role!r} is not a role in split_bps"
            )
    known = {t.value for t in AccountType}
    for role, target in payees.items():
        if not isinstance(target, str):
            continue
        account_type = "member" if target.startswith("member:") else target
        if account_type not in known or target in PAYEE_TYPES_REFUSED:
            problems.add(
                ("services", service_id, "payees", role),
                f"{target!r} cannot receive a purchase share; give a fund, escrow, fee, burn "
                "or member:<platform id>",
            )


def check_emission(data: dict[str, Any], problems: Problems) -> None:
    emission = table(data, "emission")
    if emission is None:
        return
    genesis = emission.get("genesis_date")
    if isinstance(genesis, str):
        try:
            genesis = date.fromisoformat(genesis)
        except ValueError:
            genesis = None
    if (
        emission.get("kind") == "halving"
        and isinstance(genesis, date)
        and genesis.isoweekday() != 1
    ):
        problems.add(
            ("emission", "genesis_date"),
            f"weekly emission must start on a Monday so periods are ISO weeks "
            f"({genesis.isoformat()} is not)",
        )
    if emission.get("kind") == "quarterly_decay":
        if isinstance(genesis, date) and (genesis.day != 1 or genesis.month not in (1, 4, 7, 10)):
            problems.add(
                ("emission", "genesis_date"),
                f"quarterly emission must start on the first day of a calendar quarter "
                f"({genesis.isoformat()} is not)",
            )
        total = as_number(emission.get("total_supply"))
        first = as_number(emission.get("first_quarter_amount"))
        if total is not None and first is not None:
            _not_above(
                first,
                total,
                ("emission", "first_quarter_amount"),
                f"must not exceed total_supply {decimal_text(total)} (got {decimal_text(first)})",
                problems,
            )


def _not_above(
    low: Decimal | int | None,
    high: Decimal | int | None,
    path: tuple[str, ...],
    reason: str,
    problems: Problems,
) -> None:
    """Report ``reason`` at ``path`` when both bounds are known and ``low`` exceeds ``high``."""
    if low is not None and high is not None and low > high:
        problems.add(path, reason)


def check_references(data: dict[str, Any], problems: Problems) -> None:
    """Cross-references between sections and simple orderings."""
    assets = table(data, "assets") or {}
    price = table(data, "price")
    quote = price.get("quote_asset") if price is not None else None
    if isinstance(quote, str) and assets and quote not in assets:
        problems.add(("price", "quote_asset"), f"{quote!r} is not in assets")
    fee = table(data, "transfer_fee")
    if fee is not None:
        low, high = as_number(fee.get("min_fee")), as_number(fee.get("max_fee"))
        _not_above(low, high, ("transfer_fee", "max_fee"), "must not be below min_fee", problems)
    sale = table(data, "initial_sale")
    if sale is not None:
        _not_above(
            as_int(sale.get("share_bps_min")),
            as_int(sale.get("share_bps_max")),
            ("initial_sale", "share_bps_max"),
            "must not be below share_bps_min",
            problems,
        )
    check_schedule(data, problems)
    check_stabilisation(data, problems)
