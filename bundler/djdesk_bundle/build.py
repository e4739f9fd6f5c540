"""``djdesk-bundle build``: the stages in order, each timed, in a staging directory."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from . import __version__, contract
from .app_stage import (
    collect_static,
    compile_bytecode,
    copy_app,
    copy_optional_dir,
    host_python,
    make_template_database,
    runnable_python,
    untracked_files,
)
from .codesign import sign_payload, signing_requested
from .config import Options, host_triple
from .describe import (
    SourceState,
    build_info,
    file_sha256,
    write_atomic,
    write_build_info,
    write_checksums,
    write_version,
)
from .extract import PruneReport, extract_interpreter, interpreter_executable, prune
from .fetch import fetch_interpreter
from .install import LockedRequirements, export_locked_requirements, install_requirements
from .launcher import write_launcher
from .manifest import InterpreterPin, load_manifest
from .pack import write_archive
from .publish import publish, recover, staging_path
from .sbom import app_dependency_names, build_sbom
from .source import check_shell_version, source_state
from .stage_cache import cached_tree, stage_key
from .tools import uv_version
from .ui import Reporter
from .uptodate import inputs_digest, previous_build, remember_build


@dataclass
class BuildResult:
    output: Path
    archive: Path
    archive_sha256: str
    timings: list[tuple[str, float]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class StageClock:
    reporter: Reporter
    timings: list[tuple[str, float]] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)
    current: str = ""

    def note(self, text: str) -> None:
        self.notes[self.current] = text

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        self.current = name
        with (
            self.reporter.console.status(f"[bold]{name}[/bold]…")
            if (self.reporter.verbosity >= 0)
            else _nullcontext()
        ):
            yield
        elapsed = time.perf_counter() - start
        self.timings.append((name, elapsed))
        extra = f" ({self.notes[name]})" if name in self.notes else ""
        self.reporter.info(f"[green]✓[/green] {name}{extra} [dim]{elapsed:.1f} s[/dim]")


@contextmanager
def _nullcontext() -> Iterator[None]:
    yield


def cache_dir(options: Options) -> Path:
    return Path(options.cache_dir or platformdirs.user_cache_dir("djdesk-bundle"))


def fetch_pinned(options: Options, pin: InterpreterPin, reporter: Reporter) -> Path:
    """The verified interpreter archive, per the options' cache, mirror and offline mode."""
    return fetch_interpreter(
        pin,
        cache_dir(options),
        reporter,
        mirror=options.python_mirror or None,
        offline=options.offline,
    )


def resolve_pin(options: Options) -> InterpreterPin:
    manifest = load_manifest(options.path(options.interpreter_manifest))
    pin = manifest.pin_for(options.target)
    return pin


def build(
    options: Options,
    reporter: Reporter,
    env: Mapping[str, str],
    output: Path | None = None,
    dist: Path | None = None,
    hooks: Mapping[str, Callable[[Path], None]] | None = None,
    force: bool = False,
) -> BuildResult:
    """Build the payload into ``output`` and the archive into ``dist``.

    Nothing is rebuilt when nothing the build reads has changed and the previous payload
    and archive are intact, unless ``force``. ``hooks`` maps a stage name to a callable
    run on the staging dir after that stage (tests use it to interrupt a build).
    """
    output = (output or options.path(options.output_dir)).resolve()
    dist = (dist or options.path(options.dist_dir)).resolve()
    clock = StageClock(reporter)
    hooks = hooks or {}

    # Verify before work: config, manifest, lock and source state fail in seconds.
    with clock.stage("resolve"):
        pin = resolve_pin(options)
        state = source_state(options, env)
        check_shell_version(options, state.version)
        locked = export_locked_requirements(options, offline=options.offline)
        for message in recover(output):
            reporter.warn(message)
        archive = dist / contract.archive_name(state.name, state.version, pin.triple)
        digest = inputs_digest(options, pin, state, locked)
        unchanged = not (force or hooks or signing_requested(pin.triple, env)) and previous_build(
            cache_dir(options), output, archive, digest
        )
    if unchanged:
        reporter.info("[green]up to date[/green]: nothing changed since the last build")
        info = json.loads((output / contract.BUILD_INFO).read_text(encoding="utf-8"))
        return BuildResult(output, archive, unchanged, clock.timings, info)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = staging_path(output)
    shutil.rmtree(staging, ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix="djdesk-bundle-"))
    try:
        staging.mkdir()
        plan = Plan(options, reporter, clock, pin, state, locked, staging, work, dist, hooks)
        result = _run_stages(plan)
        with clock.stage("publish"):
            publish(staging, output)
        result.output = output
        remember_build(cache_dir(options), output, digest, result.archive, result.archive_sha256)
        return result
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


@dataclass(frozen=True)
class Plan:
    """Everything the stages after resolve need."""

    options: Options
    reporter: Reporter
    clock: StageClock
    pin: InterpreterPin
    state: SourceState
    locked: LockedRequirements
    staging: Path
    work: Path
    dist: Path
    hooks: Mapping[str, Callable[[Path], None]]


def _run_stages(plan: Plan) -> BuildResult:
    options, reporter, clock, pin = plan.options, plan.reporter, plan.clock, plan.pin
    state, locked, staging, work, hooks = (
        plan.state,
        plan.locked,
        plan.staging,
        plan.work,
        plan.hooks,
    )

    def after(stage: str) -> None:
        if stage in hooks:
            hooks[stage](staging)

    with clock.stage("fetch"):
        archive = fetch_pinned(options, pin, reporter)
    after("fetch")
    compile_wanted = options.compile_bytecode
    cache_root = cache_dir(options)
    with clock.stage("extract"):
        python_root = staging / contract.PYTHON_DIR

        def make_interpreter(root: Path) -> dict[str, Any]:
            extract_interpreter(archive, staging)
            report = prune(root, options.prune)
            executable = interpreter_executable(root, pin.is_windows)
            if compile_wanted and runnable_python(executable):
                compile_bytecode(executable, staging, [root])
            return {"paths": report.paths, "bytes": report.bytes}

        key = stage_key(
            "interpreter",
            pin.sha256,
            pin.triple,
            host_triple(),
            repr(sorted(options.prune)),
            str(compile_wanted),
        )
        interpreter_key = key
        hit, facts = cached_tree(cache_root, key, python_root, make_interpreter)
        if hit:
            clock.note("cached")
        pruned = PruneReport(paths=facts["paths"], bytes=facts["bytes"])
    after("extract")
    target_python = interpreter_executable(python_root, pin.is_windows)
    own = runnable_python(target_python)
    with clock.stage("install"):

        def make_site_packages(site: Path) -> dict[str, Any]:
            install_requirements(
                locked, site, pin.triple, pin.python_minor, work, offline=options.offline
            )
            if compile_wanted and own:
                compile_bytecode(target_python, staging, [site])
            return {}

        key = stage_key(
            "site-packages",
            locked.requirements,
            pin.triple,
            pin.python_minor,
            pin.sha256,
            host_triple(),
            str(compile_wanted and own),
            uv_version(),
        )
        site_packages_key = key
        hit, _ = cached_tree(
            cache_root, key, staging / contract.SITE_PACKAGES_DIR, make_site_packages
        )
        if hit:
            clock.note("cached")
    after("install")
    with clock.stage("app"):
        copy_app(options, staging / contract.APP_DIR)
        untracked = untracked_files(options.app_path, options.project_dir)
        if untracked:
            reporter.warn(
                f"{len(untracked)} untracked file(s) in the app are not shipped "
                f"(git add them): {', '.join(untracked[:5])}"
            )
        if options.samples_dir:
            sample = options.path(options.samples_dir)
            copy_optional_dir(
                options, options.samples_dir, staging / contract.SAMPLES_DIR / sample.name
            )
        if options.docs_dir and options.path(options.docs_dir).is_dir():
            copy_optional_dir(options, options.docs_dir, staging / contract.DOCS_DIR)
        elif options.docs_dir:
            reporter.warn(
                f"no offline docs at {options.path(options.docs_dir)}: the payload "
                "ships without docs/ (build them first, e.g. `just docs-bundle`)"
            )
        collect_static(options, staging, target_python if own else host_python(), work)
        # Written first: its session_guard.py is compiled with the rest.
        write_launcher(options, staging, precompiled=options.compile_bytecode and own)
        precompiled = False
        if options.compile_bytecode and own:
            compile_bytecode(
                target_python,
                staging,
                [staging / contract.APP_DIR, staging / contract.SESSION_GUARD],
            )
            precompiled = True
        elif options.compile_bytecode:
            reporter.warn(
                f"cannot run the {pin.triple} interpreter here: bytecode is not "
                "precompiled; the first launch compiles into the data dir"
            )
    after("app")
    template = False
    if options.template_database and own:
        with clock.stage("template-db"):
            template = make_template_database(
                options, staging, target_python, work, state.source_date_epoch
            )
        after("template-db")
    elif options.template_database:
        reporter.warn(
            f"cannot run the {pin.triple} interpreter here: no pre-migrated database; "
            "the first launch runs the migrations"
        )
    # Native binaries are signed before SHA256SUMS and the SBOM describe them.
    signed = sign_payload(staging, pin.triple, os.environ, reporter)
    with clock.stage("describe"):
        write_version(staging, state)
        info = build_info(
            state,
            pin,
            {
                "target": pin.triple,
                "precompiled": precompiled,
                "template_database": template,
                "lock": {
                    "kind": locked.kind,
                    "file": locked.lock_path.name,
                    "sha256": file_sha256(locked.lock_path),
                },
                # -1: the interpreter came from the stage cache (same inputs, same result).
                "pruned": {"paths": pruned.paths, "bytes": pruned.bytes},
                "tools": {"djdesk-bundle": __version__, "uv": uv_version()},
            },
        )
        write_build_info(staging, info)
        sbom = build_sbom(
            staging,
            state.name,
            state.version,
            pin,
            locked.lock_path,
            app_dependency_names(options.app_path / "pyproject.toml"),
            options.path(options.npm_lock) if options.npm_lock else None,
            state.source_date_epoch,
            validated_cache=cache_root / "sbom-validated",
        )
        write_atomic(staging / contract.SBOM, sbom)
        write_checksums(staging)
    after("describe")
    with clock.stage("pack"):
        archive_path = plan.dist / contract.archive_name(state.name, state.version, pin.triple)
        # Both trees are what their stage keys name (nothing writes into them later), so
        # their compressed member is found by those keys without reading them.
        digest = write_archive(
            staging,
            archive_path,
            state.source_date_epoch,
            cache=cache_root / "pack",
            stable_key=None
            if signed
            else stage_key("archive-prefix", interpreter_key, site_packages_key),
        )
    after("pack")
    return BuildResult(
        output=staging,
        archive=archive_path,
        archive_sha256=digest,
        timings=clock.timings,
        info=info,
    )
