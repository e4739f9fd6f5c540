"""Merge electron-builder's update feeds from several build jobs into one per channel file.

The x64 and arm64 builds of macOS (and of Windows) each write a ``latest-mac.yml``
(``latest.yml``) listing only their own installers; a release must publish one file that
lists both, or one architecture would be offered the other's installer. Feeds with the
same name must offer the same version; their ``files`` are joined (sorted by url).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

from djdesk_bundle.fs.atomic import write_atomic

Feed = dict[str, Any]


class FeedConflict(Exception):
    """Two builds disagree (versions, or two different files under one name)."""


def is_feed(path: Path) -> bool:
    return path.name.startswith("latest") and path.name.endswith(".yml")


def merge(feeds: list[Feed], name: str) -> Feed:
    versions = {str(feed["version"]) for feed in feeds}
    if len(versions) != 1:
        raise FeedConflict(f"{name}: the builds offer different versions {sorted(versions)}")
    files: dict[str, dict[str, Any]] = {}
    for feed in feeds:
        for entry in feed.get("files", []):
            known = files.setdefault(entry["url"], entry)
            if known["sha512"] != entry["sha512"]:
                raise FeedConflict(f"{name}: two different files are both called {entry['url']}")
    merged = dict(feeds[0])  # `path`/`sha512` (for old clients) stay those of the first feed
    merged["files"] = [files[url] for url in sorted(files)]
    dates = [str(feed["releaseDate"]) for feed in feeds if "releaseDate" in feed]
    if dates:
        merged["releaseDate"] = max(dates)
    return merged


def merge_files(paths: list[Path], output: Path) -> dict[str, Feed]:
    """Merge the feed files by name into ``output`` (nothing written on a conflict)."""
    groups: dict[str, list[Feed]] = defaultdict(list)
    for path in sorted(paths):
        groups[path.name].append(yaml.safe_load(path.read_text(encoding="utf-8")))
    merged = {name: merge(feeds, name) for name, feeds in sorted(groups.items())}
    output.mkdir(parents=True, exist_ok=True)
    for name, feed in merged.items():
        write_atomic(output / name, yaml.safe_dump(feed, sort_keys=False))
    return merged
