"""The quarterly report of 2026-Q1 on ``tests.quarter.health_world``, worked out by hand.

The ledger (see that module's docstring): before the quarter emission gave a 3 000,
b 2 000, c 1 000, ``fund:treasury`` 2 000, ``pool:rewards`` 2 000 (issued 10 000) and
500 of c's are on hold (escrow). In the quarter, on 2026-02-01: emission 400 to
``pool:rewards``, 100 burned from the treasury, b → a transfer of 1 000 (fee 10),
a buys for 200, the pool rewards d 300. The quarterly run (stk-2025-12) runs on
2026-04-02.

| field | computation | value |
|---|---|---|
| emission_units | Σ ``emission`` credits in [2026-01-01, 2026-04-01): 400 | 400 |
| emission_by_account | pool:rewards 400 (no fund was credited in the quarter) | [pool:rewards 400] |
| burned_units | burn at the close 100 − at the start 0 | 100 |
| supply_units | issued 10 400 − burned 100 (``supply_of``) | 10 300 |
| circulating_units | members posted 6 090 − held 500 (``supply_of``) | 5 590 |
| frozen_units | pending holds at the close: c's escrow | 500 |
| holders | members with custodial balance > 0: a 3 800, b 990, c 1 000, d 300 | 4 |
| top_holders | 3 800, 1 000, 990, 300 of 6 090; share floor(x·10 000 / 6 090) | 6239, 1642, 1625, 492 bps |
| gini | (2·20 480 − 5·6 090) / (4·6 090) = 1051/2436, floored | 0.431444 |
| transaction_volume_units | Σ transfer credits to members: a +1 000 (not the fee, not the purchase) | 1 000 |
| rewards_units / rewarded_members | ``reward`` credits to members: d 300 | 300 / 1 |
| average_reward_units | floor(300 / 1) | 300 |
| active_wallets | stored reading: 3 of 4 holders active | 75 % ok |
| inflation | stored reading: (400 − 100) / 10 000 × 4 | 12 % critical |
| velocity | stored reading: 1 200 / 5 545 × 4 / 4 | 240/1109 warning |
| treasury | stored reading: 2 100 / 10 300 | 2100/103 % ok |
| redistribution | c inactive since 2025-01-01 (455 days at the close: tier ≥ 365 days, 15 %); reachable 1 000 − 500 held = 500; floor(500 × 1 500 / 10 000) = 75; a, b, d active (0 %), no one in the warn tier; no own wallets | members 4, redistributed 1, due 75, moved 75, warnings 0, out of reach 0 |
| vesting | no fund vests in this world (every credit went straight to its account) and no sale: nothing released | funds [], sale 0 members, 0 |
| price | no backing inflows: backing 0 over issued 10 400 at the close → 0 RUB | 0 |
| lorenz | cumulative ascending balances 300, 990, 1 000, 3 800: every holder (4 ≤ 100 segments) | (0, 0) (1, 300) (2, 1 290) (3, 2 290) (4, 6 090) |
| bounds | stk-2025-12's ``[health.*]``: active ≥ 30 / < 10 critical; inflation ≤ 5 / > 10; velocity 0.5–2.0 / < 0.2 or > 5; treasury ≥ 15 / < 5 | as text |
| history | first entry 2025-12-01 → 2025-Q4 (supply 10 000, no price) and 2026-Q1 (10 300, price 0) | 2 quarters |

Before the run, the same figures from the ledger, and health, redistribution, vesting and
price are null and named in ``missing``.
"""

from __future__ import annotations

from typing import Any

GOLDEN: dict[str, Any] = {
    "quarter": "2026-Q1",
    "start": "2026-01-01T00:00:00.000000Z",
    "close": "2026-04-01T00:00:00.000000Z",
    "policy_version": "stk-2025-12",
    "asset": "STK",
    "scale": 6,
    "quote_asset": "RUB",
    "quote_scale": 2,
    "emission_units": 400,
    "emission_by_account": [{"account": "pool:rewards", "units": 400}],
    "burned_units": 100,
    "supply_units": 10_300,
    "circulating_units": 5_590,
    "frozen_units": 500,
    "holders": 4,
    "top_holders": [
        {"rank": 1, "units": 3_800, "share_bps": 6_239},
        {"rank": 2, "units": 1_000, "share_bps": 1_642},
        {"rank": 3, "units": 990, "share_bps": 1_625},
        {"rank": 4, "units": 300, "share_bps": 492},
    ],
    "gini": "0.431444",
    "lorenz": [
        {"holders": 0, "units": 0},
        {"holders": 1, "units": 300},
        {"holders": 2, "units": 1_290},
        {"holders": 3, "units": 2_290},
        {"holders": 4, "units": 6_090},
    ],
    "transaction_volume_units": 1_000,
    "rewards_units": 300,
    "rewarded_members": 1,
    "average_reward_units": 300,
    "active_wallets": {
        "value": "75.000000",
        "numerator": 75,
        "denominator": 1,
        "unit": "percent",
        "status": "ok",
        "target_min": "30",
        "target_max": None,
        "critical_below": "10",
        "critical_above": None,
    },
    "inflation": {
        "value": "12.000000",
        "numerator": 12,
        "denominator": 1,
        "unit": "percent",
        "status": "critical",
        "target_min": None,
        "target_max": "5",
        "critical_below": None,
        "critical_above": "10",
    },
    "velocity": {
        "value": "0.216411",
        "numerator": 240,
        "denominator": 1109,
        "unit": "ratio",
        "status": "warning",
        "target_min": "0.5",
        "target_max": "2.0",
        "critical_below": "0.2",
        "critical_above": "5",
    },
    "treasury": {
        "value": "20.388349",
        "numerator": 2100,
        "denominator": 103,
        "unit": "percent",
        "status": "ok",
        "target_min": "15",
        "target_max": None,
        "critical_below": "5",
        "critical_above": None,
    },
    "redistribution": {
        "members": 4,
        "redistributed_members": 1,
        "due_units": 75,
        "moved_units": 75,
        "warnings": 0,
        "out_of_reach_units": 0,
    },
    "vesting": {"funds": [], "sale_members": 0, "sale_units": 0},
    "price": {
        "quote_asset": "RUB",
        "price_units": 0,
        "backing_units": 0,
        "issued_units": 10_400,
        "inputs": {
            "counted_this_quarter_units": 0,
            "inflows": {},
            "one_off_spread_quarters": 4,
            "outflows_to_date_units": 0,
            "stk_scale": 6,
            "subscription_share_bps": 5000,
        },
        "policy_version": "stk-2025-12",
        "set_at": "2026-04-02T12:00:00.000000Z",
        "backing_by_asset": [],  # no inflow was recorded
    },
    "history": [
        {"quarter": "2025-Q4", "supply_units": 10_000, "price_units": None},
        {"quarter": "2026-Q1", "supply_units": 10_300, "price_units": 0},
    ],
    "missing": [],
}
STORED_BY_THE_RUN = (
    "active_wallets",
    "inflation",
    "velocity",
    "treasury",
    "redistribution",
    "vesting",
    "price",
)


def names_no_member(document: Any, member_ids: set[str]) -> None:
    """Assert that no key or string anywhere in ``document`` is or names a member."""
    if isinstance(document, dict):
        for key, value in document.items():
            assert "member_id" not in key and key not in ("member", "owner", "id"), key
            names_no_member(value, member_ids)
    elif isinstance(document, list):
        for value in document:
            names_no_member(value, member_ids)
    elif isinstance(document, str):
        assert document not in member_ids, document
        for member_id in member_ids:
            assert len(member_id) < 2 or member_id not in document, (member_id, document)
