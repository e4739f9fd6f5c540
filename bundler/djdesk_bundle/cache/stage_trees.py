"""Reuse the output of an expensive stage when its inputs have not changed.

An entry is keyed by a digest of everything the stage's output depends on (pins, lock
export, target, prune list, tool versions) and stored complete or not at all. A hit is
copied into staging, so a cached build and a clean build produce the same bytes.

The entries are trees of ``cache/store.py``'s ``Store`` (``stages/``), which is not
trusted: each entry records the digest of its tree when stored, and a hit is used only
when its tree still has that digest; otherwise (a file edited, added or removed in the
cache) the entry is discarded and the stage runs again. The store keeps the most recently
used entries (``STAGES_KEPT``, at most ``STAGES_MAX_BYTES``), and never evicts one that
another build is copying out.

A rebuild reuses the payload it replaces instead: when the same tree in the previous
payload still has the recorded digest (nobody signed or edited it in place), its files
are hard-linked into staging, which costs no copy. The previous payload is only read, so
an interrupted build leaves it intact; the cache never shares a file with a payload, so
a later in-place change to the output (code signing) cannot reach it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from djdesk_bundle import __version__
from djdesk_bundle.cache.digests import Digests
from djdesk_bundle.cache.store import Store
from djdesk_bundle.fs.tree import tree_digest

LAYOUT_VERSION = "3"  # bump when what a stage writes changes shape (3: a Store's trees)
STAGES_KEPT = 24  # an interpreter, its dependencies and a template database per target
STAGES_MAX_BYTES = 4 << 30


def stages_store(cache_root: Path) -> Store:
    return Store.under(cache_root, "stages", keep=STAGES_KEPT, max_bytes=STAGES_MAX_BYTES)


def stage_key(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in (LAYOUT_VERSION, __version__, *parts):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:40]


def _link_previous(recorded: str, tree: Path, destination: Path, digests: Digests) -> bool:
    """Hard-link ``tree`` (in the previous payload) into ``destination`` if it is exactly
    what the entry stored: one walk that hashes (by remembered digests, mostly) and links
    as it goes; a tree that turns out to differ is removed again."""
    if tree.is_symlink() or not tree.is_dir():
        return False
    source, target = str(tree), str(destination)
    modes = [(target, stat.S_IMODE(tree.stat().st_mode))]

    def link(path: str, info: os.stat_result, what: str) -> None:
        here, there = os.path.join(source, path), os.path.join(target, path)
        if what == "directory":
            os.mkdir(there)
            modes.append((there, stat.S_IMODE(info.st_mode)))
        elif what == "symlink":
            os.symlink(os.readlink(here), there)
        elif what != "file":
            raise OSError(f"{here} is a {what}: no stage tree holds one")
        else:
            try:
                os.link(here, there)
            except OSError:  # a file system without hard links
                shutil.copy2(here, there)
                return
            digests.carry_over(info, there)  # the same content under a new ctime

    try:
        destination.mkdir()
        if tree_digest(tree, digests, link) == recorded:
            # Modes as copytree sets them (whatever the umask), once the folders are filled.
            for folder, mode in reversed(modes):
                os.chmod(folder, mode)
            return True
    except OSError:
        pass
    shutil.rmtree(destination, ignore_errors=True)
    return False


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
    store = stages_store(cache_root)
    digests = digests if digests is not None else Digests()  # a build passes its own
    recorded = store.recorded_tree(key)
    if (
        previous is not None
        and recorded
        and _link_previous(recorded[0], previous, destination, digests)
    ):
        return True, recorded[1]

    def digest(tree: Path) -> str:
        return tree_digest(tree, digests)

    def copy_out(tree: Path) -> None:
        shutil.copytree(tree, destination, symlinks=True)

    facts = store.get_tree(key, copy_out, digest, warn)
    if facts is not None:
        return True, facts
    facts = produce(destination)

    def fill(tree: Path) -> None:
        shutil.copytree(destination, tree, symlinks=True)

    store.put_tree(key, fill, digest, facts)  # not stored: it only costs making it again
    return False, facts
