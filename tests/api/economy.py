"""A small economy for the member API's tests: members, a test keypair, funded accounts.

Members ``m1``, ``m2``, ``m3`` hold an open paid membership; ``f1`` is a free user (no
membership), so transfers to them are refused as ineligible. ``Economy`` wraps a live
server with helpers to mint member JWTs, call as a member or a key, and read balances
straight from the ledger (what the API says is checked against what is stored).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import Engine, text

from systok.clock import now_us
from systok.config import Settings
from systok.core.ledger import (
    AccountRef,
    AccountType,
    Posting,
    TransactionCode,
    TransactionDraft,
    member_account,
    system_account,
)
from systok.db.engine import run_transaction
from systok.economy.members import freeze_member
from systok.ledger.service import Ledger

ISSUER = "https://platform.example.org"
AUDIENCE = "systok"
MEMBERS = ("m1", "m2", "m3")
FREE_USERS = ("f1",)
STK = 1_000_000
"""One STK in base units (scale 6)."""


@cache
def private_key() -> rsa.RSAPrivateKey:
    """The test platform's signing key (one per test session)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def public_pem() -> str:
    return (
        private_key()
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def mint(sub: str | None, *, key: Any = None, algorithm: str = "RS256", **claims: Any) -> str:
    """A member JWT as the platform would issue it; ``claims`` override or remove (None)."""
    now = int(time.time())
    body: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": sub,
        "iat": now,
        "exp": now + 600,
    }
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, key if key is not None else private_key(), algorithm=algorithm)


def member_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "jwt_public_key": public_pem(),
        "jwt_issuer": ISSUER,
        "jwt_audience": AUDIENCE,
        "policy": None,
        "discourse_webhook_secret": None,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def seed_members(engine: Engine) -> None:
    """Members with an open paid membership from 1970 on, and one free user."""
    with engine.begin() as connection:
        for member_id in (*MEMBERS, *FREE_USERS):
            connection.execute(
                text("INSERT INTO members (id, created_at_us) VALUES (:id, 0)"), {"id": member_id}
            )
        for member_id in MEMBERS:
            connection.execute(
                text(
                    "INSERT INTO member_memberships (member_id, starts_day, ends_day) "
                    "VALUES (:id, 0, NULL)"
                ),
                {"id": member_id},
            )


def fund(engine: Engine, member_id: str, units: int, *, at_us: int | None = None) -> int:
    """Deposit ``units`` into a member's account (from world); returns the entry id."""
    draft = TransactionDraft(
        code=TransactionCode.DEPOSIT,
        idempotency_key=f"test-fund:{uuid.uuid4().hex}",
        postings=(
            Posting(system_account(AccountType.WORLD), -units),
            Posting(member_account(member_id), units),
        ),
    )
    clock = (lambda: at_us) if at_us is not None else now_us
    return run_transaction(
        engine, lambda session: Ledger(session, clock=clock).post(draft).transaction_id
    )


def freeze(engine: Engine, member_id: str, reason: str = "fraud review") -> None:
    run_transaction(engine, lambda session: freeze_member(session, member_id, reason, now_us()))


def balances(engine: Engine) -> dict[str, tuple[int, int]]:
    """Every account's (posted, held), by name: the ledger's own view."""
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT type, owner, asset, posted_units, held_units FROM accounts")
        ).all()
    return {
        AccountRef(AccountType(t), asset, owner).name: (int(posted), int(held))
        for t, owner, asset, posted, held in rows
    }


def state(engine: Engine) -> dict[str, Any]:
    """What a refused request must leave unchanged: balances and row counts."""
    with engine.connect() as connection:
        counts = {
            table: int(connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one())
            for table in ("transactions", "postings", "entitlements", "accounts", "holds")
        }
    return {"balances": balances(engine), "counts": counts}


@dataclass
class Economy:
    """The live server plus helpers for calling it as members and keys."""

    server: Any
    keys: dict[str, str] = field(default_factory=dict)
    key_names: dict[tuple[str, ...], str] = field(default_factory=dict)

    @property
    def engine(self) -> Engine:
        engine: Engine = self.server.engine
        return engine

    @property
    def client(self) -> httpx.Client:
        client: httpx.Client = self.server.client
        return client

    def as_member(self, member_id: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {mint(member_id)}"}

    def as_key(self, *scopes: str) -> dict[str, str]:
        name = f"key-{len(self.keys)}-" + "-".join(s.split(":")[0] for s in scopes)[:40]
        name = self.key_names.setdefault(scopes, name)
        if name not in self.keys:
            self.keys[name] = self.server.make_key(name, scopes or ("events:write",))
        return {"Authorization": f"Bearer {self.keys[name]}"}

    def transfer(
        self, sender: str, to: str, amount: str, key: str | None = None, **extra: Any
    ) -> httpx.Response:
        headers = self.as_member(sender) | {"Idempotency-Key": key or uuid.uuid4().hex}
        return self.client.post(
            "/api/v1/tokenomics/transfer",
            json={"to": to, "amount": amount, **extra},
            headers=headers,
        )

    def buy(self, buyer: str, service: str, key: str | None = None) -> httpx.Response:
        headers = self.as_member(buyer) | {"Idempotency-Key": key or uuid.uuid4().hex}
        return self.client.post(f"/api/v1/tokenomics/services/{service}/purchase", headers=headers)

    def get(self, path: str, headers: dict[str, str], **params: Any) -> httpx.Response:
        return self.client.get(f"/api/v1/tokenomics/{path}", headers=headers, params=params)
