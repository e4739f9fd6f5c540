"""The one sha256-of-a-file helper: streamed, never the whole file in memory, and
remembering nothing (a build's ``Digests`` remembers; everything else calls this)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import IO, cast


def handle_sha256(handle: IO[bytes]) -> str:
    """sha256 of an open binary file (or a tar member: it reads as a buffered file)."""
    return hashlib.file_digest(cast(io.BufferedReader, handle), "sha256").hexdigest()


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return handle_sha256(handle)
