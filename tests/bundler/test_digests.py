from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from djdesk_bundle.cache.digests import Digests, stat_key
from djdesk_bundle.fs.hashing import file_sha256
from djdesk_bundle.fs.tree import regular_file_sha256, tree_digest


def test_file_sha256_streams_large_files(tmp_path: Path) -> None:
    data = bytes(range(256)) * 40_000  # 10 MB: more than one read
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    assert file_sha256(path) == hashlib.sha256(data).hexdigest()
    assert Digests().file_sha256(path) == hashlib.sha256(data).hexdigest()


def _settled(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    old = time.time() - 3600
    os.utime(path, (old, old))


def _fine_clock(store: Path | None = None) -> Digests:
    """A file counts as settled as soon as it was last changed (the real rule waits 2 s
    after its ctime, which utime cannot move back)."""
    return Digests.load(store, settled_ns=0) if store else Digests(settled_ns=0)


def test_a_settled_file_is_hashed_once_and_a_write_is_never_missed(tmp_path: Path) -> None:
    digests = _fine_clock()
    path = tmp_path / "settled.py"
    _settled(path, b"first")
    assert digests.file_sha256(path) == hashlib.sha256(b"first").hexdigest()
    key = stat_key(path.stat())
    assert digests.known[key] == hashlib.sha256(b"first").hexdigest()  # remembered
    # A hard link is the same file: linking carries the digest over to its new ctime.
    before = path.stat()
    os.link(path, tmp_path / "linked.py")
    digests.carry_over(before, tmp_path / "linked.py")
    assert digests.remembered((tmp_path / "linked.py").stat()) == digests.known[key]
    # A write (same size) gives a new mtime and ctime, so a new key: the new content is hashed.
    path.write_bytes(b"other")
    assert digests.file_sha256(path) == hashlib.sha256(b"other").hexdigest()
    linked = regular_file_sha256(tmp_path / "linked.py", digests)
    assert linked == hashlib.sha256(b"other").hexdigest()


def test_what_one_build_hashed_is_known_to_no_other_digests(tmp_path: Path) -> None:
    """No process-wide memory: a build's digests reach only what it passes them to (a
    ``verify`` run in the same process, e.g. by a test, hashes every file itself)."""
    path = tmp_path / "settled.py"
    _settled(path, b"first")
    build = _fine_clock()
    build.file_sha256(path)
    assert build.remembered(path.stat()) is not None
    assert Digests().remembered(path.stat()) is None
    assert not Digests().known


def test_another_file_in_a_reused_inode_is_not_taken_for_the_old_one(tmp_path: Path) -> None:
    """Archives extracted with fixed mtimes put files of the same size and mtime into
    inodes freed by earlier ones: only the ctime (set by the kernel) tells them apart."""
    digests = _fine_clock()
    path = tmp_path / "extracted.py"
    _settled(path, b"first")
    digests.file_sha256(path)
    real = path.stat()
    fields = (real.st_mode, real.st_ino, real.st_dev, real.st_nlink, real.st_uid, real.st_gid)
    times = (real.st_atime, real.st_mtime, real.st_ctime)
    same_but_ctime = os.stat_result(
        (*fields, real.st_size, *times),
        {"st_mtime_ns": real.st_mtime_ns, "st_ctime_ns": real.st_ctime_ns + 1},
    )
    assert digests.remembered(real) == hashlib.sha256(b"first").hexdigest()
    assert digests.remembered(same_but_ctime) is None


def test_a_file_written_just_now_is_not_remembered(tmp_path: Path) -> None:
    # Its ctime could still be shared by a second write within the same clock tick; an
    # mtime set in the past (utime) changes nothing: utime itself changes the ctime.
    digests = Digests()
    path = tmp_path / "fresh.py"
    _settled(path, b"fresh")
    digests.file_sha256(path)
    assert stat_key(path.stat()) not in digests.known


def test_a_build_remembers_digests_for_the_next_one(tmp_path: Path) -> None:
    # Like git's index: what one build process hashed, the next one looks up by stat.
    store, tree = tmp_path / "cache" / "builds" / "out.digests.json", tmp_path / "tree"
    tree.mkdir()
    _settled(tree / "kept.py", b"kept")
    first = _fine_clock(store)
    digest = tree_digest(tree, first)
    first.save()
    second = _fine_clock(store)  # the next build
    assert second.remembered((tree / "kept.py").stat()) == hashlib.sha256(b"kept").hexdigest()
    assert tree_digest(tree, second) == digest
    # An edit of the same size, even with the old mtime put back, is another inode or
    # mtime; here a write keeps the inode and gets a new mtime: it is hashed again.
    (tree / "kept.py").write_bytes(b"edit")
    assert tree_digest(tree, second) != digest


def test_a_damaged_store_only_means_hashing_again(tmp_path: Path) -> None:
    store, path = tmp_path / "out.digests.json", tmp_path / "file.py"
    _settled(path, b"content")
    old_layout = '{"files": [[1, 2, 3, 4, "digest"]]}'  # no ctime: not a key of this store
    for damage in ("{not json", '{"files": [[1, 2]]}', '{"files": 3}', old_layout):
        store.write_text(damage)
        digests = _fine_clock(store)
        assert not digests.known
        assert digests.file_sha256(path) == hashlib.sha256(b"content").hexdigest()


def test_a_run_that_hashed_nothing_new_does_not_rewrite_the_store(tmp_path: Path) -> None:
    stored, path = tmp_path / "out.digests.json", tmp_path / "file.py"
    _settled(path, b"content")
    first = _fine_clock(stored)
    first.file_sha256(path)
    first.save()
    before = stored.stat().st_mtime_ns
    os.utime(stored, ns=(before - 10**9, before - 10**9))
    second = _fine_clock(stored)
    second.file_sha256(path)
    second.save()
    assert stored.stat().st_mtime_ns == before - 10**9
    Digests(settled_ns=0).save()  # one without a store keeps nothing anywhere


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
    digests = Digests()
    digests.known[(0, 0, info.st_size, info.st_mtime_ns, info.st_ctime_ns)] = "another file's"
    assert digests.remembered(info) is None
