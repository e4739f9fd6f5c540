from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from djdesk_bundle.digests import KNOWN_DIGESTS, file_sha256
from djdesk_bundle.tree import regular_file_sha256


def test_file_sha256_streams_large_files(tmp_path: Path) -> None:
    data = bytes(range(256)) * 40_000  # 10 MB: more than one read
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()


def test_a_settled_file_is_hashed_once_and_a_write_is_never_missed(tmp_path: Path) -> None:
    path = tmp_path / "settled.py"
    path.write_bytes(b"first")
    old = time.time() - 3600
    os.utime(path, (old, old))
    assert file_sha256(path) == hashlib.sha256(b"first").hexdigest()
    info = path.stat()
    key = (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
    assert KNOWN_DIGESTS[key] == hashlib.sha256(b"first").hexdigest()  # remembered
    # The tree walk (stage cache, verify) reuses it: a hard link is the same file.
    os.link(path, tmp_path / "linked.py")
    assert regular_file_sha256(tmp_path / "linked.py") == KNOWN_DIGESTS[key]
    # A write (same size) gives a new mtime, so a new key: the new content is hashed.
    path.write_bytes(b"other")
    assert file_sha256(path) == hashlib.sha256(b"other").hexdigest()
    assert regular_file_sha256(tmp_path / "linked.py") == hashlib.sha256(b"other").hexdigest()


def test_a_file_written_just_now_is_not_remembered(tmp_path: Path) -> None:
    # Its mtime could still be shared by a second write within the same clock tick.
    path = tmp_path / "fresh.py"
    path.write_bytes(b"fresh")
    file_sha256(path)
    info = path.stat()
    assert (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns) not in KNOWN_DIGESTS
