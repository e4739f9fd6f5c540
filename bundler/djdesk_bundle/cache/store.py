"""The one cache primitive: a folder of entries named by key, each written atomically with
a record of its digest (and what its writer wants to remember about it), read back only
when it still has that digest, and evicted least recently used first.

An entry is a file (``KEY`` beside ``KEY.record.json``: its sha256) or a tree (a folder
``KEY/`` holding ``tree/`` and ``record.json``: the tree's digest, its size and the
writer's facts, moved into place by one rename). Every cache of the build is a ``Store``
under the cache root: the packed archive members (``pack``), the stored SBOMs (``sboms``),
the remembered ``uv export`` (``uv-exports``), the secret scan results (``secret-scans``),
the remembered file digests (``builds``) and the stage trees (``stages``, trees:
``stage_trees.py``). A cache is never trusted: an entry whose bytes changed is dropped and
made again, and one that cannot be written only costs making it again. ``djdesk-bundle
clean --all`` removes the cache root with all of them.

Builds in other processes share a store. A build copying a tree out holds the store's
``.lock`` shared, and an entry is evicted or dropped only under it held exclusively, by a
rename out of the way (deleted after the lock is released): a copy under way is never cut
short, and a build that finds an entry gone makes it again. When a copy is under way the
eviction waits for the next write (the bound may be passed by what was in use).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from djdesk_bundle.fs.atomic import temporary_sibling, write_atomic
from djdesk_bundle.fs.hashing import file_sha256, handle_sha256
from djdesk_runtime.locking import EXCLUSIVE, SHARED, DataDirLock

TREE, TREE_RECORD = "tree", "record.json"  # inside a tree entry's folder
LOCK = ".lock"  # the store's lock: shared while a tree is copied out, exclusive to evict
READ_WAIT = 30.0  # seconds a reader waits for an eviction (a few renames) to finish


def tree_bytes(root: Path) -> int:
    """The size of a tree's files (links not followed)."""
    total = 0
    for folder, _, files in os.walk(root):
        total += sum(os.lstat(os.path.join(folder, name)).st_size for name in files)
    return total


@contextlib.contextmanager
def _holding(lock_path: Path, how: str, wait: float) -> Iterator[bool]:
    """Hold ``lock_path`` ``how`` (the launcher's OS lock: it goes with a killed process),
    waiting up to ``wait`` seconds; yields whether it is held."""
    try:
        lock = DataDirLock(lock_path, wait, lambda message: None)
    except OSError:  # no store (yet), or one that cannot be written
        yield False
        return
    with lock:
        deadline = time.monotonic() + wait
        while not lock.try_hold(how):
            if time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        yield lock.held == how


def _owner_pid(name: str) -> int | None:
    """The process that names a temporary (``temporary_sibling``) or a set-aside tree."""
    if ".tmp-" in name:
        owner = name.rpartition(".tmp-")[2]
    elif name.startswith(".evicted-"):
        owner = name.rpartition("-")[2]
    else:
        return None
    return int(owner) if owner.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


@dataclass(frozen=True)
class Store:
    root: Path  # <cache root>/<name>
    keep: int = 64  # entries kept after a write (least recently used go first)
    max_bytes: int | None = None  # and at most this many bytes of them (the newest always)

    @classmethod
    def under(
        cls, cache_root: Path, name: str, keep: int = 64, max_bytes: int | None = None
    ) -> Store:
        return cls(cache_root / name, keep, max_bytes)

    def _data(self, key: str) -> Path:
        return self.root / key

    def _record(self, key: str) -> Path:
        return self.root / f"{key}.record.json"

    @contextlib.contextmanager
    def open_file(self, key: str) -> Iterator[tuple[BinaryIO, dict[str, Any]] | None]:
        """The entry opened for reading (at its start) and what was recorded with it, if its
        bytes are intact, else None. Read from the handle, not by path: an eviction by
        another build meanwhile unlinks the name, and the open file reads on."""
        data, record = self._data(key), self._record(key)
        try:
            handle: BinaryIO | None = data.open("rb")
        except OSError:
            handle = None
        try:
            facts = self._intact_facts(handle, record)
            if handle is None or facts is None:
                self.drop(key)
                yield None
                return
            with contextlib.suppress(OSError):
                os.utime(record)  # recently used
            yield handle, facts
        finally:
            if handle is not None:
                handle.close()

    @staticmethod
    def _intact_facts(handle: BinaryIO | None, record: Path) -> dict[str, Any] | None:
        if handle is None:
            return None
        try:
            facts = json.loads(record.read_text(encoding="utf-8"))
            digest = handle_sha256(handle)
            handle.seek(0)
        except (OSError, ValueError):
            return None
        return facts if isinstance(facts, dict) and facts.get("sha256") == digest else None

    def get_text(self, key: str) -> str | None:
        with self.open_file(key) as found:
            if found is None:
                return None
            try:
                return found[0].read().decode("utf-8")
            except (OSError, UnicodeDecodeError):
                pass
        self.drop(key)
        return None

    def put_file(self, key: str, write: Callable[[Path], object], **facts: Any) -> bool:
        """``write`` fills a temporary file (and may return more facts, a dict); it becomes
        the entry with its record. False when the cache cannot be written (the caller goes
        on without it)."""
        data = self._data(key)
        partial = temporary_sibling(data)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            learned = write(partial)
            if isinstance(learned, dict):
                facts = {**facts, **learned}
            facts = {**facts, "sha256": file_sha256(partial)}
            os.replace(partial, data)
            write_atomic(self._record(key), json.dumps(facts, sort_keys=True))
        except OSError:
            with contextlib.suppress(OSError):
                partial.unlink(missing_ok=True)
            return False
        self.evict()
        return True

    def put_text(self, key: str, text: str, **facts: Any) -> None:
        self.put_file(
            key, lambda path: path.write_text(text, encoding="utf-8", newline="\n"), **facts
        )

    def recorded_tree(self, key: str) -> tuple[str, dict[str, Any]] | None:
        """The digest recorded for a tree entry and its facts, not checked against the tree
        (for a caller that compares another tree with it)."""
        try:
            record = json.loads((self.root / key / TREE_RECORD).read_text(encoding="utf-8"))
            return str(record["tree_sha256"]), dict(record["facts"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def get_tree(
        self,
        key: str,
        copy_out: Callable[[Path], object],
        digest: Callable[[Path], str],
        warn: Callable[[str], None] = lambda message: None,
    ) -> dict[str, Any] | None:
        """``copy_out(tree)`` when the entry's tree still has the ``digest`` recorded when it
        was stored, under the store's lock held shared (nothing evicts it meanwhile); the
        writer's facts. A damaged entry is dropped, saying so; None when there is none."""
        entry = self.root / key
        if not entry.is_dir():
            return None
        with _holding(self.root / LOCK, SHARED, READ_WAIT) as held:
            if not held or not entry.is_dir():
                return None  # evicted meanwhile (or the lock not had: as good as missing)
            found = self.recorded_tree(key)
            try:
                intact = found is not None and digest(entry / TREE) == found[0]
            except OSError:
                intact = False
            if found is not None and intact:
                copy_out(entry / TREE)
                with contextlib.suppress(OSError):
                    os.utime(entry / TREE_RECORD)  # recently used
                return found[1]
        warn(f"the cached stage {entry} was modified since it was stored; rebuilding it")
        self.drop(key)
        return None

    def put_tree(
        self,
        key: str,
        fill: Callable[[Path], object],
        digest: Callable[[Path], str],
        facts: dict[str, Any],
    ) -> bool:
        """``fill`` writes a tree into a temporary folder, which becomes the entry (with the
        tree's ``digest``, its size and ``facts``) by one rename. False when it was not
        stored: another build stored it first, or the cache cannot be written."""
        entry = self.root / key
        partial = temporary_sibling(entry)
        try:
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
            fill(partial / TREE)
            record = {
                "tree_sha256": digest(partial / TREE),
                "bytes": tree_bytes(partial / TREE),
                "facts": facts,
            }
            (partial / TREE_RECORD).write_text(json.dumps(record, sort_keys=True), "utf-8")
            os.rename(partial, entry)  # fails when the entry exists: never half replaced
        except OSError:
            shutil.rmtree(partial, ignore_errors=True)
            return False
        self.evict()
        return True

    def drop(self, key: str) -> None:
        with _holding(self.root / LOCK, EXCLUSIVE, 0) as held:
            aside = self._set_aside(key) if held else None
        self._delete(aside)

    def evict(self) -> None:
        """Keep the ``keep`` most recently used entries, and no more than ``max_bytes`` of
        them; nothing while a build copies a tree out (the next write evicts)."""
        with _holding(self.root / LOCK, EXCLUSIVE, 0) as held:
            kept, total, aside = 0, 0, []
            for key, size in self._entries() if held else []:
                within = self.max_bytes is None or total + size <= self.max_bytes
                if kept < self.keep and (within or kept == 0):
                    kept, total = kept + 1, total + size
                else:
                    aside.append(self._set_aside(key))
            if held:
                aside.extend(self._left_by_dead_builds())
        for path in aside:
            self._delete(path)

    def _left_by_dead_builds(self) -> list[Path]:
        """The temporaries (``*.tmp-PID``) and set-aside trees (``.evicted-KEY-PID``) of
        builds that were killed before they could remove them: nothing else ever would."""
        left = []
        for path in self.root.iterdir():
            owner = _owner_pid(path.name)
            if owner is not None and not _alive(owner):
                if path.is_dir() and not path.is_symlink():
                    left.append(path)
                else:
                    with contextlib.suppress(OSError):
                        path.unlink()
        return left

    def _entries(self) -> list[tuple[str, int]]:
        """(key, size) of every entry, the most recently used first."""
        found: list[tuple[float, str, int]] = []
        for record in [*self.root.glob("*.record.json"), *self.root.glob(f"*/{TREE_RECORD}")]:
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                if record.name == TREE_RECORD:
                    key = record.parent.name
                    size = int(json.loads(record.read_text(encoding="utf-8"))["bytes"])
                else:
                    key = record.name.removesuffix(".record.json")
                    size = self._data(key).stat().st_size
                if not key.startswith("."):
                    found.append((record.stat().st_mtime, key, size))
        return [(key, size) for _, key, size in sorted(found, reverse=True)]

    def _set_aside(self, key: str) -> Path | None:
        """Take an entry out of the store at once (under the exclusive lock): a file entry
        is unlinked (a reader that opened it reads on), a tree is renamed to a name no
        reader looks for, returned to be deleted once the lock is released."""
        data = self._data(key)
        if not data.is_dir():
            for path in (self._record(key), data):
                with contextlib.suppress(OSError):
                    path.unlink(missing_ok=True)
            return None
        aside = self.root / f".evicted-{key}-{os.getpid()}"
        try:
            os.rename(data, aside)
        except OSError:
            return None
        return aside

    @staticmethod
    def _delete(aside: Path | None) -> None:
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)

    def clean(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
