"""The one cache primitive: a folder of entries named by key, each written atomically with
a record of its sha256 (and what its writer wants to remember about it), read back only
when its bytes still have that digest, and evicted least recently used first.

Every cache of the build is a ``Store`` under the cache root: the packed archive members
(``pack``), the stored SBOMs (``sboms``), the remembered ``uv export`` (``uv-exports``),
the secret scan results (``secret-scans``), the remembered file digests (``digests``).
The content-addressed stage trees (``stages``, ``stage_trees.py``) verify whole trees the
same way, by a digest recorded when stored. A cache is never trusted: an entry whose bytes
changed is dropped and made again, and one that cannot be written only costs making it
again. ``djdesk-bundle clean --all`` removes the cache root with all of them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from djdesk_bundle.fs.atomic import temporary_sibling, write_atomic
from djdesk_bundle.fs.hashing import file_sha256


@dataclass(frozen=True)
class Store:
    root: Path  # <cache root>/<name>
    keep: int = 64  # entries kept after a write (least recently used go first)

    @classmethod
    def under(cls, cache_root: Path, name: str, keep: int = 64) -> Store:
        return cls(cache_root / name, keep)

    def _data(self, key: str) -> Path:
        return self.root / key

    def _record(self, key: str) -> Path:
        return self.root / f"{key}.record.json"

    def get_file(self, key: str) -> tuple[Path, dict[str, Any]] | None:
        """The entry's path and what was recorded with it, if its bytes are intact."""
        data, record = self._data(key), self._record(key)
        try:
            facts = json.loads(record.read_text(encoding="utf-8"))
            intact = isinstance(facts, dict) and facts.get("sha256") == file_sha256(data)
        except (OSError, ValueError):
            intact = False
        if not intact:
            self.drop(key)
            return None
        os.utime(record)  # recently used
        return data, facts

    def get_text(self, key: str) -> str | None:
        found = self.get_file(key)
        if found is None:
            return None
        try:
            return found[0].read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            self.drop(key)
            return None

    def put_file(
        self, key: str, write: Callable[[Path], object], **facts: Any
    ) -> tuple[Path, dict[str, Any]] | None:
        """``write`` fills a temporary file (and may return more facts, a dict); it becomes
        the entry with its record. Returns what ``get_file`` would, or None when the cache
        cannot be written (the caller goes on without it)."""
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
            return None
        self.evict()
        return data, facts

    def put_text(self, key: str, text: str, **facts: Any) -> None:
        self.put_file(
            key, lambda path: path.write_text(text, encoding="utf-8", newline="\n"), **facts
        )

    def drop(self, key: str) -> None:
        for path in (self._record(key), self._data(key)):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)

    def evict(self) -> None:
        """Keep the ``keep`` most recently used entries."""
        try:
            records = sorted(
                self.root.glob("*.record.json"), key=lambda p: p.stat().st_mtime, reverse=True
            )
        except OSError:
            return
        for record in records[self.keep :]:
            self.drop(record.name.removesuffix(".record.json"))

    def clean(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
