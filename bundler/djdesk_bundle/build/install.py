"""Stage 4, install: the app's locked, hash-pinned runtime deps into ``site-packages/``.

uv installs them for the target's platform and Python version (so a Windows or macOS
payload can be assembled on Linux), with hashes required, no resolution and wheels only.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from djdesk_bundle import contract
from djdesk_bundle.build.extract import Interpreter
from djdesk_bundle.build.fetch import prepare_cache_root
from djdesk_bundle.build.requirements import (
    check_lock_is_current,
    check_lock_lines,
    expand_includes,
)
from djdesk_bundle.build.requirements import lock_path as requirements_lock_path
from djdesk_bundle.build.slim import DependencyShape, shape_dependencies
from djdesk_bundle.build.stage import StageContext
from djdesk_bundle.cache.stage_trees import cached_tree, stage_key, stages_store
from djdesk_bundle.cache.store import Store
from djdesk_bundle.errors import InstallError, LockError
from djdesk_bundle.options import AppProject, Options
from djdesk_bundle.pins import InterpreterPin, manifest_file
from djdesk_bundle.tools.process import DEFAULT_TIMEOUT_SECONDS, run, tail
from djdesk_bundle.tools.toolchain import Toolchain

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


def _hash_pinned(path: Path) -> LockedRequirements:
    """A hash-pinned requirements file, its ``-r`` includes inlined (they are relative to
    it, and the text is installed from elsewhere)."""
    text = expand_includes(path)
    check_lock_lines(text, path)
    return LockedRequirements("requirements.txt", path, text)


def export_locked_requirements(
    options: Options, app: AppProject, toolchain: Toolchain, offline: bool = False
) -> LockedRequirements:
    """The runtime deps of the app, exactly as locked, with their hashes (a uv.lock's
    checked and exported by the toolchain's uv, remembered under its version)."""
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
    store = Store.under(options.cache_root, "uv-exports", keep=16)
    key = uv_inputs_key(project, lock_path, export_args, toolchain.uv_version)
    remembered = store.get_text(key)
    if remembered is not None and _export_is_sound(remembered, lock_path):
        # The same lock and pyproject files were checked and exported before: two uv
        # processes fewer for every rebuild that does not touch them.
        requirements = remembered
    else:
        requirements = _check_and_export(
            toolchain.uv, project, lock_path, export_args, offline, options.process_timeout
        )
        prepare_cache_root(options.cache_root)
        store.put_text(key, requirements)
    check_lock_lines(requirements, lock_path)
    return LockedRequirements("uv.lock", lock_path, requirements)


def _export_is_sound(remembered: str, lock: Path) -> bool:
    """The cache is not trusted: every hash of a remembered export must be in the lock."""
    hashes = HASH_PATTERN.findall(remembered)
    lock_text = lock.read_text(encoding="utf-8")
    return bool(hashes) and all(h.removeprefix("--hash=") in lock_text for h in hashes)


def uv_inputs_key(project: Path, lock: Path, export_args: tuple[str, ...], uv_version: str) -> str:
    """What `uv lock --check` and `uv export` read: the lock, the workspace's pyproject
    files (the root's and every member's), uv's version and the export's arguments."""
    root = project / "pyproject.toml"
    table = tomllib.loads(root.read_text(encoding="utf-8")) if root.is_file() else {}
    globs = table.get("tool", {}).get("uv", {}).get("workspace", {}).get("members", [])
    files = [lock, root, *sorted(p for g in globs for p in project.glob(f"{g}/pyproject.toml"))]
    digest = hashlib.sha256(f"{uv_version} {' '.join(export_args)}".encode())
    for path in files:
        digest.update(f"\0{path.relative_to(project).as_posix()}\0".encode())
        digest.update(path.read_bytes() if path.is_file() else b"-")
    return digest.hexdigest()


def _check_and_export(
    uv: Path,
    project: Path,
    lock_path: Path,
    export_args: tuple[str, ...],
    offline: bool,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> str:
    offline_flag = ["--offline"] if offline else []
    check = run([str(uv), "lock", "--check", *offline_flag], cwd=project, timeout=timeout)
    if check.returncode != 0:
        raise LockError(
            f"{lock_path} is out of date with pyproject.toml: run `uv lock` and commit it\n"
            + tail(check.stderr, 5)
        )
    export = run([str(uv), "export", "--frozen", *export_args], cwd=project, timeout=timeout)
    if export.returncode != 0:
        raise LockError(f"uv export failed for {lock_path}:\n{tail(export.stderr)}")
    return export.stdout


def install_requirements(
    uv: Path,
    locked: LockedRequirements,
    site_packages: Path,
    triple: str,
    python_minor: str,
    work_dir: Path,
    offline: bool = False,
    build_sdists: tuple[str, ...] = (),
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
) -> None:
    """Exactly the locked requirements for the target, from wheels; the ``build_sdists``
    allowlist may be built from their hash-pinned sdists (uv builds each in isolation)."""
    requirements = work_dir / "requirements.txt"
    requirements.write_text(locked.requirements, encoding="utf-8")
    site_packages.mkdir(parents=True, exist_ok=True)
    result = run(
        [
            str(uv),
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
            *binary_policy(locked.requirements, build_sdists),
            "--link-mode",
            "copy",
            "--no-compile",
            *(["--offline"] if offline else []),
            "-r",
            str(requirements),
        ],
        timeout=timeout,
    )
    if result.returncode != 0:
        match = NO_WHEEL.search(result.stderr)
        if match:
            name = match.group("hint") or match.group("name")
            raise InstallError(
                f"{no_wheel_advice(name, triple, python_minor)}\n{tail(result.stderr, 6)}"
            )
        network = _network_failure(result.stderr, triple)
        if network is not None:
            raise network
        raise InstallError(f"uv pip install failed for {triple}:\n{tail(result.stderr)}")
    drop_console_scripts(site_packages)


# Web servers a project deploys with: the desktop runtime serves the app itself (waitress).
WEB_SERVERS = frozenset({"uwsgi", "gunicorn", "uvicorn", "daphne", "hypercorn", "mod-wsgi"})


def no_wheel_advice(name: str, triple: str, python_minor: str) -> str:
    base = canonicalize_name(name.split("==")[0].split(" ")[0])
    if base in WEB_SERVERS:
        return (
            f"{name} has no wheel for {triple}: it is a web server, and the desktop runtime "
            "serves the app itself; leave it out of the requirements the payload ships "
            "(e.g. lock the base requirements file, not the production one)"
        )
    return (
        f"{name} has no wheel for {triple} (Python {python_minor}); an sdist is built only "
        f'when the project allows it: build-sdists = ["{base}"] in [tool.djdesk-bundle] '
        "(pure Python, or a build for this host's own target)"
    )


def binary_policy(requirements: str, build_sdists: tuple[str, ...]) -> list[str]:
    """uv's flags: wheels only for every package, or for all but the allowlisted ones."""
    if not build_sdists:
        return ["--only-binary", ":all:"]
    allowed = {canonicalize_name(name) for name in build_sdists}
    unknown = allowed - _names(requirements)
    if unknown:
        raise InstallError(
            f"build-sdists names {', '.join(sorted(unknown))}, which the lock does not pin"
        )
    return [f"--only-binary={name}" for name in sorted(_names(requirements) - allowed)]


def check_built_sdists(
    site_packages: Path, build_sdists: tuple[str, ...], interpreter: Interpreter
) -> None:
    """A wheel built here from an sdist ships only when it is pure Python, or when the
    target's interpreter runs here (a compiled extension built here runs only here)."""
    allowed = {canonicalize_name(name) for name in build_sdists}
    for wheel in sorted(site_packages.glob("*.dist-info/WHEEL")):
        # <name>-<version>.dist-info (the name has no "-": the wheel spec escapes it to "_")
        name = canonicalize_name(wheel.parent.name.removesuffix(".dist-info").rsplit("-", 1)[0])
        if name not in allowed:
            continue
        pure = "Root-Is-Purelib: true" in wheel.read_text(encoding="utf-8", errors="replace")
        if not pure and not interpreter.runs_here:
            triple = interpreter.triple
            raise InstallError(
                f"{name} was built from its sdist with compiled code, which runs only on "
                f"this host, not on {triple}: build the payload for {triple} on that platform"
            )


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


def install_key(
    ctx: StageContext, pin: InterpreterPin, locked: LockedRequirements, compiles: bool
) -> str:
    """The site-packages stage tree's key (known before extract: ``compiles`` is
    ``Interpreter.compiles``, a function of the option and the pin's and host's triples)."""
    return stage_key(
        contract.SITE_PACKAGES_DIR,
        locked.requirements,
        pin.triple,
        pin.python_minor,
        pin.sha256,
        ctx.toolchain.host_triple,
        str(compiles),
        ctx.toolchain.uv_version,
        DependencyShape.from_options(ctx.options).key(),
        ",".join(sorted(ctx.options.build_sdists)),
    )


def early_install(
    ctx: StageContext, pin: InterpreterPin, locked: LockedRequirements, compiles: bool
) -> Path | None:
    """``uv pip install`` of the locked deps while extract runs (it needs no interpreter:
    the target is named), when the stage cache has no entry for them; the tree the
    install stage then takes instead of installing, or None."""
    if stages_store(ctx.cache_root).recorded_tree(install_key(ctx, pin, locked, compiles)):
        return None
    tree = ctx.staging / f".{contract.SITE_PACKAGES_DIR}-early"
    work = ctx.work / "early-install"
    work.mkdir()
    _install(ctx, pin, locked, tree, work)
    return tree


def _install(
    ctx: StageContext, pin: InterpreterPin, locked: LockedRequirements, tree: Path, work: Path
) -> None:
    install_requirements(
        ctx.toolchain.uv,
        locked,
        tree,
        pin.triple,
        pin.python_minor,
        work,
        offline=ctx.options.offline,
        build_sdists=ctx.options.build_sdists,
        timeout=ctx.options.process_timeout,
    )


def install_stage(
    ctx: StageContext,
    pin: InterpreterPin,
    locked: LockedRequirements,
    interpreter: Interpreter,
    early: Callable[[], Path | None] = lambda: None,
) -> SitePackages:
    """The locked runtime deps for the target, precompiled, or the same from the stage
    cache; ``early`` joins an ``early_install`` (its error is this stage's)."""
    site = ctx.staging / contract.SITE_PACKAGES_DIR
    shape = DependencyShape.from_options(ctx.options)
    installed = early()

    def make(tree: Path) -> dict[str, Any]:
        if installed is not None and installed.is_dir():
            installed.rename(tree)
        else:
            _install(ctx, pin, locked, tree, ctx.work)
        check_built_sdists(tree, ctx.options.build_sdists, interpreter)
        python = interpreter.executable if interpreter.compiles else None
        return shape_dependencies(tree, shape, python, ctx.staging, ctx.deleter)

    key = install_key(ctx, pin, locked, interpreter.compiles)
    try:
        hit, _ = cached_tree(
            ctx.cache_root,
            key,
            site,
            make,
            ctx.reporter.warn,
            ctx.in_previous(site),
            ctx.digests,
        )
    finally:
        if installed is not None:  # not taken: a cache entry appeared meanwhile
            shutil.rmtree(installed, ignore_errors=True)
    return SitePackages(path=site, cache_key=key, cached=hit)


RUNTIME_REQUIREMENTS = manifest_file("runtime-requirements.txt")
REQUIREMENT_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==", re.MULTILINE)


def _names(requirements: str) -> set[str]:
    return {canonicalize_name(m) for m in REQUIREMENT_NAME.findall(requirements)}


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
