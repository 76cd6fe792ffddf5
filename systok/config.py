"""Deployment settings: where things are, never what the economy is.

Settings come from ``SYSTOK_*`` environment variables (and an optional ``.env``).
Economic numbers live only in versioned policy files (``policies/*.toml``); nothing
here may change how many tokens anybody earns.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATA_DIR = Path("var")


class Settings(BaseSettings):
    """Runtime settings read from the environment (prefix ``SYSTOK_``)."""

    model_config = SettingsConfigDict(env_prefix="SYSTOK_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default=DEFAULT_DATA_DIR,
        description="Folder for the embedded SQLite database and generated files.",
    )
    database_url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL. Unset: a SQLite file in data_dir. "
            "PostgreSQL: postgresql+psycopg://user@host:5432/db"
        ),
    )
    policy_dir: Path | None = Field(
        default=None,
        description="Folder of policy TOML files. Unset: the policies shipped with SysTok.",
    )
    policy: str | None = Field(
        default=None,
        description=(
            "Pin one policy version (e.g. stk-2025-04) instead of choosing by effective week."
        ),
    )

    # --- sources (ingestion) ------------------------------------------------------------
    api_host: str = Field(default="127.0.0.1", description="Address `systok serve` binds.")
    api_port: int = Field(default=8000, description="Port `systok serve` listens on.")
    discourse_url: str | None = Field(default=None, description="Discourse base URL.")
    discourse_api_key: str | None = Field(default=None, description="Discourse admin API key.")
    discourse_api_username: str = Field(default="system", description="Discourse Api-Username.")
    discourse_webhook_secret: str | None = Field(
        default=None, description="Secret of the Discourse webhook (HMAC-SHA256 of the body)."
    )
    posthog_url: str | None = Field(default=None, description="PostHog base URL (EU or US).")
    posthog_project_id: str | None = Field(default=None, description="PostHog project id.")
    posthog_api_key: str | None = Field(
        default=None, description="PostHog personal API key with query:read."
    )
    platform_url: str | None = Field(default=None, description="Learning platform REST base URL.")
    platform_token: str | None = Field(default=None, description="Learning platform API token.")
    http_timeout_seconds: float = Field(default=20.0, description="Timeout of outbound calls.")
    http_retries_max: int = Field(default=5, description="Retries of an outbound call.")

    # --- payouts on Solana (ADR 0007) ---------------------------------------------------
    payout_adapter: str | None = Field(
        default=None,
        description=(
            "Where payouts go: custodial (ledger only), litesvm (embedded), rpc. Unset: "
            "litesvm with the embedded SQLite database, else paying refuses (ADR 0012)."
        ),
    )
    solana_rpc_url: str | None = Field(
        default=None, description="Cluster JSON-RPC URL for the rpc adapter (devnet, mainnet)."
    )
    solana_keypair_path: Path | None = Field(
        default=None,
        description=(
            "Key file (Solana CLI JSON) of the payer and mint authority. Unset with litesvm: "
            "generated under data_dir/chain. The key is never logged or stored in the database."
        ),
    )
    solana_mint: str | None = Field(
        default=None,
        description=(
            "Adopt this existing mint (base58) instead of the one derived from the payer; "
            "its decimals must be the policy's STK scale and its mint authority the payer."
        ),
    )
    solana_token_program: str = Field(
        default="spl-token", description="Token program of the STK mint: spl-token or token-2022."
    )
    solana_skip_preflight: bool = Field(
        default=False, description="Send payouts without the node's preflight simulation."
    )
    payout_confirm_timeout_seconds: float = Field(
        default=180.0, description="How long a run waits for its payouts to land before pausing."
    )
    payout_poll_seconds: float = Field(
        default=2.0, description="Pause between looks at the chain while confirming payouts."
    )
    wallet_challenge_ttl_seconds: int = Field(
        default=900, description="How long a wallet-linking nonce may be signed and used."
    )

    # --- member tokens (the member API) ---------------------------------------------------
    jwt_public_key: str | None = Field(
        default=None, description="PEM public key that verifies members' JWTs (or a file)."
    )
    jwt_public_key_file: Path | None = Field(
        default=None, description="File holding the PEM public key of members' JWTs."
    )
    jwt_jwks_url: str | None = Field(
        default=None, description="JWKS URL of the learning platform (instead of one key)."
    )
    jwt_issuer: str | None = Field(default=None, description="Required `iss` of member JWTs.")
    jwt_audience: str | None = Field(default=None, description="Required `aud` of member JWTs.")
    jwt_algorithms: str = Field(
        default="RS256 ES256 EdDSA",
        description="Accepted JWT algorithms, space-separated (asymmetric ones only).",
    )
    jwt_leeway_seconds: int = Field(
        default=30, description="Clock skew allowed on `exp`/`nbf`/`iat` of member JWTs."
    )
    jwt_max_lifetime_seconds: int = Field(
        default=86_400,
        gt=0,
        description="Longest validity a member JWT may carry: `exp` at most this far after "
        "`iat` (and after now); longer-lived tokens are refused.",
    )

    # --- the HTTP edge (ADR 0010) -----------------------------------------------------
    request_body_max_bytes: int = Field(
        default=32 * 1024 * 1024,
        gt=0,
        description="Largest request body the API reads, counted as it streams (413 above).",
    )
    event_payload_max_bytes: int = Field(
        default=256 * 1024,
        gt=0,
        description="Largest `payload` of one event (its compact JSON, UTF-8) the API "
        "accepts, in a batch or a webhook delivery (413 above).",
    )
    cursor_secret: str | None = Field(
        default=None,
        description="Key that signs pagination cursors (HMAC). Unset: a random key per "
        "process, so cursors do not survive a restart; set it when several processes serve.",
    )

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file inside ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'systok.sqlite3').as_posix()}"

    def payout_adapter_choice(self) -> str:
        """The payout adapter to use: ``SYSTOK_PAYOUT_ADAPTER``, or litesvm for the demo.

        Raises:
            PayoutAdapterNotChosen: unset with a database other than the embedded
                SQLite one, or not one of the adapters (ADR 0012).
        """
        from systok.payout.errors import PAYOUT_ADAPTERS, PayoutAdapterNotChosen

        if self.payout_adapter is None:
            if self.uses_embedded_database():
                return "litesvm"
            raise PayoutAdapterNotChosen.unset()
        if self.payout_adapter not in PAYOUT_ADAPTERS:
            raise PayoutAdapterNotChosen.unknown(self.payout_adapter)
        return self.payout_adapter

    def uses_embedded_database(self) -> bool:
        """Whether the database is a SQLite file inside ``data_dir`` (the demo's default)."""
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(self.resolved_database_url())
        except ArgumentError:
            return False
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return False
        return Path(url.database).resolve().is_relative_to(self.data_dir.resolve())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings for this process (cached; tests build their own ``Settings``)."""
    return Settings()
