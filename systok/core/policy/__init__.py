"""Policy files: every economic number, parsed into a frozen, typed, hashed ``Policy``.

"Policy is data, code is mechanism": weights, limits, coefficients, periods, rates,
splits and thresholds live in a versioned TOML file (``policies/*.toml``), never in
code. This package turns the *text* of such a file into a ``Policy``; it reads no files
(``systok.policy_files`` is the I/O edge), so the simulator and tests use exactly the
same parser as the weekly run.

One module per concern:

- ``raw``: the pydantic model mirroring the file (``extra="forbid"``: an unknown or
  misspelt key is a problem, not silently ignored); ``tomllib`` parses floats as
  ``Decimal``, so ``1.5`` is exact.
- ``model``, ``scoring``, ``emission``: the frozen domain model the rest of the code
  uses, amounts in base units of the policy's own STK scale.
- ``checks``, ``money_checks``: the semantic and cross-reference checks (shares summing
  to 10 000 bps, contiguous levels, increasing coefficients, sorted slashing tiers,
  known event types, …), reported together with pydantic's type and range errors, so
  a refused file raises ``PolicyInvalid`` listing *every* problem at once.
- ``messages``: pydantic errors in policy-author terms.
- ``canonical``: the canonical JSON the ``content_hash`` (SHA-256) is computed over, and
  the key-by-key diff. Comments, whitespace, key order and ``1.10`` vs ``1.1`` do not
  change the hash; any number that changes the economy does.
- ``status``: which sections are declared in the file but not yet enforced by code.
- ``parse``: text → ``Policy``.
"""

from systok.core.policy.canonical import PolicyChange, canonical_json, policy_diff
from systok.core.policy.emission import Emission, HalvingEmission, QuarterlyDecayEmission
from systok.core.policy.model import (
    Asset,
    Backing,
    Conversion,
    DirectivePrice,
    Eligibility,
    EventRule,
    Fund,
    Funds,
    HealthMetric,
    Ingestion,
    InitialSale,
    Policy,
    Reports,
    Schedule,
    Service,
    Slashing,
    SlashingTier,
    StabilisationRule,
    TransferFee,
    Transfers,
    Vesting,
    VestingRule,
)
from systok.core.policy.parse import parse_policy
from systok.core.policy.scoring import (
    ConsistencyStep,
    QualificationLevel,
    RankLadder,
    RankLevel,
    Scoring,
    WeightedDailyCaps,
)

__all__ = [
    "Asset",
    "Backing",
    "ConsistencyStep",
    "Conversion",
    "DirectivePrice",
    "Eligibility",
    "Emission",
    "EventRule",
    "Fund",
    "Funds",
    "HalvingEmission",
    "HealthMetric",
    "Ingestion",
    "InitialSale",
    "Policy",
    "PolicyChange",
    "QualificationLevel",
    "QuarterlyDecayEmission",
    "RankLadder",
    "RankLevel",
    "Reports",
    "Schedule",
    "Scoring",
    "Service",
    "Slashing",
    "SlashingTier",
    "StabilisationRule",
    "TransferFee",
    "Transfers",
    "Vesting",
    "VestingRule",
    "WeightedDailyCaps",
    "canonical_json",
    "parse_policy",
    "policy_diff",
]
