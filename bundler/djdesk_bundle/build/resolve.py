"""Stage 1, resolve: what is built and from what, checked before any download."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import SpecifierSet

from djdesk_bundle import contract
from djdesk_bundle.build.install import (
    LockedRequirements,
    export_locked_requirements,
    with_runtime_dependencies,
)
from djdesk_bundle.build.selection import SourceFiles, select_sources
from djdesk_bundle.build.source import SourceState, check_shell_version, source_state
from djdesk_bundle.build.steps import run_before_build
from djdesk_bundle.build.uptodate import inputs_digest
from djdesk_bundle.cache.digests import Digests
from djdesk_bundle.errors import LockError
from djdesk_bundle.options import AppProject, Options, read_app_project
from djdesk_bundle.pins import InterpreterPin, load_manifest
from djdesk_bundle.tools.git import require_git
from djdesk_bundle.tools.toolchain import Toolchain


@dataclass(frozen=True)
class Resolved:
    app: AppProject
    pin: InterpreterPin
    state: SourceState
    locked: LockedRequirements
    archive: Path  # <dist>/<name>-payload-<version>-<triple>.tar.gz
    inputs_digest: str  # everything the build reads: unchanged means up to date
    sources: SourceFiles  # what ships of the app, samples and docs folders
    toolchain: Toolchain  # uv, git and the host, found once: every later stage's


def resolve_pin(options: Options, target: str | None = None) -> InterpreterPin:
    manifest = load_manifest(options.path(options.interpreter_manifest))
    return manifest.pin_for(target or options.target)


def resolve(
    options: Options,
    env: Mapping[str, str],
    dist: Path,
    target: str | None = None,
    digests: Digests | None = None,
    toolchain: Toolchain | None = None,
) -> Resolved:
    """Config, manifest, lock and source state: they fail in seconds, before any work
    (``digests``: the build's, which its inputs digest uses and remembers; ``toolchain``:
    one found for several resolves, e.g. fetch's of every target, else found here)."""
    tools = toolchain if toolchain is not None else Toolchain.find()
    require_git(options.project_dir, tools.git)
    pin = resolve_pin(options, target)
    run_before_build(options)
    app = read_app_project(options)
    state = source_state(options, app, env, tools.git)
    check_shell_version(options, state.version)
    locked = with_runtime_dependencies(
        export_locked_requirements(options, app, tools, offline=options.offline)
    )
    check_lock_python(app, locked, pin)
    sources = select_sources(options, tools.git)
    return Resolved(
        app=app,
        pin=pin,
        state=state,
        locked=locked,
        archive=dist / contract.archive_name(state.name, state.version, pin.triple),
        inputs_digest=inputs_digest(
            options,
            pin,
            state,
            locked,
            sources,
            digests if digests is not None else Digests(),
            tools,
        ),
        sources=sources,
        toolchain=tools,
    )


def check_lock_python(app: AppProject, locked: LockedRequirements, pin: InterpreterPin) -> None:
    """A project (or its uv.lock) made for another Python is refused in one line, before
    any download: uv's resolver would say it only after the interpreter is extracted. A
    workspace's lock holds every member's constraint, so there only the app's counts."""
    for path in (app.pyproject, locked.lock_path):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # a requirements lock, or unreadable: uv's own checks report it
        if path == app.pyproject:
            raw = data.get("project", {}).get("requires-python", "")
        elif not data.get("manifest", {}).get("members"):
            raw = data.get("requires-python", "")
        else:
            continue
        try:
            wanted = SpecifierSet(str(raw))
        except ValueError:
            continue
        if raw and not wanted.contains(pin.python_version, prereleases=True):
            raise LockError(
                f"{path} asks for Python {wanted}, but the interpreter pinned for "
                f"{pin.triple} is {pin.python_version}: pin an interpreter it allows "
                "(interpreter-manifest), or change requires-python and lock again"
            )
