"""Stage 1, resolve: what is built and from what, checked before any download."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from djdesk_bundle import contract
from djdesk_bundle.build.install import (
    LockedRequirements,
    export_locked_requirements,
    with_runtime_dependencies,
)
from djdesk_bundle.build.source import SourceState, check_shell_version, source_state
from djdesk_bundle.build.uptodate import inputs_digest
from djdesk_bundle.options import AppProject, Options, read_app_project
from djdesk_bundle.pins import InterpreterPin, load_manifest
from djdesk_bundle.tools.git import require_git


@dataclass(frozen=True)
class Resolved:
    app: AppProject
    pin: InterpreterPin
    state: SourceState
    locked: LockedRequirements
    archive: Path  # <dist>/<name>-payload-<version>-<triple>.tar.gz
    inputs_digest: str  # everything the build reads: unchanged means up to date


def resolve_pin(options: Options, target: str | None = None) -> InterpreterPin:
    manifest = load_manifest(options.path(options.interpreter_manifest))
    return manifest.pin_for(target or options.target)


def resolve(
    options: Options, env: Mapping[str, str], dist: Path, target: str | None = None
) -> Resolved:
    """Config, manifest, lock and source state: they fail in seconds, before any work."""
    require_git(options.project_dir)
    pin = resolve_pin(options, target)
    app = read_app_project(options)
    state = source_state(options, app, env)
    check_shell_version(options, state.version)
    locked = with_runtime_dependencies(
        export_locked_requirements(options, app, offline=options.offline)
    )
    return Resolved(
        app=app,
        pin=pin,
        state=state,
        locked=locked,
        archive=dist / contract.archive_name(state.name, state.version, pin.triple),
        inputs_digest=inputs_digest(options, pin, state, locked),
    )
