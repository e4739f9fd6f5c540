"""Stage 3, extract: unpack the interpreter archive safely, then prune it.

Every member is checked before anything is written: no absolute paths, no ``..``, no
links that leave the tree, no device files. Extraction then also goes through
tarfile's ``data`` filter as a second line of defence.
"""

from __future__ import annotations

import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from . import contract
from .bytecode import compile_bytecode, runnable_python
from .config import host_triple
from .errors import UnsafeArchive
from .manifest import InterpreterPin
from .stage import StageContext
from .stage_cache import cached_tree, stage_key


@dataclass(frozen=True)
class PruneReport:
    paths: int
    bytes: int


def _is_absolute(name: str) -> bool:
    return name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":")


def check_member(member: tarfile.TarInfo, archive: Path) -> None:
    name = member.name
    where = f"{archive.name}: entry {name!r}"
    if _is_absolute(name):
        raise UnsafeArchive(f"{where} has an absolute path")
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if ".." in parts:
        raise UnsafeArchive(f"{where} climbs out of the tree with '..'")
    if member.ischr() or member.isblk() or member.isfifo():
        raise UnsafeArchive(f"{where} is a device or FIFO")
    if member.issym() or member.islnk():
        link = member.linkname
        if _is_absolute(link):
            raise UnsafeArchive(f"{where} links to the absolute path {link!r}")
        base = PurePosixPath(*parts[:-1]) if member.issym() else PurePosixPath()
        depth = 0
        for part in (base / link).parts:
            depth += -1 if part == ".." else (0 if part == "." else 1)
            if depth < 0:
                raise UnsafeArchive(f"{where} links outside the tree ({link!r})")


def extract_interpreter(archive: Path, destination: Path) -> Path:
    """Extract into destination; return the interpreter root (``destination/python``)."""
    destination.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            for member in members:
                check_member(member, archive)
            tar.extractall(destination, members=members, filter="data")
    except tarfile.TarError as exc:
        raise UnsafeArchive(f"{archive.name}: not a readable tar archive ({exc})") from None
    root = destination / contract.PYTHON_DIR
    if not root.is_dir():
        raise UnsafeArchive(f"{archive.name}: no top-level python/ directory (not install_only?)")
    return root


def _size(path: Path) -> int:
    if path.is_symlink() or path.is_file():
        return path.lstat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if not p.is_dir())


def prune(root: Path, patterns: tuple[str, ...]) -> PruneReport:
    """Remove what matches the glob patterns (relative to the interpreter root)."""
    matches = sorted({p for pattern in patterns for p in root.glob(pattern)}, reverse=True)
    count = size = 0
    for path in matches:
        if not path.exists() and not path.is_symlink():
            continue  # already gone with a parent
        size += _size(path)
        count += 1
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
    return PruneReport(paths=count, bytes=size)


def interpreter_executable(payload: Path, windows: bool) -> Path:
    return payload / contract.interpreter_path(windows)


@dataclass(frozen=True)
class Interpreter:
    """The payload's ``python/`` tree and what this host can do with it."""

    root: Path
    executable: Path
    triple: str
    runnable: bool  # this host runs it (same OS and architecture)
    compiles: bool  # bytecode is precompiled with it (wanted and runnable)
    cache_key: str
    pruned: PruneReport
    cached: bool


def extract_stage(ctx: StageContext, pin: InterpreterPin, archive: Path) -> Interpreter:
    """The interpreter, extracted, pruned and precompiled, or the same from the stage cache."""
    options = ctx.options
    root = ctx.staging / contract.PYTHON_DIR
    executable = interpreter_executable(ctx.staging, pin.is_windows)
    compile_wanted = options.compile_bytecode

    def make(tree: Path) -> dict[str, Any]:
        extract_interpreter(archive, ctx.staging)
        report = prune(tree, options.prune)
        if compile_wanted and runnable_python(executable):
            compile_bytecode(executable, ctx.staging, [tree])
        return {"paths": report.paths, "bytes": report.bytes}

    key = stage_key(
        "interpreter",
        pin.sha256,
        pin.triple,
        host_triple(),
        repr(sorted(options.prune)),
        str(compile_wanted),
    )
    hit, facts = cached_tree(ctx.cache_root, key, root, make)
    runnable = runnable_python(executable)
    return Interpreter(
        root=root,
        executable=executable,
        triple=pin.triple,
        runnable=runnable,
        compiles=compile_wanted and runnable,
        cache_key=key,
        pruned=PruneReport(paths=facts["paths"], bytes=facts["bytes"]),
        cached=hit,
    )
