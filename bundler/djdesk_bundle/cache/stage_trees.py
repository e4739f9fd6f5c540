"""Reuse the output of an expensive stage when its inputs have not changed.

An entry is keyed by a digest of everything the stage's output depends on (pins, lock
export, target, prune list, tool versions) and stored complete or not at all. A hit is
copied into staging, so a cached build and a clean build produce the same bytes.

The cache is not trusted: each entry records the digest of its tree when stored, and a
hit is used only when its tree still has that digest; otherwise (a file edited, added or
removed in the cache) the entry is discarded and the stage runs again.

A rebuild reuses the payload it replaces instead: when the same tree in the previous
payload still has the recorded digest (nobody signed or edited it in place), its files
are hard-linked into staging, which costs no copy. The previous payload is only read, so
an interrupted build leaves it intact; the cache never shares a file with a payload, so
a later in-place change to the output (code signing) cannot reach it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from djdesk_bundle import __version__
from djdesk_bundle.cache.digests import Digests
from djdesk_bundle.fs.atomic import temporary_sibling
from djdesk_bundle.fs.tree import tree_digest

LAYOUT_VERSION = "2"  # bump when what a stage writes changes shape (2: tree digests)


def stage_key(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in (LAYOUT_VERSION, __version__, *parts):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:40]


def _intact(entry: Path, warn: Callable[[str], None], digests: Digests) -> bool:
    """Is this stored entry complete and its tree exactly what was stored?"""
    if not (entry / "complete").is_file():
        return False
    try:
        recorded = (entry / "tree.sha256").read_text(encoding="utf-8").strip()
        ok = tree_digest(entry / "tree", digests) == recorded
    except OSError:
        ok = False
    if not ok:
        warn(f"the cached stage {entry} was modified since it was stored; rebuilding it")
        aside = entry.with_name(f"{entry.name}.bad-{os.getpid()}")
        os.replace(entry, aside)
        shutil.rmtree(aside, ignore_errors=True)
    return ok


def _stored_digest(entry: Path) -> str:
    try:
        if (entry / "complete").is_file():
            return (entry / "tree.sha256").read_text(encoding="utf-8").strip()
    except OSError:
        pass
    return ""


def _same_as_stored(entry: Path, tree: Path, digests: Digests) -> bool:
    """Is ``tree`` (in the previous payload) exactly what this entry stored?"""
    recorded = _stored_digest(entry)
    if not recorded or tree.is_symlink() or not tree.is_dir():
        return False
    try:
        return tree_digest(tree, digests) == recorded
    except OSError:
        return False


def _link_or_copy(digests: Digests) -> Callable[[str, str], None]:
    def link(source: str, destination: str) -> None:
        before = os.lstat(source)
        try:
            os.link(source, destination)
        except OSError:  # a file system without hard links
            shutil.copy2(source, destination)
            return
        digests.carry_over(before, Path(destination))

    return link


def cached_tree(
    cache_root: Path,
    key: str,
    destination: Path,
    produce: Callable[[Path], dict[str, Any]],
    warn: Callable[[str], None] = lambda message: None,
    previous: Path | None = None,
    digests: Digests | None = None,
) -> tuple[bool, dict[str, Any]]:
    """Fill ``destination`` from ``previous`` (the same tree in the payload this build
    replaces, linked), from the cache (copied) or by ``produce`` (then stored).

    Returns (hit, facts): ``facts`` is what ``produce`` reported, kept with the entry so a
    hit reports the same facts as the build that made it.
    """
    entry = cache_root / "stages" / key
    digests = digests if digests is not None else Digests()  # a build passes its own
    if previous is not None and _same_as_stored(entry, previous, digests):
        link = _link_or_copy(digests)
        shutil.copytree(previous, destination, symlinks=True, copy_function=link)
        return True, json.loads((entry / "facts.json").read_text(encoding="utf-8"))
    if _intact(entry, warn, digests):
        shutil.copytree(entry / "tree", destination, symlinks=True)
        facts: dict[str, Any] = json.loads((entry / "facts.json").read_text(encoding="utf-8"))
        return True, facts
    facts = produce(destination)
    tmp = temporary_sibling(entry)
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(destination, tmp / "tree", symlinks=True)
    (tmp / "facts.json").write_text(json.dumps(facts, sort_keys=True), encoding="utf-8")
    (tmp / "tree.sha256").write_text(tree_digest(tmp / "tree", digests) + "\n", encoding="utf-8")
    (tmp / "complete").write_text("")
    try:
        os.replace(tmp, entry)
    except OSError:  # another build stored the same entry first
        shutil.rmtree(tmp, ignore_errors=True)
    return False, facts
