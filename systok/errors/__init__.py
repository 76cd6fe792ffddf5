"""One error tree for the whole service.

Every failure a user can cause is a ``SystokError`` subclass. Each class carries the
HTTP status and the CLI exit code it maps to, so the API and the CLI render errors in
one place each and never show a traceback for a user mistake. Impossible states are
``assert``s, not errors: they mean a bug, not bad input.

The tree is one hierarchy rooted at ``SystokError``, kept in one module per domain and
re-exported here, so callers import every error from ``systok.errors``. The payout
package keeps its branch (``PayoutError``, ``WalletError``) next to its adapters in
``systok.payout.errors``.
"""

from systok.errors.backing import (
    BackingError,
    InflowConflict,
    InflowInvalid,
    PriceUnavailable,
    QuarterAlreadyPriced,
)
from systok.errors.callers import (
    ApiKeyInvalid,
    ApiKeyNameTaken,
    ApiKeyNotFound,
    MemberAuthUnavailable,
    MissingScope,
    NotYourAccount,
    Unauthenticated,
)
from systok.errors.config import (
    ConfigurationError,
    DatabaseNotReady,
    DatabaseUnavailable,
    PolicyInvalid,
    PolicyNotFound,
    PolicyProblem,
    SettingsInvalid,
)
from systok.errors.economy import (
    AccountFrozen,
    MemberNotFound,
    RecipientIneligible,
    RecipientUnknown,
    RewardNotFound,
    SelfTransfer,
    ServiceNotFound,
)
from systok.errors.ingest import (
    AliasInvalid,
    AliasNotFound,
    BadTime,
    DiscoursePayloadInvalid,
    EventMapInvalid,
    IdentityConflict,
    ImportFileError,
    ImportIncomplete,
    PostHogResponseInvalid,
    PullFailed,
    QuarantineEntryClosed,
    QuarantineEntryNotFound,
    UnknownMember,
)
from systok.errors.ledger import (
    AuditFailed,
    HoldNotFound,
    HoldNotPending,
    IdempotencyConflict,
    InsufficientFunds,
    InvalidPosting,
    LedgerError,
    UnbalancedTransaction,
)
from systok.errors.quarter import (
    HealthError,
    HealthPeriodInvalid,
    HealthPeriodOpen,
    NoQuarterToVerify,
    QuarterError,
    ReportError,
    ReportNotPublished,
    ReportQuarterInvalid,
    ReportQuarterOpen,
)
from systok.errors.root import SystokError
from systok.errors.run import (
    GrantNotFound,
    NoRunToVerify,
    RunError,
)
from systok.errors.sale import (
    NoOpenSale,
    SaleAlreadyOpen,
    SaleCapExceeded,
    SaleConflict,
    SaleError,
    SaleInvalid,
)
from systok.errors.stabilisation import (
    BuybackUnavailable,
    ProposalDecided,
    ProposalNotFound,
    StabilisationError,
    StabilisationInvalid,
)

__all__ = [
    "AccountFrozen",
    "AliasInvalid",
    "AliasNotFound",
    "ApiKeyInvalid",
    "ApiKeyNameTaken",
    "ApiKeyNotFound",
    "AuditFailed",
    "BackingError",
    "BadTime",
    "BuybackUnavailable",
    "ConfigurationError",
    "DatabaseNotReady",
    "DatabaseUnavailable",
    "DiscoursePayloadInvalid",
    "EventMapInvalid",
    "GrantNotFound",
    "HealthError",
    "HealthPeriodInvalid",
    "HealthPeriodOpen",
    "HoldNotFound",
    "HoldNotPending",
    "IdempotencyConflict",
    "IdentityConflict",
    "ImportFileError",
    "ImportIncomplete",
    "InflowConflict",
    "InflowInvalid",
    "InsufficientFunds",
    "InvalidPosting",
    "LedgerError",
    "MemberAuthUnavailable",
    "MemberNotFound",
    "MissingScope",
    "NoOpenSale",
    "NoQuarterToVerify",
    "NoRunToVerify",
    "NotYourAccount",
    "PolicyInvalid",
    "PolicyNotFound",
    "PolicyProblem",
    "PostHogResponseInvalid",
    "PriceUnavailable",
    "ProposalDecided",
    "ProposalNotFound",
    "PullFailed",
    "QuarantineEntryClosed",
    "QuarantineEntryNotFound",
    "QuarterAlreadyPriced",
    "QuarterError",
    "RecipientIneligible",
    "RecipientUnknown",
    "ReportError",
    "ReportNotPublished",
    "ReportQuarterInvalid",
    "ReportQuarterOpen",
    "RewardNotFound",
    "RunError",
    "SaleAlreadyOpen",
    "SaleCapExceeded",
    "SaleConflict",
    "SaleError",
    "SaleInvalid",
    "SelfTransfer",
    "ServiceNotFound",
    "SettingsInvalid",
    "StabilisationError",
    "StabilisationInvalid",
    "SystokError",
    "Unauthenticated",
    "UnbalancedTransaction",
    "UnknownMember",
]
