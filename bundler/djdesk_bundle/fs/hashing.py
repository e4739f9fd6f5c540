"""The one sha256-of-a-file helper: streamed, never the whole file in memory, and
remembering nothing (a build's ``Digests`` remembers; everything else calls this)."""

from __future__ import annotations

import hashlib
from io import BufferedReader
from pathlib import Path


def handle_sha256(handle: BufferedReader) -> str:
    return hashlib.file_digest(handle, "sha256").hexdigest()


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return handle_sha256(handle)
