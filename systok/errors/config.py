"""Errors of configuration, policy files and the database connection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from systok.errors.root import SystokError

# --- configuration and policy -------------------------------------------------------


class ConfigurationError(SystokError):
    """A setting is missing or unusable (bad URL, unreadable key file, …)."""

    exit_code = 78  # EX_CONFIG


class SettingsInvalid(ConfigurationError):
    """Settings were refused; ``problems`` names every bad or missing one, not the first.

    Each problem is printed as ``SYSTOK_NAME: reason`` (``systok.config.SettingProblem``);
    values of secrets are never part of the reason.
    """

    def __init__(self, problems: Sequence[object], *, source: object = None) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        where = f" (environment and {source})" if source is not None else " (environment)"
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(
            f"settings refused{where}: {count} problem{'s' if count != 1 else ''}\n{lines}"
        )


@dataclass(frozen=True)
class PolicyProblem:
    """One thing wrong with a policy file, located by file and key path."""

    file: str
    key_path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key_path}: {self.reason}"


class PolicyInvalid(SystokError):
    """A policy file was refused; ``problems`` lists every problem found, not the first."""

    status_code = 422
    exit_code = 65  # EX_DATAERR

    def __init__(self, problems: Sequence[PolicyProblem]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"policy refused: {count} problem{'s' if count != 1 else ''}\n{lines}")


class PolicyNotFound(SystokError):
    """No policy file matches the name or week asked for."""

    status_code = 404
    exit_code = 66  # EX_NOINPUT


class DatabaseUnavailable(SystokError):
    """The configured database cannot be reached or does not exist (names which, and why)."""

    exit_code = 69  # EX_UNAVAILABLE
    status_code = 503


class DatabaseNotReady(SystokError):
    """The database schema is missing or behind; run ``systok db upgrade``."""

    exit_code = 75  # EX_TEMPFAIL
    status_code = 503
