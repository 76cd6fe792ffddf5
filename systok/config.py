"""Deployment settings: where things are, never what the economy is.

Settings come from ``SYSTOK_*`` environment variables and, when one is named, a
config file (``--config FILE`` or ``SYSTOK_CONFIG=FILE``, dotenv syntax). Environment
variables win over the file. A ``.env`` in the current directory is never read
implicitly: a job started elsewhere would silently see other settings (ADR 0013).
Relative paths written in the config file are relative to the file's folder.

Economic numbers live only in versioned policy files (``policies/*.toml``); nothing
here may change how many tokens anybody earns.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from systok.config_notify import NotifySettings
from systok.errors import ConfigurationError, SettingsInvalid

DEFAULT_DATA_DIR = Path("var")
ENV_PREFIX = "SYSTOK_"
CONFIG_ENV_VAR = "SYSTOK_CONFIG"
# Settings that name a file or folder: relative ones in a config file resolve against it.
PATH_FIELDS = ("data_dir", "policy_dir", "solana_keypair_path", "jwt_public_key_file")
# A setting whose name contains one of these is a secret: shown only as set or unset.
SECRET_NAME_PARTS = ("secret", "token", "api_key", "password", "jwt_public_key")
URL_FIELDS = ("database_url", "solana_rpc_url", "jwt_jwks_url", "telegram_api_url")


def env_name(field: str) -> str:
    """The environment variable of a setting: ``data_dir`` → ``SYSTOK_DATA_DIR``."""
    return f"{ENV_PREFIX}{field.upper()}"


class _ConfigFileSource(DotEnvSettingsSource):
    """The config file's settings, with its relative paths resolved against its folder."""

    def __call__(self) -> dict[str, Any]:
        data = {k: v for k, v in super().__call__().items() if k in self.settings_cls.model_fields}
        if isinstance(self.env_file, (str, os.PathLike)):
            folder = Path(self.env_file).expanduser().absolute().parent
            for name in PATH_FIELDS:
                value = data.get(name)
                if isinstance(value, str) and value and not Path(value).expanduser().is_absolute():
                    data[name] = str(folder / value)
        return data


class Settings(NotifySettings, BaseSettings):
    """Runtime settings read from the environment (prefix ``SYSTOK_``)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_file=None, extra="ignore")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment, then the config file (``_env_file``)."""
        env_file = getattr(dotenv_settings, "env_file", None)
        return (init_settings, env_settings, _ConfigFileSource(settings_cls, env_file=env_file))

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
    discourse_webhook_secret_previous: str | None = Field(
        default=None,
        description="The webhook secret being rotated out: deliveries signed with it are "
        "still accepted until it is unset (docs/api.md, rotating secrets).",
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
        default=None,
        description="PEM public key(s) that verify members' JWTs: several PEM blocks in a "
        "row are all accepted (a key rotation).",
    )
    jwt_public_key_file: Path | None = Field(
        default=None,
        description="File holding the PEM public key(s) of members' JWTs (several blocks: "
        "all accepted).",
    )
    jwt_jwks_url: str | None = Field(
        default=None, description="JWKS URL of the learning platform (instead of one key)."
    )
    jwt_jwks_cache_seconds: float = Field(
        default=300.0,
        gt=0,
        description="How long the fetched JWKS is used before it is fetched again.",
    )
    jwt_jwks_refetch_seconds: float = Field(
        default=30.0,
        ge=0,
        description="A token naming a `kid` not in the JWKS fetches it again, at most once "
        "in this many seconds (a flood of unknown kids costs one fetch).",
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

    # --- observability (docs/monitoring.md, ADR 0015) ---------------------------------
    log_format: Literal["json", "text"] = Field(
        default="text",
        description="Log lines on stderr: json (one object a line, for a log shipper) or text.",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Least severe log level written (logger namespace systok)."
    )

    # --- mapping of integrations (docs/ingestion-pull.md) -----------------------------
    posthog_event_map: Path | None = Field(
        default=None,
        description="TOML file mapping the school's PostHog event names and member "
        "property to SysTok's event types. Unset: events carry SysTok's own names and "
        "properties.member_id.",
    )

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _log_words_any_case(cls, value: object, info: object) -> object:
        """``SYSTOK_LOG_LEVEL=info`` and ``SYSTOK_LOG_FORMAT=JSON`` mean the obvious."""
        if not isinstance(value, str):
            return value
        name = getattr(info, "field_name", "")
        return value.strip().upper() if name == "log_level" else value.strip().lower()

    def resolved_database_url(self) -> str:
        """The database URL, defaulting to a SQLite file inside ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'systok.sqlite3').absolute().as_posix()}"

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


def config_file_path() -> Path | None:
    """The config file named by ``SYSTOK_CONFIG`` (``--config`` sets it), or None.

    Raises:
        ConfigurationError: the named file cannot be read, or no file is named while a
            ``.env`` holding ``SYSTOK_*`` settings sits in the current directory (it used
            to be read from there; reading it silently made jobs started elsewhere see
            other settings, so SysTok asks for it by name instead).
    """
    raw = os.environ.get(CONFIG_ENV_VAR, "").strip()
    if raw:
        path = Path(raw).expanduser().absolute()
        try:
            path.read_bytes()
        except OSError as error:
            raise ConfigurationError(
                f"{CONFIG_ENV_VAR} (or --config) names {path}, which cannot be read: "
                f"{error.strerror or type(error).__name__}"
            ) from None
        return path
    stray = Path.cwd() / ".env"
    if _holds_systok_settings(stray):
        raise ConfigurationError(
            f"{stray} holds SYSTOK_* settings, but SysTok reads a config file only when it "
            f"is named: run with --config {stray} or set {CONFIG_ENV_VAR}={stray} "
            "(docs/configuration.md)"
        )
    return None


_SYSTOK_LINE = re.compile(r"^\s*(export\s+)?SYSTOK_\w+\s*=", re.MULTILINE)


def _holds_systok_settings(path: Path) -> bool:
    try:
        return path.is_file() and bool(_SYSTOK_LINE.search(path.read_text(encoding="utf-8")))
    except (OSError, UnicodeDecodeError):
        return False


@dataclass(frozen=True)
class SettingProblem:
    """One setting that is missing or invalid, named by its environment variable."""

    setting: str
    reason: str

    def __str__(self) -> str:
        return f"{self.setting}: {self.reason}"


def load_settings(config_file: Path | None = None) -> Settings:
    """Read the settings, listing every invalid or missing one at once.

    Raises:
        SettingsInvalid: some setting is invalid (each is named with the reason).
    """
    try:
        settings = Settings(_env_file=config_file)
    except ValidationError as error:
        raise SettingsInvalid(
            [_problem_from(item) for item in error.errors(include_url=False)],
            source=config_file,
        ) from None
    problems = []
    if config_file is not None and "data_dir" not in settings.model_fields_set:
        problems.append(
            SettingProblem(
                env_name("data_dir"),
                "required with a config file: where reports, the embedded chain and "
                "generated keys go (never the current directory)",
            )
        )
    if problems:
        raise SettingsInvalid(problems, source=config_file)
    return settings


def _problem_from(item: Any) -> SettingProblem:
    location = item.get("loc") or ("settings",)
    field = str(location[0])
    shown = "" if is_secret(field) else f" (got {mask_value(field, item.get('input'))!s:.60})"
    return SettingProblem(env_name(field), f"{item.get('msg', 'invalid')}{shown}")


def is_secret(field: str) -> bool:
    """Whether a setting's value must never be printed (keys, tokens, secrets)."""
    return any(part in field for part in SECRET_NAME_PARTS)


def mask_value(field: str, value: Any) -> Any:
    """A setting's value as it may be printed: secrets hidden, URL passwords masked."""
    if value is None:
        return None
    if is_secret(field):
        return "***" if value else ""
    if field in URL_FIELDS and isinstance(value, str):
        return safe_url(value)
    if isinstance(value, Path):
        return str(value)
    return value


_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[^:/@\s]*):[^\s/]*@"
)
_URL_SECRET_QUERY = re.compile(
    r"(?P<key>[?&](?:api[-_]?key|apikey|token|key|secret|password|access_token)=)[^&\s#]*",
    re.IGNORECASE,
)


def safe_url(text: str) -> str:
    """``text`` with every URL's password and secret-looking query parameters masked.

    The one place a URL becomes printable: error messages, ``config show`` and
    ``doctor`` all pass through it, so a password never reaches a terminal or a log.
    Works on free text too (an error message that quotes a URL).
    """
    masked = _URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
    return _URL_SECRET_QUERY.sub(lambda m: f"{m['key']}***", masked)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings for this process (cached; tests build their own ``Settings``)."""
    return load_settings(config_file_path())
