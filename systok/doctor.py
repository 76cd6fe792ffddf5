"""``systok doctor``: is this deployment able to work? One check per concern.

Each check looks at one thing an operator can get wrong (the database, the keys, the
payout adapter and its chain, the webhook secret, the clock, where files go) and
answers ``ok``, ``warn`` (works, but probably not what you want) or ``fail`` (a command
will refuse or misbehave), always with a reason naming the setting to change. Checks
never write to the database or the chain and never print a secret's value.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
from sqlalchemy import Engine, inspect

from systok import clock
from systok.config import Settings, env_name, safe_url
from systok.db.probe import database_now
from systok.errors import SystokError
from systok.payout.errors import PAYOUT_ADAPTERS, PayoutAdapterNotChosen

Status = Literal["ok", "warn", "fail"]
CLOCK_SKEW_MAX_SECONDS = 5.0


@dataclass(frozen=True)
class Check:
    """The outcome of one check: its name, ok/warn/fail and why."""

    name: str
    status: Status
    reason: str

    def as_json(self) -> dict[str, str]:
        """The check as ``docs/cli-json.md`` shows it."""
        return asdict(self)


def run_checks(settings: Settings, config_file: Path | None) -> list[Check]:
    """Every check, in a fixed order; a check that crashes is reported, not raised."""
    checks: list[Check] = [_config_check(settings, config_file)]
    checks += _guarded("database", lambda: _database_checks(settings))
    checks += _guarded("member_tokens", lambda: [_member_tokens_check(settings)])
    checks += _guarded("payout_adapter", lambda: _payout_checks(settings))
    checks.append(_webhook_secret_check(settings))
    return checks


def _guarded(name: str, work: Callable[[], list[Check]]) -> list[Check]:
    try:
        return work()
    except SystokError as error:
        return [Check(name, "fail", safe_url(error.message))]
    except Exception as error:  # a doctor reports; it does not crash on what it examines
        return [Check(name, "fail", safe_url(f"{type(error).__name__}: {error}"))]


# --- where settings and files come from ------------------------------------------------


def _config_check(settings: Settings, config_file: Path | None) -> Check:
    data_dir = settings.data_dir.expanduser().absolute()
    if config_file is not None:
        where = f"settings from the environment and {config_file}"
    else:
        where = "settings from the environment only (no config file)"
    if not settings.uses_embedded_database() and "data_dir" not in settings.model_fields_set:
        return Check(
            "config",
            "warn",
            f"{where}; data dir {data_dir} comes from the current directory: reports and "
            f"keys land wherever a job starts; set {env_name('data_dir')}",
        )
    problem = _writable_problem(data_dir)
    if problem:
        return Check("config", "fail", f"{where}; data dir {data_dir} {problem}")
    return Check("config", "ok", f"{where}; data dir {data_dir}")


def _writable_problem(folder: Path) -> str | None:
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"cannot be created ({existing} is not a folder)"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"is not writable ({existing})"
    return None


# --- the database ----------------------------------------------------------------------


def _database_checks(settings: Settings) -> list[Check]:
    from systok.db.engine import check_reachable, display_url, make_engine
    from systok.db.migrate import current_revision, head_revision, missing_revisions

    url = settings.resolved_database_url()
    if settings.uses_embedded_database():
        database_file = settings.data_dir / "systok.sqlite3"
        if not database_file.exists():
            return [
                Check(
                    "database",
                    "fail",
                    f"embedded database {database_file.absolute()} does not exist; run "
                    f"`systok db upgrade`, or set {env_name('database_url')} / "
                    f"{env_name('data_dir')} if the data lives elsewhere",
                )
            ]
    engine = make_engine(url)
    try:
        shown = display_url(engine)
        check_reachable(engine)
        checks = [Check("database", "ok", f"{shown} reachable")]
        if not inspect(engine).has_table("alembic_version"):
            missing = ", ".join(missing_revisions(engine))
            checks.append(
                Check(
                    "migrations",
                    "fail",
                    f"{shown} has no SysTok schema (missing: {missing}); run `systok db upgrade`",
                )
            )
        else:
            current, head = current_revision(engine), head_revision(engine)
            if current == head:
                checks.append(Check("migrations", "ok", f"at the newest migration {head}"))
            else:
                missing = ", ".join(missing_revisions(engine))
                checks.append(
                    Check(
                        "migrations",
                        "fail",
                        f"{shown} is at {current}, missing {missing}; run `systok db upgrade`",
                    )
                )
        checks.append(_clock_check(engine))
        return checks
    finally:
        engine.dispose()


def _clock_check(engine: Engine) -> Check:
    if engine.dialect.name != "postgresql":
        return Check("clock", "ok", "the embedded database uses this machine's clock")
    ours = clock.now()
    skew_seconds = abs((database_now(engine) - ours).total_seconds())
    reason = f"PostgreSQL's now() and this machine's clock differ by {skew_seconds:.1f} s"
    if skew_seconds > CLOCK_SKEW_MAX_SECONDS:
        return Check(
            "clock",
            "fail",
            f"{reason} (more than {CLOCK_SKEW_MAX_SECONDS:.0f} s): weeks, holds and member "
            "tokens are judged by the clock; synchronise both machines (NTP)",
        )
    return Check("clock", "ok", reason)


# --- member tokens ---------------------------------------------------------------------


def _member_tokens_check(settings: Settings) -> Check:
    from systok.api.member_auth import MemberTokens

    tokens = MemberTokens(settings)  # reads and parses the key: refusals are ConfigurationError
    if not tokens.configured:
        return Check(
            "member_tokens",
            "warn",
            f"no key: set {env_name('jwt_public_key_file')}, {env_name('jwt_public_key')} or "
            f"{env_name('jwt_jwks_url')}; until then the member API refuses members' tokens",
        )
    if settings.jwt_jwks_url and not (settings.jwt_public_key or settings.jwt_public_key_file):
        url = safe_url(settings.jwt_jwks_url)
        try:
            response = httpx.get(settings.jwt_jwks_url, timeout=settings.http_timeout_seconds)
            response.raise_for_status()
            keys = response.json().get("keys")
        except (httpx.HTTPError, ValueError, AttributeError) as error:
            return Check(
                "member_tokens",
                "fail",
                f"{env_name('jwt_jwks_url')} {url} unusable: {safe_url(str(error)) or error}",
            )
        if not isinstance(keys, list) or not keys:
            return Check("member_tokens", "fail", f"JWKS at {url} holds no keys")
        return Check("member_tokens", "ok", f"JWKS at {url} holds {len(keys)} key(s)")
    return Check("member_tokens", "ok", "the PEM public key loads")


# --- payouts ---------------------------------------------------------------------------


def _payout_checks(settings: Settings) -> list[Check]:
    """The adapter by the same rule every paying path applies (ADR 0012), then its chain."""
    from systok.payout.adapters.choice import adapter_choice

    try:
        adapter = adapter_choice(settings)
    except PayoutAdapterNotChosen as refused:
        if settings.payout_adapter is not None:  # set, but to no adapter we know
            return [Check("payout_adapter", "fail", refused.message)]
        return [
            Check(
                "payout_adapter",
                "fail",
                f"{env_name('payout_adapter')} is unset with a database other than the "
                "embedded default: payouts are refused until you choose one of "
                f"{', '.join(PAYOUT_ADAPTERS)}",
            )
        ]
    if settings.payout_adapter is None:
        checks = [Check("payout_adapter", "ok", "litesvm (the embedded default's simulation)")]
    else:
        checks = [Check("payout_adapter", "ok", f"{adapter} (chosen)")]
    if adapter == "custodial":
        return [*checks, Check("chain", "ok", "custodial: payouts stay in the ledger")]
    if adapter == "litesvm":
        return [*checks, *_litesvm_checks(settings)]
    return [*checks, *_rpc_checks(settings)]


def _litesvm_checks(settings: Settings) -> list[Check]:
    from systok.payout.adapters import payer_key_path
    from systok.payout.chain import load_keypair

    chain_dir = (settings.data_dir / "chain").absolute()
    problem = _writable_problem(chain_dir)
    checks = [
        Check("chain", "fail", f"embedded chain state folder {chain_dir} {problem}")
        if problem
        else Check("chain", "ok", f"embedded chain state in {chain_dir}")
    ]
    key_path = payer_key_path(settings).absolute()
    if not key_path.exists() and settings.solana_keypair_path is None:
        checks.append(Check("payer_key", "ok", f"{key_path} is generated on first use"))
    else:
        checks.append(_keypair_check(key_path, load_keypair))
    return checks


def _rpc_checks(settings: Settings) -> list[Check]:
    from systok.payout.chain import load_keypair

    checks: list[Check] = []
    if settings.solana_keypair_path is None:
        checks.append(
            Check(
                "payer_key",
                "fail",
                f"the rpc adapter needs {env_name('solana_keypair_path')} (the payer and "
                "mint authority key file)",
            )
        )
    else:
        checks.append(_keypair_check(settings.solana_keypair_path.absolute(), load_keypair))
    if not settings.solana_rpc_url:
        checks.append(Check("chain", "fail", f"the rpc adapter needs {env_name('solana_rpc_url')}"))
    else:
        checks.append(_rpc_health(settings.solana_rpc_url, settings.http_timeout_seconds))
    return checks


def _keypair_check(path: Path, load: Callable[[Path], Any]) -> Check:
    try:
        keypair = load(path)
    except SystokError as error:
        return Check("payer_key", "fail", f"{env_name('solana_keypair_path')}: {error.message}")
    except OSError as error:
        return Check(
            "payer_key",
            "fail",
            f"{env_name('solana_keypair_path')}: {path} cannot be read: "
            f"{error.strerror or type(error).__name__}",
        )
    return Check("payer_key", "ok", f"{path} holds the key of {keypair.pubkey()}")


def _rpc_health(url: str, timeout_seconds: float) -> Check:
    """``getHealth`` and ``getLatestBlockhash`` on the cluster's JSON-RPC endpoint."""
    shown = safe_url(url)
    answers: dict[str, Any] = {}
    try:
        with httpx.Client(timeout=timeout_seconds) as client:
            for method in ("getHealth", "getLatestBlockhash"):
                body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": []}
                reply = client.post(url, json=body)
                reply.raise_for_status()
                answer = reply.json()
                if not isinstance(answer, dict) or "error" in answer:
                    error = answer.get("error") if isinstance(answer, dict) else answer
                    return Check("chain", "fail", f"{shown}: {method} answered {error}")
                answers[method] = answer.get("result")
    except (httpx.HTTPError, ValueError) as error:
        return Check(
            "chain",
            "fail",
            f"{env_name('solana_rpc_url')} {shown} unreachable: {safe_url(str(error)) or error!r}",
        )
    blockhash = answers.get("getLatestBlockhash") or {}
    value = blockhash.get("value", {}) if isinstance(blockhash, dict) else {}
    return Check(
        "chain",
        "ok",
        f"{shown} healthy ({answers.get('getHealth')}), latest blockhash "
        f"{value.get('blockhash', '?')}",
    )


# --- webhooks --------------------------------------------------------------------------


def _webhook_secret_check(settings: Settings) -> Check:
    setting = env_name("discourse_webhook_secret")
    if settings.discourse_webhook_secret:
        return Check("webhook_secret", "ok", f"{setting} is set")
    status: Status = "fail" if settings.discourse_url else "warn"
    return Check(
        "webhook_secret",
        status,
        f"{setting} is unset: Discourse webhook deliveries are refused (401)",
    )
