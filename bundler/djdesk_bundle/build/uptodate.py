"""No-op rebuilds: when nothing a build reads has changed since the payload in the output
dir was built, and that payload and its archive are intact, there is nothing to do.

"Everything a build reads" is a digest of the file contents (app files as shipped,
samples, docs, lock, manifest, pyprojects, the shell's package files, the bundler's own
code), the resolved pin, the locked requirements, the source state (commit,
SOURCE_DATE_EPOCH) and the options. The record lives in the cache, keyed by output dir.

"Intact" is first decided from the file system's metadata: the record keeps a fingerprint
of the payload's paths, sizes, inodes and mtimes (``stat_fingerprint``), taken right after
the build that wrote it. When that still matches, no file is read; when it does not (a
file was written, added, removed, or the payload was copied elsewhere), the payload is
verified in full against its SHA256SUMS and SBOM, as ``djdesk-bundle verify`` does.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import djdesk_runtime
from djdesk_bundle import __version__
from djdesk_bundle.build.install import LockedRequirements
from djdesk_bundle.build.machine_state import is_machine_state
from djdesk_bundle.build.selection import SourceFiles
from djdesk_bundle.build.source import SourceState
from djdesk_bundle.cache.digests import Digests
from djdesk_bundle.errors import VerificationFailed
from djdesk_bundle.fs.atomic import write_atomic
from djdesk_bundle.fs.hashing import file_sha256
from djdesk_bundle.fs.tree import stat_fingerprint
from djdesk_bundle.inspect.verify import verify_directory
from djdesk_bundle.options import Options
from djdesk_bundle.pins import InterpreterPin
from djdesk_bundle.tools.toolchain import Toolchain

BUNDLER_DIR = Path(__file__).resolve().parents[1]
RUNTIME_DIR = Path(djdesk_runtime.__file__).resolve().parent


def _files_under(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    # What ships: a Sphinx cache or an editor file left beside the docs changes nothing.
    return sorted(
        p for p in root.rglob("*") if p.is_file() and not is_machine_state(p.relative_to(root))
    )


def _digest_files(digest: Any, label: str, root: Path, files: list[Path], digests: Digests) -> None:
    for path in files:
        full = path if path.is_absolute() else root / path
        relative = full.relative_to(root).as_posix() if full.is_relative_to(root) else str(full)
        digest.update(f"{label}:{relative}\0".encode())
        digest.update(digests.file_sha256(full).encode() if full.is_file() else b"-")


def inputs_digest(
    options: Options,
    pin: InterpreterPin,
    state: SourceState,
    locked: LockedRequirements,
    sources: SourceFiles,
    digests: Digests,
    toolchain: Toolchain,
) -> str:
    digest = hashlib.sha256()
    settings = dataclasses.asdict(options)
    settings.pop("project_dir")
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    digest.update(json.dumps(dataclasses.asdict(state), sort_keys=True).encode())
    digest.update(f"{pin.triple} {pin.sha256} {locked.kind}\0{locked.requirements}\0".encode())
    digest.update(f"{__version__} {toolchain.host_triple} {toolchain.uv_version}\0".encode())
    # What ships, as selected (an included, generated file counts like a tracked one).
    for label, selection in sources.selections():
        for item in selection.shipped:
            digest.update(f"{label}:{item.name}\0".encode())
            digest.update(digests.file_sha256(item.source).encode())
    project = options.project_dir
    loose = [
        locked.lock_path,
        options.path(options.interpreter_manifest),
        project / "pyproject.toml",
        options.app_path / "pyproject.toml",
    ]
    if options.npm_lock:
        npm_lock = options.path(options.npm_lock)
        loose += [npm_lock, npm_lock.with_name("package.json")]
    _digest_files(digest, "file", project, loose, digests)
    # The bundler's code and data (pins, Electron versions) and the runtime it ships.
    for package in (BUNDLER_DIR, RUNTIME_DIR):
        code = [p for p in _files_under(package) if p.suffix in {".py", ".json", ".toml"}]
        _digest_files(digest, package.name, package, code, digests)
    return digest.hexdigest()


def _record_path(cache_root: Path, output: Path, kind: str = "") -> Path:
    key = hashlib.sha256(str(output.resolve()).encode()).hexdigest()[:32]
    return cache_root / "builds" / f"{key}{kind}.json"


def digests_store(cache_root: Path, output: Path) -> Path:
    """Where the builds of ``output`` remember file digests (``digests.py``)."""
    return _record_path(cache_root, output, ".digests")


def previous_build(
    cache_root: Path,
    output: Path,
    archive: Path,
    digest: str,
    verify_payload: Callable[[Path], bool] | None = None,
    digests: Digests | None = None,
) -> str | None:
    """The archive's sha256 when ``output`` and ``archive`` were built from these inputs
    and are still intact; None when anything differs. ``verify_payload`` reads the whole
    payload (by default as ``verify`` does, with the build's ``digests``): it runs only
    when its stat fingerprint differs from the recorded one."""

    def verified(payload: Path) -> bool:
        return verify_directory(payload, digests).ok

    verify_payload = verify_payload or verified
    try:
        record = json.loads(_record_path(cache_root, output).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if record.get("inputs") != digest or record.get("archive") != str(archive):
        return None
    sidecar = archive.with_name(archive.name + ".sha256")
    try:
        if sidecar.read_text(encoding="utf-8").split()[:1] != [record["sha256"]]:
            return None
        if file_sha256(archive) != record["sha256"]:
            return None
        untouched = record.get("fingerprint") == stat_fingerprint(output)
        if not untouched and not verify_payload(output):
            return None
    except (VerificationFailed, OSError):
        return None
    return str(record["sha256"])


def remember_build(cache_root: Path, output: Path, digest: str, archive: Path, sha: str) -> None:
    """Record a build just published (the payload is what its SHA256SUMS describes)."""
    path = _record_path(cache_root, output)
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "inputs": digest,
        "output": str(output),
        "archive": str(archive),
        "sha256": sha,
        "fingerprint": stat_fingerprint(output),
    }
    write_atomic(path, json.dumps(record, indent=2))
