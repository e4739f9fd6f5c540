"""The one sha256-of-a-file helper: streamed, never the whole file in memory.

A build hashes the same files more than once (a previous payload's tree is checked
before its files are hard-linked into staging, then SHA256SUMS and the SBOM describe
them), so digests are remembered for the life of the process, keyed by device, inode,
size and mtime. Only a file whose mtime is safely in the past is remembered (the "racy
git" rule): a write after hashing gives the file a newer mtime, hence another key,
even on a file system whose clock ticks coarsely.
"""

from __future__ import annotations

import hashlib
import os
import time
from io import BufferedReader
from pathlib import Path

SETTLED_NS = 2_000_000_000  # older than this, a file's mtime can only change by a write

KNOWN_DIGESTS: dict[tuple[int, int, int, int], str] = {}


def handle_sha256(handle: BufferedReader) -> str:
    """sha256 of an open file, remembered when the file has settled (see above)."""
    info = os.fstat(handle.fileno())
    key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
    if (known := KNOWN_DIGESTS.get(key)) is not None:
        return known
    digest = hashlib.file_digest(handle, "sha256").hexdigest()
    if info.st_mtime_ns < time.time_ns() - SETTLED_NS:
        KNOWN_DIGESTS[key] = digest
    return digest


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return handle_sha256(handle)
