"""The one sha256-of-a-file helper: streamed, never the whole file in memory.

A build hashes the same files more than once (a previous payload's tree is checked
before its files are hard-linked into staging, then SHA256SUMS and the SBOM describe
them), and a rebuild hashes again what the build before it hashed. Digests are therefore
remembered the way git's index remembers what it hashed, keyed by device, inode, size,
mtime and ctime: for the life of the process, and from one build of an output dir to the
next, in a store in the cache beside that output's up-to-date record
(``load_remembered``, ``save_remembered``; one store per output, so that builds of other
outputs sharing the cache do not push its files out).

The ctime is what makes a key safe: a file deleted and another created in its inode
(archives extracted with the same fixed mtimes do exactly that) gets a new ctime, which
no program can set. Only a file whose last change is safely in the past is remembered
(the "racy git" rule): a write after hashing gives the file a newer ctime, hence another
key, even on a file system whose clock ticks coarsely. A hard link changes the ctime but
not the content, so the linking code carries the digest over (``carry_over``). Commands
that verify (``verify``, ``diff``) never load what a build remembered.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from io import BufferedReader
from pathlib import Path

from djdesk_bundle.cache.store import Store

SETTLED_NS = 2_000_000_000  # older than this, a file's mtime can only change by a write

Key = tuple[int, int, int, int, int]
KNOWN_DIGESTS: dict[Key, str] = {}
_USED: set[Key] = set()  # looked up or hashed by this process: what a save keeps
_LOADED: set[Key] = set()


def stat_key(info: os.stat_result) -> Key:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


def remembered(info: os.stat_result) -> str | None:
    """The digest of the regular file ``info`` (an lstat or fstat) describes, if known.
    A stat without a file identity (``os.scandir``'s on Windows has no inode) knows none."""
    if not info.st_ino:
        return None
    key = stat_key(info)
    known = KNOWN_DIGESTS.get(key)
    if known is not None:
        _USED.add(key)
    return known


def handle_sha256(handle: BufferedReader) -> str:
    """sha256 of an open file, remembered when the file has settled (see above)."""
    info = os.fstat(handle.fileno())
    if (known := remembered(info)) is not None:
        return known
    digest = hashlib.file_digest(handle, "sha256").hexdigest()
    # (Windows' st_ctime is the creation time: the later of the two is the last change.)
    last_change = max(info.st_mtime_ns, info.st_ctime_ns)
    if info.st_ino and last_change < time.time_ns() - SETTLED_NS:
        KNOWN_DIGESTS[stat_key(info)] = digest
        _USED.add(stat_key(info))
    return digest


def carry_over(before: os.stat_result, link: Path) -> None:
    """``link`` was just made as a hard link to the file ``before`` describes: same
    content, new ctime. Its digest, if known, stays known."""
    if (known := remembered(before)) is not None:
        after = os.lstat(link)
        if after.st_ino == before.st_ino and after.st_mtime_ns == before.st_mtime_ns:
            KNOWN_DIGESTS[stat_key(after)] = known
            _USED.add(stat_key(after))


def file_sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return handle_sha256(handle)


def load_remembered(store: Path) -> None:
    """Add the digests an earlier build with this cache remembered (a damaged or missing
    file only means hashing again). Starts what the next save keeps afresh."""
    _USED.clear()
    _LOADED.clear()
    try:
        stored = json.loads(Store(store.parent).get_text(store.name) or "")
        entries = {
            (int(dev), int(ino), int(size), int(mtime), int(ctime)): str(digest)
            for dev, ino, size, mtime, ctime, digest in stored["files"]
        }
    except (OSError, ValueError, KeyError, TypeError):
        return
    _LOADED.update(entries)
    for key, digest in entries.items():
        KNOWN_DIGESTS.setdefault(key, digest)


def save_remembered(store: Path) -> None:
    """Store the digests this process used, for the next build (only the files it saw, so
    the store does not grow with every build); nothing is written when nothing is new."""
    if _USED <= _LOADED:
        return
    files = [[*key, KNOWN_DIGESTS[key]] for key in sorted(_USED) if key in KNOWN_DIGESTS]
    # A cache that cannot be written only costs hashing again.
    Store(store.parent).put_text(store.name, json.dumps({"files": files}, separators=(",", ":")))
