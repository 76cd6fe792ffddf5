"""File imports, for backfills and exports from other systems (one JSON object a line).

``systok events import FILE`` feeds every line to the ingest service as a non-live
record (history is accepted), in chunks of one unit of work each, so a very large file
neither holds one giant transaction nor loses what was imported if it stops halfway
(re-running it counts the imported lines as duplicates).

``systok members import FILE`` stores each member's aliases and effective-dated history
(qualification levels from a date; paid membership periods ``[from, to)``). A later line
for the same id replaces its history. See docs/ingestion-files.md for both formats.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from systok.clock import now_us
from systok.core.policy import Policy
from systok.db.engine import run_transaction
from systok.errors import ImportFileError
from systok.ingest import repository as repo
from systok.ingest.schemas import MEMBER_ID_LENGTH_MAX, MEMBERS_SOURCE, MemberRecord, alias_names
from systok.ingest.service import Ingestor, Outcome
from systok.ingest.storable import (
    SOURCE_ID_LENGTH_MAX,
    SOURCE_LENGTH_MAX,
    normalized_identifier,
    storable_raw,
    unstorable_text,
)

EVENTS_PER_UNIT = 5_000
"""Lines per unit of work when importing events."""


@dataclass
class ImportReport:
    """Counts of an import and the first refused lines (line number, field, reason)."""

    accepted: int = 0
    duplicate: int = 0
    conflict: int = 0
    quarantined: int = 0
    attributed: int = 0
    problems: list[tuple[int, str | None, str]] = field(default_factory=list)

    @property
    def received(self) -> int:
        return self.accepted + self.duplicate + self.conflict + self.quarantined


PROBLEMS_KEPT = 20


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    yield number, line.rstrip("\n")
    except FileNotFoundError:
        raise ImportFileError(f"file {path} does not exist") from None
    except UnicodeDecodeError as error:
        raise ImportFileError(f"file {path} is not UTF-8 text: {error}") from None


def import_events(
    engine: Engine,
    path: Path,
    policy: Policy,
    *,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import an events file (JSON lines); history is accepted (not a live source)."""
    report = ImportReport()
    chunk: list[tuple[int, str]] = []

    def flush() -> None:
        if not chunk:
            return
        batch = run_transaction(
            engine,
            lambda session: Ingestor(session, policy=policy).ingest(
                [line for _, line in chunk], source=f"file:{path.name}", live=False
            ),
        )
        for (number, _), result in zip(chunk, batch.results, strict=True):
            if result.outcome is Outcome.ACCEPTED:
                report.accepted += 1
            elif result.outcome is Outcome.DUPLICATE:
                report.duplicate += 1
            elif result.outcome is Outcome.CONFLICT:
                report.conflict += 1
                if len(report.problems) < PROBLEMS_KEPT:
                    report.problems.append((number, result.field, result.reason or ""))
            else:
                report.quarantined += 1
                if len(report.problems) < PROBLEMS_KEPT:
                    report.problems.append((number, result.field, result.reason or ""))
        if progress:
            progress(len(chunk))
        chunk.clear()

    for number, line in _lines(path):
        chunk.append((number, line))
        if len(chunk) >= EVENTS_PER_UNIT:
            flush()
    flush()
    return report


def import_members(engine: Engine, path: Path) -> ImportReport:
    """Import a members file: each valid line replaces that member's history and links aliases."""
    return import_member_lines(engine, _lines(path))


MEMBER_LINES_PER_UNIT = 500
"""Member lines per unit of work. A refused line never raises (it is quarantined), so
lines can share a transaction; an unexpected error rolls back only its chunk, and
importing the file again counts what was stored as duplicates."""


def import_member_lines(engine: Engine, numbered_lines: Iterable[tuple[int, str]]) -> ImportReport:
    """Import member records given as (line number, JSON text), in chunks."""
    report = ImportReport()

    def chunk_of(session: Session, chunk: list[tuple[int, str]]) -> list[MemberLineOutcome]:
        decoded = [_decode(line) for _, line in chunk]
        known = _ChunkState.prefetch(session, decoded)
        return [
            _import_member_line(session, line=line, data=data, known=known)
            for (_, line), data in zip(chunk, decoded, strict=True)
        ]

    chunk: list[tuple[int, str]] = []

    def flush() -> None:
        outcomes = run_transaction(engine, partial(chunk_of, chunk=list(chunk)))
        for (number, _), (status, field_name, reason, attributed) in zip(
            chunk, outcomes, strict=True
        ):
            report.attributed += attributed
            if status == "accepted":
                report.accepted += 1
            elif status == "duplicate":
                report.duplicate += 1
            else:
                report.quarantined += 1
                if len(report.problems) < PROBLEMS_KEPT:
                    report.problems.append((number, field_name, reason))
        chunk.clear()

    for numbered in numbered_lines:
        chunk.append(numbered)
        if len(chunk) >= MEMBER_LINES_PER_UNIT:
            flush()
    if chunk:
        flush()
    return report


MemberLineOutcome = tuple[str, str | None, str, int]


@dataclass
class _ChunkState:
    """What the database holds for a chunk's members and aliases, read in a few queries.

    Kept current as the chunk's lines write, so a later line sees an earlier one's
    member and aliases. It lets a line skip the work that cannot change anything:
    attributing events to an alias nothing waits for, reading a new member's history.
    """

    members: set[str]
    owners: dict[tuple[str, str], str]
    waiting: set[tuple[str, str]]
    open_lines: set[str]

    @classmethod
    def prefetch(cls, session: Session, decoded: list[Any]) -> _ChunkState:
        ids: set[str] = set()
        pairs: set[tuple[str, str]] = set()
        for data in decoded:
            if isinstance(data, dict):
                member_id = _lookup_key(data.get("id"), MEMBER_ID_LENGTH_MAX)
                if member_id is not None:
                    ids.add(member_id)
                aliases = data.get("aliases")
                if isinstance(aliases, dict):
                    for key, value in aliases.items():
                        source = _lookup_key(key, SOURCE_LENGTH_MAX)
                        if source is None:
                            continue  # the line is refused when it is validated
                        try:
                            pairs.update((source, n) for n in alias_names(source, value))
                        except ValueError:
                            continue  # the line is refused when it is validated
        return cls(
            members=repo.existing_members(session, ids),
            owners=repo.linked_aliases(session, pairs),
            waiting=repo.aliases_with_waiting_events(session, pairs),
            open_lines=repo.members_with_open_lines(session, ids),
        )


def _lookup_key(value: Any, length_max: int) -> str | None:
    """``value`` as the line's validation will store it (NFC), or None when it will be
    refused: only such values may go into a prefetch query (PostgreSQL refuses NUL)."""
    if not isinstance(value, str):
        return None
    try:
        return normalized_identifier(value, length_max)
    except ValueError:
        return None


def _decode(line: str) -> Any:
    """A line's JSON value, or the JSONDecodeError that refuses it (parsed once a line)."""
    try:
        return json.loads(line)
    except json.JSONDecodeError as error:
        return error
    except (ValueError, RecursionError) as error:  # 4 300+ digit integers, deep nesting
        return json.JSONDecodeError(str(error) or "nested too deeply", line, 0)


def _import_member_line(
    session: Session, *, line: str, data: Any, known: _ChunkState
) -> MemberLineOutcome:
    now = now_us()

    def refuse(field_name: str | None, reason: str, member_id: str | None) -> MemberLineOutcome:
        repo.keep_in_quarantine(
            session,
            [
                {
                    "source": MEMBERS_SOURCE,
                    "source_event_id": member_id
                    if isinstance(member_id, str)
                    and len(member_id) <= SOURCE_ID_LENGTH_MAX
                    and unstorable_text(member_id) is None
                    else None,
                    "field": field_name,
                    "reason": reason,
                    "raw": storable_raw(line),
                    "live": False,
                    "received_at_us": now,
                    "attempts": 1,
                    "status": "open",
                    "event_id": None,
                }
            ],
        )
        return "quarantined", field_name, reason, 0

    if isinstance(data, json.JSONDecodeError):
        return refuse(None, f"malformed JSON: {data.msg} at column {data.colno}", None)
    try:
        record = MemberRecord.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        return refuse(
            ".".join(str(p) for p in first["loc"]) or None,
            "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()),
            data.get("id") if isinstance(data, dict) else None,
        )
    try:
        qualifications, memberships = record.history()
    except ValueError as error:
        return refuse("history", str(error), record.id)
    owners = {
        (source, alias): known.owners.get((source, alias)) for source, alias in record.alias_pairs()
    }
    for (source, alias), owner in owners.items():
        if owner is not None and owner != record.id:
            return refuse(
                f"aliases.{source}",
                f"alias {source}:{alias} already belongs to member {owner!r}",
                record.id,
            )
    is_new = record.id not in known.members
    # Mutation ahead: the line is valid and conflicts with nothing.
    if is_new:
        repo.ensure_member(session, record.id, now)
        known.members.add(record.id)
    unchanged = (
        (qualifications, memberships) == ([], [])
        if is_new
        else repo.member_history(session, record.id) == (qualifications, memberships)
    )
    attributed = 0
    for (source, alias), owner in owners.items():
        if owner is None:
            repo.insert_alias(session, source, alias, record.id)
            known.owners[(source, alias)] = record.id
        if (source, alias) in known.waiting:
            attributed += repo.attribute_events(session, source, alias, record.id)
            known.waiting.discard((source, alias))
    new_alias = any(owner is None for owner in owners.values())
    if not unchanged:
        repo.replace_member_history(session, record.id, qualifications, memberships)
    if record.id in known.open_lines:
        repo.resolve_open_member_lines(session, record.id)
        known.open_lines.discard(record.id)
    status = "duplicate" if unchanged and not new_alias and not is_new else "accepted"
    return status, None, "", attributed
