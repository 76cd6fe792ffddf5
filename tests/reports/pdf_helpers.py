"""Reading the quarterly report's PDF back as a reader would (poppler), and a bigger
world for it: the golden health world plus many holders with recognisable ids."""

from __future__ import annotations

import subprocess
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from systok.core.ledger import member_account
from systok.db.engine import run_transaction
from systok.ingest.repository.members import ensure_member
from tests.quarter.health_world import build_health
from tests.quarter.world import at, credit

CROWD = 120
"""Extra holders in the crowd world: more than the 100 top holders the report lists."""


def crowd_id(index: int) -> str:
    """A member id nobody could mistake for a figure or a word of the report."""
    return f"holder-{index:04d}-qz"


def build_crowd(engine: Engine) -> None:
    """The health world plus ``CROWD`` holders ``holder-0001-qz`` … credited
    ``k`` whole STK (``k · 10⁶`` units) on 2025-12-01, never active afterwards."""
    build_health(engine)

    def work(session: Session) -> None:
        for index in range(1, CROWD + 1):
            ensure_member(session, crowd_id(index), at(2025, 1, 1))
            credit(
                session,
                member_account(crowd_id(index)),
                index * 10**6,
                at(2025, 12, 1),
                f"c{index}",
            )

    run_transaction(engine, work)


def pdf_text(data: bytes, tmp_path: Path, name: str = "report") -> str:
    """``pdftotext -layout`` of the PDF, no-break spaces read as spaces."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(data)
    out = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return out.replace("\u00a0", " ")


def pdf_fonts(data: bytes, tmp_path: Path) -> list[list[str]]:
    """``pdffonts`` rows (name, type, encoding, emb, sub, uni, object, ID) of the PDF."""
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True)
    return [line.split() for line in out.stdout.splitlines()[2:] if line.strip()]


def page_count(text: str) -> int:
    """Pages of a ``pdf_text`` (pdftotext ends each page with a form feed)."""
    return text.count("\f")
