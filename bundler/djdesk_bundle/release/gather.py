"""Gather the per-target release directories of the build jobs into one release directory.

Each build job uploads a flat directory (installers, blockmaps, payload archive, SBOMs and
its own ``latest*.yml``). Files are copied as they are; two different files with one name
stop the release (one would silently replace the other on upload). The feeds of all
targets are merged into one per channel file (:mod:`.feeds`).
"""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

from djdesk_bundle.release.feeds import Feed, FeedConflict, is_feed, merge_files


def gather(target_dirs: list[Path], output: Path) -> dict[str, Feed]:
    """Copy every file of ``target_dirs`` into ``output``; return the merged feeds by name."""
    chosen: dict[str, Path] = {}
    feeds: list[Path] = []
    for directory in sorted(target_dirs):
        for path in sorted(p for p in directory.rglob("*") if p.is_file()):
            if is_feed(path):
                feeds.append(path)
                continue
            known = chosen.setdefault(path.name, path)
            if known != path and not filecmp.cmp(known, path, shallow=False):
                raise FeedConflict(
                    f"two different files are both called {path.name} ({known} and {path})"
                )
    output.mkdir(parents=True, exist_ok=True)
    for name, path in chosen.items():
        shutil.copyfile(path, output / name)
    return merge_files(feeds, output)
