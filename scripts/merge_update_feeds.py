"""Merge electron-builder's update feeds from several build jobs into one per channel file.

The x64 and arm64 builds of macOS (and of Windows) each write a `latest-mac.yml`
(`latest.yml`) listing only their own installers; a release must publish one file that
lists both, or one architecture would be offered the other's installer. Feeds with the
same name must offer the same version; their `files` are joined (sorted by url).

    uv run python scripts/merge_update_feeds.py --output release feeds/*/latest*.yml
"""

from __future__ import annotations

import argparse
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml


class FeedConflict(Exception):
    pass


def merge(feeds: list[dict[str, Any]], name: str) -> dict[str, Any]:
    versions = {feed["version"] for feed in feeds}
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


def merge_files(paths: list[Path], output: Path) -> list[str]:
    """Merge the feed files by name into ``output`` (nothing written on a conflict)."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in sorted(paths):
        groups[path.name].append(yaml.safe_load(path.read_text(encoding="utf-8")))
    merged = {name: merge(feeds, name) for name, feeds in sorted(groups.items())}
    output.mkdir(parents=True, exist_ok=True)
    for name, feed in merged.items():
        target = output / name
        partial = target.with_name(name + ".partial")
        partial.write_text(yaml.safe_dump(feed, sort_keys=False), encoding="utf-8")
        os.replace(partial, target)
        print(f"{name}: {feed['version']}, {len(feed['files'])} file(s)")
    return list(merged)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("feeds", nargs="+", type=Path)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        merge_files(args.feeds, args.output)
    except FeedConflict as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
