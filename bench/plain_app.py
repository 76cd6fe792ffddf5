"""The reference of ``bench api``: a plain FastAPI balance endpoint written the obvious way.

One sync endpoint, the RS256 JWT check SysTok's member auth does (PyJWT, the same
public key, issuer, audience and required claims, the key parsed once at start-up),
and one SELECT of the member's account through a SQLAlchemy connection pool of the
size SysTok's engine uses. No metrics, no error envelope, no policy: what a team
would write in an afternoon. ``bench/api.py`` serves it with uvicorn, with the same
worker count as ``systok serve``, and compares SysTok's ``GET balance`` to it:

    python -m uvicorn bench.plain_app:create_app --factory --workers N

Configured through the environment (each uvicorn worker calls ``create_app``):
``PLAIN_DATABASE_URL``, ``PLAIN_JWT_PUBLIC_KEY``, ``PLAIN_JWT_ISSUER``,
``PLAIN_JWT_AUDIENCE``.
"""

from __future__ import annotations

import os
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi import FastAPI, Header, HTTPException
from sqlalchemy import create_engine, text

BALANCE_SQL = text(
    "SELECT posted_units, held_units FROM accounts "
    "WHERE type = 'member' AND owner = :member AND asset = 'STK'"
)


def create_app() -> FastAPI:
    """The reference app, configured from ``PLAIN_*`` (one per uvicorn worker)."""
    engine = create_engine(
        os.environ["PLAIN_DATABASE_URL"], pool_size=10, max_overflow=10, pool_pre_ping=False
    )
    key = load_pem_public_key(os.environ["PLAIN_JWT_PUBLIC_KEY"].encode())
    issuer = os.environ["PLAIN_JWT_ISSUER"]
    audience = os.environ["PLAIN_JWT_AUDIENCE"]
    app = FastAPI()

    @app.get("/balance")
    def balance(authorization: str = Header()) -> dict[str, Any]:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer":
            raise HTTPException(401, "bearer token required")
        try:
            claims = jwt.decode(
                token,
                key,  # type: ignore[arg-type]
                algorithms=["RS256"],
                audience=audience,
                issuer=issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise HTTPException(401, str(error)) from None
        with engine.connect() as connection:
            row = connection.execute(BALANCE_SQL, {"member": claims["sub"]}).one_or_none()
        if row is None:
            raise HTTPException(404, "no such member")
        return {
            "member": claims["sub"],
            "available": row.posted_units - row.held_units,
            "held": row.held_units,
            "posted": row.posted_units,
        }

    return app
