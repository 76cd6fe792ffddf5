"""Files the commands write (``report quarterly --pdf``, ``statement -o``): whole or not
at all, and a clear refusal (exit 73) when the path cannot be written."""

from __future__ import annotations

import os
from pathlib import Path

from systok.errors import ReportFileUnwritable


def write_file(path: Path, data: bytes, option: str) -> None:
    """Write ``data`` to ``path`` whole or not at all: a sibling temporary file, then an
    atomic rename, so a reader never sees half a PDF.

    Raises:
        ReportFileUnwritable: naming ``option`` (the command's flag) and the reason —
            no such directory, no permission, a directory in the way.
    """
    partial = path.with_name(f".{path.name}.part")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise ReportFileUnwritable(
            f"{option}: cannot write {str(path)!r} ({error.strerror or error})"
        ) from None
