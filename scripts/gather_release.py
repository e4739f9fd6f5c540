"""Gather the per-target release directories of the build jobs into one release directory.

Each build job uploads a flat directory (installers, blockmaps, payload archive, SBOMs and
its own ``latest*.yml``). Files are copied as they are; two different files with one name
stop the release (one would silently replace the other on upload). The feeds of all
targets are merged into one per channel file (scripts/merge_update_feeds.py).

    uv run python scripts/gather_release.py --output release assets/release-*
"""

from __future__ import annotations

import argparse
import filecmp
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from merge_update_feeds import FeedConflict, merge_files


def is_feed(path: Path) -> bool:
    return path.name.startswith("latest") and path.name.endswith(".yml")


def gather(target_dirs: list[Path], output: Path) -> list[str]:
    """Copy every file of ``target_dirs`` into ``output``; return the merged feed names."""
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="+", type=Path, help="one directory per build job")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        feeds = gather(args.targets, args.output)
    except FeedConflict as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{args.output}: {len(list(args.output.iterdir()))} file(s), feeds {', '.join(feeds)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
