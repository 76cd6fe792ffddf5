"""The shapes of API keys: what may be shown about one (never the key itself)."""

from __future__ import annotations

from dataclasses import dataclass

KEY_PREFIX_MARK = "stk"


@dataclass(frozen=True)
class ApiKeyInfo:
    """What may be shown about a key (never the key itself)."""

    name: str
    key_prefix: str
    scopes: frozenset[str]
    created_at_us: int
    revoked_at_us: int | None

    @property
    def display_prefix(self) -> str:
        """How the key starts, to recognise it: ``stk_1a2b3c4d5e6f_…``."""
        return f"{KEY_PREFIX_MARK}_{self.key_prefix}_…"


@dataclass(frozen=True)
class StoredKey:
    """A key's row: its info and the SHA-256 its presented key must match."""

    info: ApiKeyInfo
    key_sha256: str
