"""Payout refusals: each a ``SystokError`` with its HTTP status and CLI exit code."""

from __future__ import annotations

from collections.abc import Sequence

from systok.errors import ConfigurationError, SystokError

PAYOUT_ADAPTERS = ("custodial", "litesvm", "rpc")
"""The values of ``SYSTOK_PAYOUT_ADAPTER``."""


class PayoutAdapterNotChosen(ConfigurationError):
    """Paying needs ``SYSTOK_PAYOUT_ADAPTER`` chosen explicitly outside the embedded demo.

    Raised before anything is planned, sent or written (ADR 0012): a refused withdrawal
    changes nothing, and a weekly run stops before its payout stage and goes on with
    ``systok run resume`` once the setting is made.
    """

    status_code = 503

    @classmethod
    def unset(cls) -> PayoutAdapterNotChosen:
        return cls(
            "payouts refused: SYSTOK_PAYOUT_ADAPTER is not set, and outside the embedded "
            "SQLite database it has no default. Choose one of: custodial (balances stay in "
            "the ledger), litesvm (a simulated chain in the data dir, for trials), rpc (a "
            "real cluster: also SYSTOK_SOLANA_RPC_URL and SYSTOK_SOLANA_KEYPAIR_PATH). "
            "Nothing was paid or changed; a weekly run stopped before its payout stage "
            "continues with `systok run resume` once it is set."
        )

    @classmethod
    def unknown(cls, value: str) -> PayoutAdapterNotChosen:
        return cls(f"SYSTOK_PAYOUT_ADAPTER {value!r}: use one of {', '.join(PAYOUT_ADAPTERS)}")


class PayoutError(SystokError):
    """Base of payout refusals (no wallet, nothing to pay, a chain that refuses, …)."""

    status_code = 409


class BatchTooLarge(PayoutError):
    """One member's transfer does not fit a transaction even alone (a memo too long)."""

    status_code = 422


class ChainUnavailable(PayoutError):
    """The chain could not be reached; nothing was decided from it. Try again later."""

    status_code = 503
    exit_code = 75  # EX_TEMPFAIL


class PayoutPending(PayoutError):
    """Payout transactions have not landed or expired yet; resume later (nothing is lost)."""

    status_code = 503
    exit_code = 75  # EX_TEMPFAIL


class NothingToPay(PayoutError):
    """The member has no custodial balance to withdraw."""


class WalletNotLinked(PayoutError):
    """The member has no linked wallet, so their balance stays custodial."""

    status_code = 404


class WalletError(SystokError):
    """Base of wallet-linking refusals: each names why the proof was not accepted."""

    status_code = 422


class UnknownMember(WalletError):
    """No member has that id."""

    status_code = 404


class ChallengeNotFound(WalletError):
    """No challenge was issued with that nonce (or for that member)."""

    status_code = 404


class ChallengeUsed(WalletError):
    """The nonce already linked a wallet: a replayed proof."""

    status_code = 409


class ChallengeExpired(WalletError):
    """The nonce's time to be used has passed; ask for a new one."""

    status_code = 410


class MessageMismatch(WalletError):
    """The signed message is not the one issued with the nonce."""


class SignatureInvalid(WalletError):
    """The signature is not the address's key's signature of the issued message."""


class AddressTaken(WalletError):
    """The address is already linked to another member."""

    status_code = 409


class PayoutDifferences(SystokError):
    """Reconciliation found differences between the chain and the ledger; lists each."""

    exit_code = 2

    def __init__(self, differences: Sequence[str]) -> None:
        self.differences = tuple(differences)
        super().__init__(
            f"reconciliation found {len(self.differences)} difference(s)\n"
            + "\n".join(f"  {d}" for d in self.differences)
        )
