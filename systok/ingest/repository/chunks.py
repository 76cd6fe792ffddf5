"""Statements over many keys or rows go in chunks: one size for every ingest query."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

INSERT_CHUNK_ROWS = 1000
"""Rows per INSERT: 16 columns × 1000 stays under SQLite's bound-variable limit."""


def chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """Slices of at most INSERT_CHUNK_ROWS items (bound-variable limits, memory)."""
    for start in range(0, len(items), INSERT_CHUNK_ROWS):
        yield items[start : start + INSERT_CHUNK_ROWS]
