"""Which files make the desktop shell (``data/shell-files.txt``, folders expanded). Standard
library only: hatch_build.py loads this file by path while building the distribution."""

from __future__ import annotations

from pathlib import Path


def listed_files(source: Path, listing: str) -> list[Path]:
    """Every file the listing names under ``source``, relative to it, sorted per entry."""
    names = [line.strip() for line in listing.splitlines() if line.strip() and line[0] != "#"]
    files: list[Path] = []
    for name in names:
        path = source / name
        found = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        files += [p.relative_to(source) for p in found]
    return files
