from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from djdesk_bundle.digests import (
    KNOWN_DIGESTS,
    file_sha256,
    load_remembered,
    remembered,
    save_remembered,
)
from djdesk_bundle.tree import regular_file_sha256, tree_digest


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


def _settled(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    old = time.time() - 3600
    os.utime(path, (old, old))


def test_a_build_remembers_digests_for_the_next_one(tmp_path: Path) -> None:
    # Like git's index: what one build process hashed, the next one looks up by stat.
    store, tree = tmp_path / "cache" / "builds" / "out.digests.json", tmp_path / "tree"
    tree.mkdir()
    _settled(tree / "kept.py", b"kept")
    load_remembered(store)
    digest = tree_digest(tree)
    save_remembered(store)
    KNOWN_DIGESTS.clear()  # a new process
    load_remembered(store)
    assert remembered((tree / "kept.py").stat()) == hashlib.sha256(b"kept").hexdigest()
    assert tree_digest(tree) == digest
    # An edit of the same size, even with the old mtime put back, is another inode or
    # mtime; here a write keeps the inode and gets a new mtime: it is hashed again.
    (tree / "kept.py").write_bytes(b"edit")
    assert tree_digest(tree) != digest
    KNOWN_DIGESTS.clear()


def test_a_damaged_store_only_means_hashing_again(tmp_path: Path) -> None:
    store, path = tmp_path / "out.digests.json", tmp_path / "file.py"
    _settled(path, b"content")
    for damage in ("{not json", '{"files": [[1, 2]]}', '{"files": 3}'):
        store.write_text(damage)
        KNOWN_DIGESTS.clear()
        load_remembered(store)
        assert file_sha256(path) == hashlib.sha256(b"content").hexdigest()
    KNOWN_DIGESTS.clear()


def test_a_run_that_hashed_nothing_new_does_not_rewrite_the_store(tmp_path: Path) -> None:
    stored, path = tmp_path / "out.digests.json", tmp_path / "file.py"
    _settled(path, b"content")
    load_remembered(stored)
    file_sha256(path)
    save_remembered(stored)
    before = stored.stat().st_mtime_ns
    os.utime(stored, ns=(before - 10**9, before - 10**9))
    load_remembered(stored)
    file_sha256(path)
    save_remembered(stored)
    assert stored.stat().st_mtime_ns == before - 10**9
    KNOWN_DIGESTS.clear()


def test_a_stat_without_a_file_identity_is_never_looked_up(tmp_path: Path) -> None:
    # os.scandir's stat on Windows has st_ino = st_dev = 0: two files of the same size and
    # mtime would share a key, so such a stat finds nothing.
    path = tmp_path / "file.py"
    _settled(path, b"one")
    real = path.stat()
    fields = (real.st_mode, 0, 0, real.st_nlink, real.st_uid, real.st_gid, real.st_size)
    times = (real.st_atime, real.st_mtime, real.st_ctime)
    info = os.stat_result((*fields, *times), {"st_mtime_ns": real.st_mtime_ns})
    KNOWN_DIGESTS[(0, 0, info.st_size, info.st_mtime_ns)] = "the digest of another file"
    assert remembered(info) is None
    KNOWN_DIGESTS.clear()
