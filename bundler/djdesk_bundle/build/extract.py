"""Stage 3, extract: unpack the interpreter archive safely, then prune it.

Every member is checked before anything is written, by the archive policy that verify
and diff use too (``fs/archive_policy.py``): only names under ``python/``, no absolute
paths, no ``..``, no duplicates, no devices or FIFOs, no member below a symlink, links
only to files inside ``python/``, and at most ``extract-max-entries`` entries and
``extract-max-bytes`` bytes once expanded. Then each member is written by
this module, not by ``tarfile.extractall``: the stdlib ``data`` filter is bypassed by
symlink chains longer than PATH_MAX on Pythons before 3.11.13 / 3.12.11 / 3.13.4
(CVE-2025-4517), and the bundler runs on any 3.11. Every parent directory is checked
on disk (``lstat``: a real directory, never a symlink) before a file is created in it,
files are created with ``O_EXCL | O_NOFOLLOW``, and symlinks are made last.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import stat
import subprocess
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, Any

from djdesk_bundle import contract
from djdesk_bundle.build.bytecode import compile_bytecode, drop_sources
from djdesk_bundle.build.stage import StageContext
from djdesk_bundle.cache.stage_trees import cached_tree, stage_key
from djdesk_bundle.errors import UnsafeArchive
from djdesk_bundle.fs.archive_policy import (
    ArchiveLimits,
    ArchivePolicy,
    Members,
    checked_members,
    final_file,
    interpreter_policy,
    link_target,
)
from djdesk_bundle.fs.deleter import Deleter
from djdesk_bundle.fs.globs import matching_paths
from djdesk_bundle.options import Options
from djdesk_bundle.pins import InterpreterPin

CHUNK = 1024 * 1024
_READ_ERRORS = (tarfile.TarError, EOFError, zlib.error, OSError)


@dataclass(frozen=True)
class PruneReport:
    paths: int
    bytes: int


class ExtractLimits(ArchiveLimits):
    """The archive policy's limits, as ``extract-max-bytes``/``-entries`` set them."""

    @classmethod
    def from_options(cls, options: Options) -> ExtractLimits:
        return cls(options.extract_max_bytes, options.extract_max_entries)


def _real_directory(destination: Path, relative: PurePosixPath, archive: Path) -> Path:
    """``destination/relative`` as a directory made here, checked on disk at each level."""
    current = destination
    for part in relative.parts:
        current = current / part
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            os.mkdir(current, 0o755)
            continue
        if not stat.S_ISDIR(info.st_mode):
            raise UnsafeArchive(
                f"{archive.name}: {relative.as_posix()} would be written through "
                f"{current} (not a real directory on disk)"
            )
    return current


def _write_file(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> None:
    source = tar.extractfile(member)
    assert source is not None
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_BINARY", 0)
    mode = 0o755 if member.mode & 0o111 else 0o644
    with source, os.fdopen(os.open(target, flags, mode), "wb") as sink:
        while chunk := source.read(CHUNK):
            sink.write(chunk)
    os.utime(target, (member.mtime, member.mtime), follow_symlinks=False)


def _write_members(
    tar: tarfile.TarFile,
    members: Members,
    destination: Path,
    archive: Path,
    policy: ArchivePolicy,
) -> None:
    symlinks = []
    for path, member in members.items():
        parent = _real_directory(destination, path.parent, archive)
        target = parent / path.name
        if member.isdir():
            _real_directory(destination, path, archive)
        elif member.isreg():
            _write_file(tar, member, target)
        elif member.islnk():
            source = destination / link_target(path, members, policy)
            try:
                os.link(source, target, follow_symlinks=False)
            except OSError:  # a file system without hard links
                shutil.copy2(source, target, follow_symlinks=False)
        else:
            symlinks.append((path, member, target))
    # Last, so that nothing at all is ever written after (let alone through) a symlink.
    for path, member, target in symlinks:
        _real_directory(destination, path.parent, archive)
        try:
            os.symlink(member.linkname, target)
        except OSError:  # Windows without the symlink privilege: a copy does
            shutil.copy2(destination / final_file(path, members, policy), target)


# What the decompressed tar may hold beyond the members' bytes: a 512-byte header (and up
# to 511 bytes of padding) per entry, long-name records, the end blocks.
TAR_OVERHEAD_PER_ENTRY = 2048
SPOOLED_IN_MEMORY = 256 << 20  # beyond this, the decompressed tar goes to a temporary file


def _decompressed(archive: Path, limits: ExtractLimits) -> IO[bytes]:
    """The archive's tar, decompressed once (checking the members, then writing them, read
    it twice: a compressed stream cannot seek back but by decompressing it all again), into
    memory or a temporary file; refused as soon as it outgrows what the limits allow."""
    most = limits.max_bytes + TAR_OVERHEAD_PER_ENTRY * (limits.max_entries + 1)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOLED_IN_MEMORY)  # noqa: SIM115 - the caller closes it
    try:
        with tarfile.open(archive, "r:*") as detected:  # gzip, bzip2, xz or none
            stream = detected.fileobj
            assert stream is not None
            stream.seek(0)
            size = 0
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > most:
                    raise UnsafeArchive(
                        f"{archive.name}: expands to more than {limits.max_bytes} bytes "
                        "(raise extract-max-bytes if this archive is genuine)"
                    )
                spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def extract_interpreter(
    archive: Path, destination: Path, limits: ExtractLimits | None = None
) -> Path:
    """Extract into destination; return the interpreter root (``destination/python``)."""
    limits = limits or ExtractLimits()
    destination.mkdir(parents=True, exist_ok=True)
    root = destination / contract.PYTHON_DIR
    try:
        with _decompressed(archive, limits) as stream, tarfile.open(fileobj=stream) as tar:
            policy = interpreter_policy(limits)
            members = checked_members(tar, archive, policy)
            try:
                _write_members(tar, members, destination, archive, policy)
            except UnsafeArchive:
                shutil.rmtree(root, ignore_errors=True)
                raise
    except _READ_ERRORS as exc:
        shutil.rmtree(root, ignore_errors=True)
        raise UnsafeArchive(
            f"{archive.name}: truncated or not a readable tar archive ({type(exc).__name__}: {exc})"
        ) from None
    if not root.is_dir():
        raise UnsafeArchive(f"{archive.name}: no top-level python/ directory (not install_only?)")
    return root


def _size(path: Path) -> int:
    """The bytes of a file, or of everything below a folder (``lstat``: links not followed)."""
    if path.is_symlink() or not path.is_dir():
        return path.lstat().st_size
    return sum(
        os.lstat(os.path.join(folder, name)).st_size
        for folder, _, files in os.walk(path)
        for name in files
    )


def remove_paths(paths: list[Path], deleter: Deleter | None = None) -> PruneReport:
    """Delete each path (a folder with all below it), by ``deleter`` (at once without one);
    how many and their bytes."""
    listed = set(paths)
    present = [
        path
        for path in dict.fromkeys(paths)
        if (path.exists() or path.is_symlink()) and not listed.intersection(path.parents)
    ]  # each once, and none inside another (it goes with it)
    report = PruneReport(paths=len(present), bytes=sum(_size(path) for path in present))
    (deleter or Deleter()).delete(present)
    return report


def prune(root: Path, patterns: tuple[str, ...], deleter: Deleter | None = None) -> PruneReport:
    """Remove what matches the glob patterns (relative to the interpreter root)."""
    return remove_paths(matching_paths(root, patterns), deleter)


def interpreter_executable(payload: Path, windows: bool) -> Path:
    return payload / contract.interpreter_path(windows)


def _starts(executable: Path) -> bool:
    """Does ``executable`` start here and exit cleanly?"""
    if not executable.exists():
        return False
    try:
        probe = subprocess.run(
            [str(executable), "-I", "-B", "-c", "pass"],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


def precompiles(triple: str, host_triple: str, wanted: bool) -> bool:
    """``Interpreter.compiles`` before there is an interpreter (the install stage's key is
    known while extract runs): wanted, and the target is the host's own."""
    return wanted and triple == host_triple


@dataclass(frozen=True)
class Interpreter:
    """The payload's ``python/`` tree and what this host can do with it."""

    root: Path
    executable: Path
    triple: str
    host_triple: str  # the toolchain's: where this build runs
    compile_wanted: bool  # the compile-bytecode option
    cache_key: str
    pruned: PruneReport = PruneReport(paths=0, bytes=0)
    cached: bool = False

    @property
    def runs_here(self) -> bool:
        """The one answer to "does the target's interpreter run here", for everything that
        would run it (bytecode, collectstatic, the template database, the pre-flight check,
        the smoke test, the SBOM's library probe): only the host's own target does. Another
        target is never run, even where an emulator (Rosetta, binfmt) could, so that what
        a build ships depends on the host and the target only; a host-target interpreter
        that does not start is refused at extract (``check_starts``)."""
        return self.triple == self.host_triple

    @property
    def compiles(self) -> bool:
        """Bytecode is precompiled with it (wanted, and it runs here)."""
        return precompiles(self.triple, self.host_triple, self.compile_wanted)

    def check_starts(self) -> None:
        """A host-target interpreter that cannot start is a broken archive, not a
        cross-build: refuse it rather than build and verify a payload that cannot start."""
        if self.runs_here and not _starts(self.executable):
            relative = self.executable.relative_to(self.root.parent).as_posix()
            raise UnsafeArchive(
                f"the {self.triple} interpreter archive has no runnable {relative} (this "
                f"host is {self.triple}, so the interpreter must start here)"
            )


def make_bytecode(interpreter: Interpreter, payload: Path, sources: bool) -> None:
    """The stdlib's bytecode; without ``sources``, sourceless: each ``.pyc`` beside its
    module and the ``.py`` gone (tracebacks name the file and line, without its text)."""
    compile_bytecode(interpreter.executable, payload, [interpreter.root], legacy=not sources)
    if sources:
        return
    drop_sources(interpreter.root)
    if not _starts(interpreter.executable):  # getpath's landmark is os.py or os.pyc
        raise UnsafeArchive(
            f"the {interpreter.triple} interpreter does not start without its stdlib's "
            "sources: set interpreter-sources = true"
        )


def extract_stage(ctx: StageContext, pin: InterpreterPin, archive: Path) -> Interpreter:
    """The interpreter, extracted, pruned and precompiled, or the same from the stage cache."""
    options = ctx.options
    root = ctx.staging / contract.PYTHON_DIR
    executable = interpreter_executable(ctx.staging, pin.is_windows)
    host = ctx.toolchain.host_triple
    interpreter = Interpreter(root, executable, pin.triple, host, options.compile_bytecode, "")
    key = stage_key(
        "interpreter",
        pin.sha256,
        pin.triple,
        host,
        repr(sorted(options.prune_globs)),
        str(interpreter.compiles),  # (what it was before for the host's own target)
        f"sources={options.interpreter_sources}",
    )
    interpreter = dataclasses.replace(interpreter, cache_key=key)

    def make(tree: Path) -> dict[str, Any]:
        extract_interpreter(archive, ctx.staging, ExtractLimits.from_options(options))
        report = prune(tree, options.prune_globs, ctx.deleter)
        interpreter.check_starts()
        if interpreter.compiles:
            make_bytecode(interpreter, ctx.staging, sources=options.interpreter_sources)
        return {"paths": report.paths, "bytes": report.bytes}

    hit, facts = cached_tree(
        ctx.cache_root,
        key,
        root,
        make,
        ctx.reporter.warn,
        ctx.in_previous(root),
        ctx.digests,
    )
    if hit:
        interpreter.check_starts()
    pruned = PruneReport(paths=facts["paths"], bytes=facts["bytes"])
    return dataclasses.replace(interpreter, pruned=pruned, cached=hit)
