"""Stage 4, install: the app's locked, hash-pinned runtime deps into ``site-packages/``.

uv installs them for the target's platform and Python version (so a Windows or macOS
payload can be assembled on Linux), with hashes required, no resolution and wheels only.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from djdesk_bundle import contract
from djdesk_bundle.build.extract import Interpreter
from djdesk_bundle.build.requirements import check_lock_is_current, expand_includes
from djdesk_bundle.build.requirements import lock_path as requirements_lock_path
from djdesk_bundle.build.slim import DependencyShape, shape_dependencies
from djdesk_bundle.build.stage import StageContext
from djdesk_bundle.cache.stage_trees import cached_tree, stage_key
from djdesk_bundle.errors import InstallError, LockError
from djdesk_bundle.options import AppProject, Options, host_triple
from djdesk_bundle.pins import InterpreterPin
from djdesk_bundle.tools.process import run, tail
from djdesk_bundle.tools.uv import uv_binary, uv_version

HASH_PATTERN = re.compile(r"--hash=sha256:[0-9a-f]{64}")
NO_WHEEL = re.compile(
    r"Wheels are required for `(?P<hint>[^`]+)`"
    r"|(?P<name>[A-Za-z0-9_.\-]+)==\S+ has no usable wheels"
)
# uv could not reach the index (its last "cause:" line is the reason: DNS, refused, ...).
UNREACHABLE = re.compile(r"error sending request for url|dns error|tcp connect error")
NOT_CACHED = re.compile(r"Because (?P<name>\S+) was not found in the cache")
NO_NETWORK_ROUTE = (
    "with no network, run `djdesk-bundle fetch --target {triple}` on a connected machine "
    "with the same lock (it fills uv's cache, UV_CACHE_DIR), then build with --offline; "
    "or point UV_INDEX_URL at a reachable index"
)


def _network_failure(stderr: str, triple: str) -> InstallError | None:
    """uv's download failures as one line that says what to do, not its cause chain."""
    missing = NOT_CACHED.search(stderr)
    if missing:
        return InstallError(
            f"offline and {missing['name']} (for {triple}) is not in uv's cache: "
            + NO_NETWORK_ROUTE.format(triple=triple)
        )
    if UNREACHABLE.search(stderr):
        causes = [line.strip() for line in stderr.splitlines() if line.strip()]
        reason = causes[-1].removeprefix("cause: ") if causes else "no network"
        return InstallError(
            f"uv could not download the locked wheels for {triple} ({reason}): "
            + NO_NETWORK_ROUTE.format(triple=triple)
        )
    return None


@dataclass(frozen=True)
class LockedRequirements:
    kind: str  # "uv.lock" | "requirements.txt"
    lock_path: Path
    requirements: str  # requirements.txt text with hashes


def _check_hashes(text: str, source: Path) -> None:
    missing = []
    for line in text.replace("\\\n", " ").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "-")) and not HASH_PATTERN.search(line):
            missing.append(line.split(";")[0].split()[0])
    if missing:
        raise LockError(
            f"{source}: requirements without --hash=sha256: {', '.join(missing)}; make a "
            "hash-pinned lock with `uv lock` (or `uv pip compile --generate-hashes`)"
        )


def _hash_pinned(path: Path) -> LockedRequirements:
    """A hash-pinned requirements file, its ``-r`` includes inlined (they are relative to
    it, and the text is installed from elsewhere)."""
    text = expand_includes(path)
    _check_hashes(text, path)
    return LockedRequirements("requirements.txt", path, text)


def export_locked_requirements(
    options: Options, app: AppProject, offline: bool = False
) -> LockedRequirements:
    """The runtime deps of the app, exactly as locked, with their hashes."""
    project = options.project_dir
    if options.requirements:
        lock = requirements_lock_path(options)
        check_lock_is_current(options, lock)
        return _hash_pinned(lock)
    lock_name = options.lock or ("uv.lock" if (project / "uv.lock").is_file() else "")
    if not lock_name:
        for candidate in (options.app_path / "requirements.txt", project / "requirements.txt"):
            if candidate.is_file():
                return _hash_pinned(candidate)
        raise LockError(
            f"no lock in {project}: run `uv lock` there (or provide a requirements.txt "
            "made by `uv pip compile --generate-hashes`)"
        )
    lock_path = project / lock_name
    if lock_path.name != "uv.lock":
        return _hash_pinned(lock_path)
    export_args = (
        "--package",
        options.app_project or app.name,
        "--no-dev",
        "--no-emit-workspace",
        "--no-header",
        "--format",
        "requirements-txt",
        *(arg for extra in options.extras for arg in ("--extra", extra)),
    )
    remembered = options.cache_root / "uv-exports" / uv_inputs_key(project, lock_path, export_args)
    if _remembered_export_is_sound(remembered, lock_path):
        # The same lock and pyproject files were checked and exported before: two uv
        # processes fewer for every rebuild that does not touch them.
        requirements = remembered.read_text(encoding="utf-8")
    else:
        requirements = _check_and_export(project, lock_path, export_args, offline)
        remembered.parent.mkdir(parents=True, exist_ok=True)
        partial = remembered.with_name(f"{remembered.name}.{os.getpid()}.tmp")
        partial.write_text(requirements, encoding="utf-8")
        os.replace(partial, remembered)
    _check_hashes(requirements, lock_path)
    return LockedRequirements("uv.lock", lock_path, requirements)


def _remembered_export_is_sound(remembered: Path, lock: Path) -> bool:
    """The cache is not trusted: every hash of a remembered export must be in the lock."""
    if not remembered.is_file():
        return False
    hashes = HASH_PATTERN.findall(remembered.read_text(encoding="utf-8"))
    lock_text = lock.read_text(encoding="utf-8")
    sound = bool(hashes) and all(h.removeprefix("--hash=") in lock_text for h in hashes)
    if not sound:
        remembered.unlink()
    return sound


def uv_inputs_key(project: Path, lock: Path, export_args: tuple[str, ...]) -> str:
    """What `uv lock --check` and `uv export` read: the lock, the workspace's pyproject
    files (the root's and every member's), uv's version and the export's arguments."""
    root = project / "pyproject.toml"
    table = tomllib.loads(root.read_text(encoding="utf-8")) if root.is_file() else {}
    globs = table.get("tool", {}).get("uv", {}).get("workspace", {}).get("members", [])
    files = [lock, root, *sorted(p for g in globs for p in project.glob(f"{g}/pyproject.toml"))]
    digest = hashlib.sha256(f"{uv_version()} {' '.join(export_args)}".encode())
    for path in files:
        digest.update(f"\0{path.relative_to(project).as_posix()}\0".encode())
        digest.update(path.read_bytes() if path.is_file() else b"-")
    return digest.hexdigest()


def _check_and_export(
    project: Path, lock_path: Path, export_args: tuple[str, ...], offline: bool
) -> str:
    uv = uv_binary()
    check = run([uv, "lock", "--check", *(["--offline"] if offline else [])], cwd=project)
    if check.returncode != 0:
        raise LockError(
            f"{lock_path} is out of date with pyproject.toml: run `uv lock` and commit it\n"
            + tail(check.stderr, 5)
        )
    export = run([uv, "export", "--frozen", *export_args], cwd=project)
    if export.returncode != 0:
        raise LockError(f"uv export failed for {lock_path}:\n{tail(export.stderr)}")
    return export.stdout


def install_requirements(
    locked: LockedRequirements,
    site_packages: Path,
    triple: str,
    python_minor: str,
    work_dir: Path,
    offline: bool = False,
) -> None:
    requirements = work_dir / "requirements.txt"
    requirements.write_text(locked.requirements, encoding="utf-8")
    site_packages.mkdir(parents=True, exist_ok=True)
    result = run(
        [
            uv_binary(),
            "pip",
            "install",
            "--target",
            str(site_packages),
            "--python-platform",
            triple,
            "--python-version",
            python_minor,
            "--require-hashes",
            "--no-deps",
            "--only-binary",
            ":all:",
            "--link-mode",
            "copy",
            "--no-compile",
            *(["--offline"] if offline else []),
            "-r",
            str(requirements),
        ],
    )
    if result.returncode != 0:
        match = NO_WHEEL.search(result.stderr)
        if match:
            name = match.group("hint") or match.group("name")
            raise InstallError(
                f"{name} has no wheel for {triple} (Python {python_minor}); "
                "an sdist cannot be installed into a payload. Pick a version with wheels "
                f"for that target.\n{tail(result.stderr, 6)}"
            )
        network = _network_failure(result.stderr, triple)
        if network is not None:
            raise network
        raise InstallError(f"uv pip install failed for {triple}:\n{tail(result.stderr)}")
    drop_console_scripts(site_packages)


def drop_console_scripts(site_packages: Path) -> None:
    """Remove the console scripts uv wrote and their RECORD lines.

    They carry this host's shebang (so they differ by build directory) and a payload
    never runs them.
    """
    for name in ("bin", "Scripts"):
        shutil.rmtree(site_packages / name, ignore_errors=True)
    for record in sorted(site_packages.glob("*.dist-info/RECORD")):
        lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if not line.startswith(("bin/", "Scripts/"))]
        if kept != lines:
            record.write_text("".join(kept), encoding="utf-8")


@dataclass(frozen=True)
class SitePackages:
    path: Path
    cache_key: str
    cached: bool


def install_stage(
    ctx: StageContext, pin: InterpreterPin, locked: LockedRequirements, interpreter: Interpreter
) -> SitePackages:
    """The locked runtime deps for the target, precompiled, or the same from the stage cache."""
    site = ctx.staging / contract.SITE_PACKAGES_DIR
    shape = DependencyShape.from_options(ctx.options)

    def make(tree: Path) -> dict[str, Any]:
        install_requirements(
            locked, tree, pin.triple, pin.python_minor, ctx.work, offline=ctx.options.offline
        )
        python = interpreter.executable if interpreter.compiles else None
        return shape_dependencies(tree, shape, python, ctx.staging)

    key = stage_key(
        contract.SITE_PACKAGES_DIR,
        locked.requirements,
        pin.triple,
        pin.python_minor,
        pin.sha256,
        host_triple(),
        str(interpreter.compiles),
        uv_version(),
        shape.key(),
    )
    hit, _ = cached_tree(ctx.cache_root, key, site, make, ctx.reporter.warn, ctx.in_previous(site))
    return SitePackages(path=site, cache_key=key, cached=hit)


RUNTIME_REQUIREMENTS = Path(__file__).resolve().parents[1] / "data" / "runtime-requirements.txt"
REQUIREMENT_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", re.MULTILINE)


def _names(requirements: str) -> set[str]:
    return {re.sub(r"[-_.]+", "-", m.lower()) for m in REQUIREMENT_NAME.findall(requirements)}


def with_runtime_dependencies(locked: LockedRequirements) -> LockedRequirements:
    """The desktop runtime's own dependencies (waitress, whitenoise), pinned with hashes in
    the bundler, added when the project's lock does not have them (its own pins win)."""
    text = RUNTIME_REQUIREMENTS.read_text(encoding="utf-8")
    have = _names(locked.requirements)
    entries = re.split(r"\n(?=[A-Za-z0-9])", text)  # one entry: name==version + hashes
    missing = [e.strip() for e in entries if _names(e) and not (_names(e) & have)]
    if not missing:
        return locked
    extra = "\n".join(missing)
    return replace(locked, requirements=locked.requirements.rstrip("\n") + "\n" + extra + "\n")
