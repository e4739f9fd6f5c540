"""Walk a directory tree without following anything: every entry, of every type, by lstat.

Used where a tree must be described exactly (the stage cache's digest, ``verify``): a
symlink is reported as a link (never entered, even to a directory), and a FIFO, socket
or device is reported by its type and never opened, so a walk cannot block.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

from djdesk_bundle.cache.digests import Digests
from djdesk_bundle.fs.hashing import handle_sha256


def walk(root: Path) -> Iterator[tuple[str, os.stat_result]]:
    """(POSIX path relative to root, lstat) of every entry below root, sorted by path."""
    base = os.fspath(root)  # joined as strings: a Path per folder costs more than its listing
    pending = [""]
    while pending:
        relative = pending.pop()
        with os.scandir(os.path.join(base, relative) if relative else base) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
        children = []
        for entry in entries:
            path = f"{relative}/{entry.name}" if relative else entry.name
            info = entry.stat(follow_symlinks=False)
            yield path, info
            if stat.S_ISDIR(info.st_mode):
                children.append(path)
        pending.extend(reversed(children))


def kind(info: os.stat_result) -> str:
    mode = info.st_mode
    for name, test in (
        ("file", stat.S_ISREG),
        ("directory", stat.S_ISDIR),
        ("symlink", stat.S_ISLNK),
        ("FIFO", stat.S_ISFIFO),
        ("socket", stat.S_ISSOCK),
        ("character device", stat.S_ISCHR),
        ("block device", stat.S_ISBLK),
    ):
        if test(mode):
            return name
    return "unknown entry"


def regular_file_sha256(path: str | os.PathLike[str], digests: Digests | None = None) -> str:
    """sha256 of a regular file, opened so that it can neither follow a link nor block
    (looked up in, and remembered by, a build's ``digests``)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags)
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(f"{path} is not a regular file")
        return digests.handle_sha256(handle) if digests is not None else handle_sha256(handle)


Visit = Callable[[str, os.stat_result, str], None]


def tree_digest(root: Path, digests: Digests | None = None, visit: Visit | None = None) -> str:
    """One sha256 over every entry's path, type, executable bit, and content (a file) or
    target (a link): any edit, addition, removal or chmod +x changes it. ``visit`` is
    called with each entry's path, lstat and kind once it is hashed, in walk order (a
    directory before what it holds): what a copy made in the same walk needs."""
    digest, base = hashlib.sha256(), os.fspath(root)
    for path, info in walk(root):
        what = kind(info)
        if what == "file":
            known = digests.remembered(info) if digests is not None else None
            sha256 = known or regular_file_sha256(os.path.join(base, path), digests)
            detail = f"{info.st_mode & 0o111:o} {sha256}"
        elif what == "symlink":
            detail = os.readlink(os.path.join(base, path))
        else:
            detail = ""
        digest.update(f"{path}\0{what}\0{detail}\0".encode("utf-8", "surrogateescape"))
        if visit is not None:
            visit(path, info, what)
    return digest.hexdigest()


def stat_fingerprint(root: Path) -> str:
    """One sha256 over every entry's path, type, mode, size, inode and mtime: what the
    file system says without reading any file. Any write through the file system changes
    a file's mtime (and a replaced file has another inode), so an unchanged fingerprint
    means an untouched tree, the way ``git status`` and ``make`` decide it; reading every
    file (``tree_digest``) stays the answer whenever it differs."""
    digest = hashlib.sha256()
    for path, info in walk(root):
        what = kind(info)
        detail = os.readlink(root / path) if what == "symlink" else ""
        if what == "file":
            detail = f"{info.st_size} {info.st_ino} {info.st_mtime_ns}"
        line = f"{path}\0{what}\0{info.st_mode:o}\0{detail}\0"
        digest.update(line.encode("utf-8", "surrogateescape"))
    return digest.hexdigest()
