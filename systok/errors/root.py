"""The root of the error tree: every error a caller can cause is a ``SystokError``."""

from __future__ import annotations


class SystokError(Exception):
    """Root of every error a caller can cause or handle.

    Attributes:
        status_code: HTTP status the API answers with.
        exit_code: process exit code the CLI ends with.
    """

    status_code: int = 400
    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def error_name(self) -> str:
        """The class name, used as the machine-readable ``error`` field."""
        return type(self).__name__
