"""The prune options' globs, matched in one walk of a tree.

The globs mean what ``Path.glob`` makes of them (relative to the tree's root, ``/`` between
parts): ``*`` and ``?`` stay within one name and match names that start with a dot, ``[…]``
is a set of characters (``[!…]`` its complement), ``**`` is any number of folders (none
included), a trailing ``/`` asks for folders only, and case matters except on Windows.
Asking ``Path.glob`` once per pattern walked the whole tree once per ``**`` pattern (about
0.2 s each for a ``site-packages`` of 10 000 files); here one ``os.walk`` tests every path
against all the patterns at once, and does not go into a folder that matched (all of it
goes).
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

ANY_FOLDERS = "**"


def _part_regex(part: str) -> str:
    """One name's pattern: wildcards that never cross a ``/``."""
    out, index = [], 0
    while index < len(part):
        char = part[index]
        index += 1
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and (end := part.find("]", index + 1)) != -1:
            body = part[index:end]
            index = end + 1
            negated = body.startswith("!")
            body = body[1:] if negated else body
            escaped = body.replace("\\", "\\\\").replace("^", "\\^")
            out.append(f"[{'^/' if negated else ''}{escaped}]")
        else:
            out.append(re.escape(char))
    return "".join(out)


def glob_regex(pattern: str) -> str:
    """``pattern`` as a regular expression over a relative POSIX path (the whole path)."""
    folders_only = pattern.endswith("/")
    parts = [part for part in pattern.strip("/").split("/") if part not in ("", ".")]
    regex = ""
    for position, part in enumerate(parts):
        last = position == len(parts) - 1
        if part == ANY_FOLDERS:
            # none or more whole names; at the end, the folder before it and all below
            if not last:
                regex += "(?:[^/]+/)*"
            elif regex:
                regex = regex.removesuffix("/") + "(?:/[^/]+)*"
            else:
                regex = "[^/]+(?:/[^/]+)*"
        else:
            regex += _part_regex(part) + ("" if last else "/")
    return regex + ("(?=/\\Z)" if folders_only else "")


def glob_matcher(patterns: Iterable[str]) -> Callable[[str], bool]:
    """Does a relative POSIX path match any of ``patterns``? (A folder's path is tested
    with a trailing ``/``, which only the folders-only patterns require.)"""
    regexes = [glob_regex(pattern) for pattern in patterns]
    if not regexes:
        return lambda path: False
    flags = re.IGNORECASE if sys.platform == "win32" else 0
    combined = re.compile("|".join(f"(?:{regex})/?\\Z" for regex in regexes), flags)
    return lambda path: combined.match(path) is not None


def matching_paths(
    root: Path, patterns: Iterable[str], skip: Callable[[str], bool] = lambda top: False
) -> list[Path]:
    """The highest paths under ``root`` that match one of ``patterns`` (nothing below a
    match is listed: it goes with it), never going into a symlink to a folder, nor into
    the top-level names ``skip`` refuses."""
    matches = glob_matcher(patterns)
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        relative = Path(folder).relative_to(root).as_posix()
        prefix = "" if relative == "." else f"{relative}/"
        if not prefix:
            dirs[:] = [name for name in dirs if not skip(name)]
            files = [name for name in files if not skip(name)]
        kept = []
        for name in sorted(dirs):
            is_link = os.path.islink(os.path.join(folder, name))
            if matches(f"{prefix}{name}/" if not is_link else f"{prefix}{name}"):
                found.append(Path(folder, name))
            elif not is_link:
                kept.append(name)
        dirs[:] = kept
        found += [Path(folder, name) for name in sorted(files) if matches(prefix + name)]
    return found
