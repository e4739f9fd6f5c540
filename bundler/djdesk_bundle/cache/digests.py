"""The digests one build remembers: a file hashed once is looked up by stat afterwards.

A build hashes the same files more than once (a previous payload's tree is checked
before its files are hard-linked into staging, then SHA256SUMS and the SBOM describe
them), and a rebuild hashes again what the build before it hashed. A build therefore
makes one ``Digests`` (``Digests.load``), passes it in its stage context to what hashes,
and saves it at the end: the way git's index remembers what it hashed, keyed by device,
inode, size, mtime and ctime, from one build of an output dir to the next, in a store in
the cache beside that output's up-to-date record (one store per output, so that builds of
other outputs sharing the cache do not push its files out).

The ctime is what makes a key safe: a file deleted and another created in its inode
(archives extracted with the same fixed mtimes do exactly that) gets a new ctime, which
no program can set. Only a file whose last change is safely in the past is remembered
(the "racy git" rule): a write after hashing gives the file a newer ctime, hence another
key, even on a file system whose clock ticks coarsely. A hard link changes the ctime but
not the content, so the linking code carries the digest over (``carry_over``). Commands
that verify (``verify``, ``diff``) make none: they hash every file (``fs/hashing.py``).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from io import BufferedReader
from pathlib import Path

from djdesk_bundle.cache.store import Store
from djdesk_bundle.fs import hashing

SETTLED_NS = 2_000_000_000  # older than this, a file's mtime can only change by a write

Key = tuple[int, int, int, int, int]


def stat_key(info: os.stat_result) -> Key:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


@dataclass
class Digests:
    """What one build hashed (and what the builds of its output before it remembered)."""

    store: Path | None = None  # where ``save`` keeps them; None: forgotten afterwards
    settled_ns: int = SETTLED_NS
    known: dict[Key, str] = field(default_factory=dict)
    used: set[Key] = field(default_factory=set)  # looked up or hashed: what a save keeps
    loaded: set[Key] = field(default_factory=set)

    @classmethod
    def load(cls, store: Path, settled_ns: int = SETTLED_NS) -> Digests:
        """The digests an earlier build with this cache remembered in ``store`` (a damaged
        or missing file only means hashing again)."""
        digests = cls(store, settled_ns)
        try:
            stored = json.loads(Store(store.parent).get_text(store.name) or "")
            entries = {
                (int(dev), int(ino), int(size), int(mtime), int(ctime)): str(digest)
                for dev, ino, size, mtime, ctime, digest in stored["files"]
            }
        except (OSError, ValueError, KeyError, TypeError):
            return digests
        digests.loaded.update(entries)
        digests.known.update(entries)
        return digests

    def save(self) -> None:
        """Store the digests this build used, for the next one (only the files it saw, so
        the store does not grow with every build); nothing is written when nothing is new."""
        if self.store is None or self.used <= self.loaded:
            return
        files = [[*key, self.known[key]] for key in sorted(self.used) if key in self.known]
        # A cache that cannot be written only costs hashing again.
        Store(self.store.parent).put_text(
            self.store.name, json.dumps({"files": files}, separators=(",", ":"))
        )

    def remembered(self, info: os.stat_result) -> str | None:
        """The digest of the regular file ``info`` (an lstat or fstat) describes, if known.
        A stat without a file identity (``os.scandir``'s on Windows has no inode) knows
        none."""
        if not info.st_ino:
            return None
        key = stat_key(info)
        known = self.known.get(key)
        if known is not None:
            self.used.add(key)
        return known

    def _remember(self, info: os.stat_result, digest: str) -> None:
        self.known[stat_key(info)] = digest
        self.used.add(stat_key(info))

    def handle_sha256(self, handle: BufferedReader) -> str:
        """sha256 of an open file, remembered when the file has settled (see above)."""
        info = os.fstat(handle.fileno())
        if (known := self.remembered(info)) is not None:
            return known
        digest = hashing.handle_sha256(handle)
        # (Windows' st_ctime is the creation time: the later of the two is the last change.)
        last_change = max(info.st_mtime_ns, info.st_ctime_ns)
        if info.st_ino and last_change < time.time_ns() - self.settled_ns:
            self._remember(info, digest)
        return digest

    def file_sha256(self, path: Path) -> str:
        with path.open("rb") as handle:
            return self.handle_sha256(handle)

    def carry_over(self, before: os.stat_result, link: str | os.PathLike[str]) -> None:
        """``link`` was just made as a hard link to the file ``before`` describes: same
        content, new ctime. Its digest, if known, stays known."""
        if (known := self.remembered(before)) is not None:
            after = os.lstat(link)
            if after.st_ino == before.st_ino and after.st_mtime_ns == before.st_mtime_ns:
                self._remember(after, known)
