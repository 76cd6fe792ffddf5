"""The quarterly run's vest stage: each linear vesting schedule's tranche for the
quarter (SPEC §4, 001 §Эмиссия и распределение; ADR 0033).

Two kinds of grant vest by whole UTC days (``core.fund_vesting``):

- ``fund``: each emission's share of a fund with ``vesting_days > 0`` is minted into
  ``fund:vesting:<fund>@STK`` (``economy.emission``) and is one grant starting on the
  UTC day of its emission entry, over the fund's ``vesting_days``.
- ``sale``: each initial-sale purchase is minted into ``hold:vesting:<member>@STK``
  (``sale.service``) and is one grant starting on the UTC day of the purchase, over the
  sale's ``vesting_days`` (the policy's ``initial_sale.vesting_days`` when it opened).

For the quarter the stage sums, per grantee, what their grants started by the close
have vested by the quarter's last day, minus what the vest stages of earlier quarters
released to them (``core.fund_vesting.catch_up``, ADR 0041), and posts it as one
``vesting_tranche`` entry per grantee — locked account → the fund's own account, or
hold:vesting:<member> → member:<member> — keyed by (policy, quarter, kind, grantee), so
a stage that rolled back and runs again writes each entry once. When every quarter
runs this is each quarter's own slice; a skipped quarter's slice is released by the
next quarter that runs, so nothing stays locked for good. Supply is unchanged: tokens
move between accounts only.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy.orm import Session

from systok.core.amount import STK
from systok.core.fund_vesting import Grant, catch_up, fund_grant
from systok.core.ledger import (
    AccountRef,
    Posting,
    TransactionCode,
    TransactionDraft,
    member_account,
)
from systok.core.policy import Policy
from systok.core.quarters import Quarter
from systok.core.times import date_of_day, datetime_to_us, day_of_us
from systok.economy.emission import fund_account, locked_account
from systok.errors import QuarterError
from systok.ledger.service import Ledger
from systok.quarter import repository as repo
from systok.quarter.context import StageContext
from systok.quarter.schemas import Tranche
from systok.sale.service import vesting_account

FUND = "fund"
SALE = "sale"


def plan_tranches(session: Session, policy: Policy, quarter: Quarter, end_us: int) -> list[Tranche]:
    """Each grantee's positive tranche for ``quarter`` (vested to date minus released by
    earlier quarters), funds first, then by grantee.

    Raises:
        QuarterError: a locked fund account holds emission of a fund the policy lacks.
    """
    grants: dict[tuple[str, str], list[Grant]] = defaultdict(list)
    for fund, at_us, units in repo.fund_grants(session, STK, end_us):
        if fund not in policy.funds.split:
            raise QuarterError(
                f"fund:vesting:{fund}: holds emission of fund {fund!r}, which policy "
                f"{policy.version} does not split to; its schedule is unknown"
            )
        grants[(FUND, fund)].append(fund_grant(policy, fund, units, date_of_day(day_of_us(at_us))))
    for member_id, at_us, units, vesting_days in repo.sale_grants(session, end_us):
        grants[(SALE, member_id)].append(Grant(units, date_of_day(day_of_us(at_us)), vesting_days))
    earlier = repo.released_before(session, str(quarter))
    planned = []
    for (kind, grantee), held in sorted(grants.items()):
        released = catch_up(held, quarter, earlier.get((kind, grantee), 0))
        if released > 0:
            granted = sum(grant.units for grant in held)
            planned.append(Tranche(kind, grantee, len(held), granted, released))
    return planned


def tranche_accounts(policy: Policy, kind: str, grantee: str) -> tuple[AccountRef, AccountRef]:
    """(from, to) of a grantee's tranche: the locked account and the spendable one."""
    if kind == FUND:
        return locked_account(grantee), fund_account(policy, grantee)
    return vesting_account(grantee), member_account(grantee)


def tranche_key(policy: Policy, quarter: Quarter, kind: str, grantee: str) -> str:
    """The idempotency key of a grantee's tranche entry for the quarter."""
    return f"vesting-tranche:{policy.version}:{quarter}:{kind}:{grantee}"


def vest(ctx: StageContext) -> None:
    """Post each grantee's tranche for the quarter and store it."""
    ledger = Ledger(ctx.session, clock=ctx.clock)
    ledger.ensure_assets({code: asset.scale for code, asset in ctx.policy.assets.items()})
    stored = []
    for planned in plan_tranches(ctx.session, ctx.policy, ctx.quarter, ctx.end_us):
        source, target = tranche_accounts(ctx.policy, planned.kind, planned.grantee)
        units = planned.released_units
        entry = ledger.post(
            TransactionDraft(
                code=TransactionCode.VESTING_TRANCHE,
                idempotency_key=tranche_key(ctx.policy, ctx.quarter, planned.kind, planned.grantee),
                reference=f"vesting {ctx.quarter} {planned.kind} {planned.grantee}",
                postings=(Posting(source, -units), Posting(target, units)),
            )
        )
        stored.append(
            {
                "run_id": ctx.run.id,
                "kind": planned.kind,
                "grantee": planned.grantee,
                "grants": planned.grants,
                "granted_units": planned.granted_units,
                "released_units": units,
                "transaction_id": entry.transaction_id,
            }
        )
    repo.insert_vesting_releases(ctx.session, stored)


def stored_tranches(session: Session, run_id: int) -> list[Tranche]:
    """A run's stored tranches, funds first, then by grantee."""
    return [
        Tranche(r.kind, r.grantee, r.grants, r.granted_units, r.released_units, r.transaction_id)
        for r in repo.run_vesting_releases(session, run_id)
    ]


def verify_tranches(session: Session, policy: Policy, quarter: Quarter, run_id: int) -> list[str]:
    """Each difference between the stored tranches and the ones the ledger's grants
    give, and each tranche whose entry is not the stored amount between its accounts."""
    expected = {
        (t.kind, t.grantee): t
        for t in plan_tranches(session, policy, quarter, datetime_to_us(quarter.end))
    }
    stored = {(t.kind, t.grantee): t for t in stored_tranches(session, run_id)}
    differences = []
    for key in sorted(set(expected) | set(stored)):
        name = f"vesting {key[0]} {key[1]}"
        want, got = expected.get(key), stored.get(key)
        if got is None:
            assert want is not None
            differences.append(f"{name}: {want.released_units} units due, nothing recorded")
            continue
        if want is None:
            differences.append(f"{name}: released {got.released_units} units, none due")
            continue
        for field in ("grants", "granted_units", "released_units"):
            if getattr(got, field) != getattr(want, field):
                differences.append(
                    f"{name}: {field} is {getattr(got, field)}, the grants give "
                    f"{getattr(want, field)}"
                )
    ids = [t.transaction_id for t in stored.values() if t.transaction_id is not None]
    entries = repo.entry_postings(session, ids)
    for (kind, grantee), got in sorted(stored.items()):
        source, target = tranche_accounts(policy, kind, grantee)
        want_postings = {
            _posting_name(source): -got.released_units,
            _posting_name(target): got.released_units,
        }
        entry = entries.get(int(got.transaction_id or 0))
        if entry is None:
            differences.append(f"vesting {kind} {grantee}: entry {got.transaction_id} is missing")
        elif (
            entry["code"] != TransactionCode.VESTING_TRANCHE.value
            or entry["postings"] != want_postings
        ):
            differences.append(
                f"vesting {kind} {grantee}: entry {got.transaction_id} posts {entry['code']} "
                f"{dict(sorted(entry['postings'].items()))}, the run recorded "
                f"{dict(sorted(want_postings.items()))}"
            )
    return differences


def _posting_name(ref: AccountRef) -> str:
    """An account as ``repository.entry_postings`` names it (no asset)."""
    return f"{ref.type.value}:{ref.owner}" if ref.owner else ref.type.value
