"""Reuse the output of an expensive stage when its inputs have not changed.

An entry is keyed by a digest of everything the stage's output depends on (pins, lock
export, target, prune list, tool versions) and stored complete or not at all. A hit is
copied into staging, so a cached build and a clean build produce the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import __version__

LAYOUT_VERSION = "1"  # bump when what a stage writes changes shape


def stage_key(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in (LAYOUT_VERSION, __version__, *parts):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:40]


def cached_tree(
    cache_root: Path, key: str, destination: Path, produce: Callable[[Path], dict[str, Any]]
) -> tuple[bool, dict[str, Any]]:
    """Fill ``destination`` from the cache or by ``produce`` (then stored).

    Returns (hit, facts): ``facts`` is what ``produce`` reported, kept with the entry so a
    hit reports the same facts as the build that made it.
    """
    entry = cache_root / "stages" / key
    if (entry / "complete").is_file():
        shutil.copytree(entry / "tree", destination, symlinks=True)
        facts: dict[str, Any] = json.loads((entry / "facts.json").read_text(encoding="utf-8"))
        return True, facts
    facts = produce(destination)
    tmp = entry.with_name(f"{key}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(destination, tmp / "tree", symlinks=True)
    (tmp / "facts.json").write_text(json.dumps(facts, sort_keys=True), encoding="utf-8")
    (tmp / "complete").write_text("")
    try:
        os.replace(tmp, entry)
    except OSError:  # another build stored the same entry first
        shutil.rmtree(tmp, ignore_errors=True)
    return False, facts
