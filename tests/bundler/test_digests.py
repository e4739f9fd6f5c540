from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest

from djdesk_bundle.cache import digests
from djdesk_bundle.cache.digests import (
    KNOWN_DIGESTS,
    carry_over,
    file_sha256,
    load_remembered,
    remembered,
    save_remembered,
    stat_key,
)
from djdesk_bundle.fs.tree import regular_file_sha256, tree_digest


def test_file_sha256_streams_large_files(tmp_path: Path) -> None:
    data = bytes(range(256)) * 40_000  # 10 MB: more than one read
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()


def _settled(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    old = time.time() - 3600
    os.utime(path, (old, old))


@pytest.fixture
def fine_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """A file counts as settled as soon as it was last changed (the real rule waits 2 s
    after its ctime, which utime cannot move back)."""
    monkeypatch.setattr(digests, "SETTLED_NS", 0)


def test_a_settled_file_is_hashed_once_and_a_write_is_never_missed(
    tmp_path: Path, fine_clock: None
) -> None:
    path = tmp_path / "settled.py"
    _settled(path, b"first")
    assert file_sha256(path) == hashlib.sha256(b"first").hexdigest()
    key = stat_key(path.stat())
    assert KNOWN_DIGESTS[key] == hashlib.sha256(b"first").hexdigest()  # remembered
    # A hard link is the same file: linking carries the digest over to its new ctime.
    before = path.stat()
    os.link(path, tmp_path / "linked.py")
    carry_over(before, tmp_path / "linked.py")
    assert remembered((tmp_path / "linked.py").stat()) == KNOWN_DIGESTS[key]
    # A write (same size) gives a new mtime and ctime, so a new key: the new content is hashed.
    path.write_bytes(b"other")
    assert file_sha256(path) == hashlib.sha256(b"other").hexdigest()
    assert regular_file_sha256(tmp_path / "linked.py") == hashlib.sha256(b"other").hexdigest()
    KNOWN_DIGESTS.clear()


def test_another_file_in_a_reused_inode_is_not_taken_for_the_old_one(
    tmp_path: Path, fine_clock: None
) -> None:
    """Archives extracted with fixed mtimes put files of the same size and mtime into
    inodes freed by earlier ones: only the ctime (set by the kernel) tells them apart."""
    path = tmp_path / "extracted.py"
    _settled(path, b"first")
    file_sha256(path)
    real = path.stat()
    fields = (real.st_mode, real.st_ino, real.st_dev, real.st_nlink, real.st_uid, real.st_gid)
    times = (real.st_atime, real.st_mtime, real.st_ctime)
    same_but_ctime = os.stat_result(
        (*fields, real.st_size, *times),
        {"st_mtime_ns": real.st_mtime_ns, "st_ctime_ns": real.st_ctime_ns + 1},
    )
    assert remembered(real) == hashlib.sha256(b"first").hexdigest()
    assert remembered(same_but_ctime) is None
    KNOWN_DIGESTS.clear()


def test_a_file_written_just_now_is_not_remembered(tmp_path: Path) -> None:
    # Its ctime could still be shared by a second write within the same clock tick; an
    # mtime set in the past (utime) changes nothing: utime itself changes the ctime.
    path = tmp_path / "fresh.py"
    _settled(path, b"fresh")
    file_sha256(path)
    assert stat_key(path.stat()) not in KNOWN_DIGESTS


def test_a_build_remembers_digests_for_the_next_one(tmp_path: Path, fine_clock: None) -> None:
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


def test_a_damaged_store_only_means_hashing_again(tmp_path: Path, fine_clock: None) -> None:
    store, path = tmp_path / "out.digests.json", tmp_path / "file.py"
    _settled(path, b"content")
    old_layout = '{"files": [[1, 2, 3, 4, "digest"]]}'  # no ctime: not a key of this store
    for damage in ("{not json", '{"files": [[1, 2]]}', '{"files": 3}', old_layout):
        store.write_text(damage)
        KNOWN_DIGESTS.clear()
        load_remembered(store)
        assert file_sha256(path) == hashlib.sha256(b"content").hexdigest()
    KNOWN_DIGESTS.clear()


def test_a_run_that_hashed_nothing_new_does_not_rewrite_the_store(
    tmp_path: Path, fine_clock: None
) -> None:
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
    nanoseconds = {"st_mtime_ns": real.st_mtime_ns, "st_ctime_ns": real.st_ctime_ns}
    info = os.stat_result((*fields, *times), nanoseconds)
    KNOWN_DIGESTS[(0, 0, info.st_size, info.st_mtime_ns, info.st_ctime_ns)] = "another file's"
    assert remembered(info) is None
    KNOWN_DIGESTS.clear()
