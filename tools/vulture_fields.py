"""Data names vulture cannot see read: kept as data, not dead code.

Generated with ``vulture --make-whitelist`` and reviewed: pydantic fields and
``model_config`` read by pydantic and FastAPI; dataclass fields rendered as JSON;
ORM columns; enum members stored in the database or named by the policy's
vocabulary (codes and reasons the quarterly economy and staking will post); context
attributes set for their side effect (``prec``, ``isolation_level``); and the
parameters of ``__exit__`` and pydantic-settings hooks that their protocols fix.
Functions, methods and classes are never listed here: dead ones are removed.
"""

model_config  # unused variable (systok/api/routes/wallets.py:71)
model_config  # unused variable (systok/api/routes/wallets.py:80)
expires_at  # unused variable (systok/api/routes/wallets.py:108)
model_config  # unused variable (systok/api/routes/wallets.py:114)
linked_at  # unused variable (systok/api/routes/wallets.py:135)
linked_at  # unused variable (systok/api/routes/wallets.py:144)
model_config  # unused variable (systok/api/schemas.py:50)
staked  # unused variable (systok/api/schemas.py:97)
closing  # unused variable (systok/api/schemas.py:120)
next_cursor  # unused variable (systok/api/schemas.py:141)
model_config  # unused variable (systok/api/schemas.py:150)
debited  # unused variable (systok/api/schemas.py:165)
amount_after  # unused variable (systok/api/schemas.py:201)
payee  # unused variable (systok/api/schemas.py:233)
starts_at  # unused variable (systok/api/schemas.py:261)
ends_at  # unused variable (systok/api/schemas.py:262)
circulating  # unused variable (systok/api/schemas.py:306)
median  # unused variable (systok/api/schemas.py:335)
p90  # unused variable (systok/api/schemas.py:336)
p99  # unused variable (systok/api/schemas.py:337)
model_config  # unused variable (systok/config.py:64)
file_secret_settings  # unused variable (systok/config.py:73)
FUND_TREASURY  # unused variable (systok/core/ledger.py:56)
FUND_STARTUP  # unused variable (systok/core/ledger.py:58)
FUND_TEAM  # unused variable (systok/core/ledger.py:60)
FUND_LIQUIDITY  # unused variable (systok/core/ledger.py:62)
HOLD_VESTING  # unused variable (systok/core/ledger.py:64)
HOLD_STAKE  # unused variable (systok/core/ledger.py:66)
FEE  # unused variable (systok/core/ledger.py:70)
VESTING_RELEASE  # unused variable (systok/core/ledger.py:85)
VESTING_CANCEL  # unused variable (systok/core/ledger.py:86)
SLASH  # unused variable (systok/core/ledger.py:87)
FEE  # unused variable (systok/core/ledger.py:89)
STAKE  # unused variable (systok/core/ledger.py:91)
UNSTAKE  # unused variable (systok/core/ledger.py:92)
DEPOSIT  # unused variable (systok/core/ledger.py:95)
CORRECTION  # unused variable (systok/core/ledger.py:97)
model_config  # unused variable (systok/core/policy/raw.py:26)
_.prec  # unused attribute (systok/core/scoring/table.py:96)
ineligible_reason  # unused variable (systok/core/scoring/types.py:74)
cap_points  # unused variable (systok/core/scoring/types.py:113)
steps_above_base  # unused variable (systok/core/scoring/types.py:186)
multiplier_floored  # unused variable (systok/core/scoring/types.py:189)
carried  # unused variable (systok/core/scoring/types.py:211)
started_at_base  # unused variable (systok/core/scoring/types.py:212)
raised_to_qualification  # unused variable (systok/core/scoring/types.py:213)
capped_events  # unused variable (systok/core/scoring/types.py:254)
ineligible_events  # unused variable (systok/core/scoring/types.py:255)
remainder_units  # unused variable (systok/core/scoring/types.py:263)
REFERRED_MEMBER_INACTIVE  # unused variable (systok/core/vesting.py:52)
WORK_FLAGGED  # unused variable (systok/core/vesting.py:54)
RESULT_NOT_VALIDATED  # unused variable (systok/core/vesting.py:56)
FRAUD  # unused variable (systok/core/vesting.py:58)
EVENT_REVERSED  # unused variable (systok/core/vesting.py:60)
to_account  # unused variable (systok/core/vesting.py:123)
to_account  # unused variable (systok/core/vesting.py:139)
_.isolation_level  # unused attribute (systok/db/engine.py:110)
metadata  # unused variable (systok/db/tables.py:47)
resolved_at_us  # unused variable (systok/db/tables.py:540)
issued_at_us  # unused variable (systok/db/tables.py:566)
frozen_at_us  # unused variable (systok/db/tables.py:710)
traceback  # unused variable (systok/ingest/http.py:76)
model_config  # unused variable (systok/ingest/schemas.py:61)
model_config  # unused variable (systok/ingest/schemas.py:158)
model_config  # unused variable (systok/ingest/schemas.py:164)
model_config  # unused variable (systok/ingest/schemas.py:198)
model_config  # unused variable (systok/ingest/sources/platform.py:77)
model_config  # unused variable (systok/ingest/sources/platform.py:86)
model_config  # unused variable (systok/ingest/sources/platform.py:95)
PORTABLE  # unused variable (systok/ledger/schemas.py:16)
flags  # unused variable (systok/ledger/sql/__init__.py:60)
error_object  # unused variable (systok/payout/embedded.py:57)
counted_to_date  # unused variable (systok/api/routes/backing.py:64)
recorded_at  # unused variable (systok/api/routes/backing.py:66)
INVESTOR_SALE  # unused variable (systok/core/price.py:37): an inflow kind stored in backing_inflows
GRANT  # unused variable (systok/core/price.py:38): an inflow kind stored in backing_inflows
STARTUP_SHARE  # unused variable (systok/core/price.py:39): an inflow kind stored in backing_inflows
computed_at  # unused variable (systok/api/routes/stats.py:115)
out_of_reach_units  # unused variable (systok/reports/schemas.py:53): a field of the public quarterly report (JSON)
set_at  # unused variable (systok/reports/schemas.py:68): a field of the public quarterly report (JSON)
emission_by_account  # unused variable (systok/reports/schemas.py:83): a field of the public quarterly report (JSON)
rewarded_members  # unused variable (systok/reports/schemas.py:93): a field of the public quarterly report (JSON)
average_reward_units  # unused variable (systok/reports/schemas.py:94): a field of the public quarterly report (JSON)
active_wallets  # unused variable (systok/reports/schemas.py:95): a field of the public quarterly report (JSON)
inflation  # unused variable (systok/reports/schemas.py:96): a field of the public quarterly report (JSON)
velocity  # unused variable (systok/reports/schemas.py:97): a field of the public quarterly report (JSON)
treasury  # unused variable (systok/reports/schemas.py:98): a field of the public quarterly report (JSON)
redistribution  # unused variable (systok/reports/schemas.py:99): a field of the public quarterly report (JSON)
sale_members  # unused variable (systok/reports/schemas.py:71): a field of the public quarterly report (JSON)
sale_units  # unused variable (systok/reports/schemas.py:72): a field of the public quarterly report (JSON)
effective_quarter  # unused variable (systok/api/routes/stabilisation.py:48)
decided_at  # unused variable (systok/api/routes/stabilisation.py:50)
WEEKLY_REWARD  # unused variable (systok/notify/schemas.py:13) - a template kind; opt-outs name it
VESTING_RELEASED  # unused variable (systok/notify/schemas.py:14) - a template kind
VESTING_CANCELLED  # unused variable (systok/notify/schemas.py:15) - a template kind
EN  # unused variable (systok/notify/schemas.py:34) - a profile's language, stored
average_price  # unused variable (systok/api/routes/backing.py): a field of GET price/quote
marginal_price  # unused variable (systok/api/routes/backing.py): a field of GET price/quote
directive_price  # unused variable (systok/api/routes/backing.py): a field of GET price/quote
by_asset  # unused variable (systok/api/routes/backing.py): a field of GET backing
backing_by_asset  # unused variable (systok/reports/schemas.py): a field of the quarterly report (JSON)
