"""``djdesk-bundle build``: the stages in order, each timed, in a staging directory.

Each stage is one entry function in its own module with a typed result (``resolve``,
``fetch``, ``extract``, ``install``, ``app_stage``, ``template_db``, ``describe``,
``pack``, ``publish``); ``build()`` is the list of their calls.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from djdesk_bundle import contract
from djdesk_bundle.build.app import app_stage
from djdesk_bundle.build.background import Background, Job
from djdesk_bundle.build.describe import describe_stage, make_sbom, sbom_inputs
from djdesk_bundle.build.extract import Interpreter, extract_stage, precompiles
from djdesk_bundle.build.fetch import fetch_stage, prepare_cache_root
from djdesk_bundle.build.install import SitePackages, early_install, install_stage
from djdesk_bundle.build.locks import build_locks
from djdesk_bundle.build.outputs import check_outputs_outside_app
from djdesk_bundle.build.pack import (
    Packed,
    install_archive,
    pack_stage,
    pending_path,
    stable_member_key,
    store_stable_member,
)
from djdesk_bundle.build.preflight import CheckReport, preflight_stage
from djdesk_bundle.build.publish import (
    check_output_dir,
    publish,
    recover,
    source_dirs,
    staging_path,
)
from djdesk_bundle.build.resolve import Resolved, resolve
from djdesk_bundle.build.secret_scan import Finding, find_secrets, report_findings, secrets_stage
from djdesk_bundle.build.selection import SourceFiles
from djdesk_bundle.build.smoke import SmokeReport, smoke_stage
from djdesk_bundle.build.stage import StageClock, StageContext
from djdesk_bundle.build.template_db import TemplateDatabase, template_stage
from djdesk_bundle.build.uptodate import digests_store, previous_build, remember_build
from djdesk_bundle.cache.digests import Digests
from djdesk_bundle.errors import BundleError
from djdesk_bundle.fs.deleter import Deleter
from djdesk_bundle.options import Options
from djdesk_bundle.pins import load_manifest, pin_age_warning
from djdesk_bundle.sbom.cache import sbom_key
from djdesk_bundle.sign.codesign import sign_payload, signing_requested
from djdesk_bundle.ui import Reporter

# In staging, what the stages prune until the build's deleter thread has deleted it.
PRUNED_ASIDE = ".pruned"


@dataclass
class BuildResult:
    output: Path
    archive: Path
    archive_sha256: str
    sources: SourceFiles  # resolve's file selection (the report lists what it left out)
    timings: list[tuple[str, float]] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


def build(
    options: Options,
    reporter: Reporter,
    env: Mapping[str, str],
    hooks: Mapping[str, Callable[[Path], None]] | None = None,
    force: bool = False,
) -> BuildResult:
    """Build the payload into ``output-dir`` and the archive into ``dist-dir`` (every flag
    reaches a build as an option: ``cli.common.options_from``).

    Nothing is rebuilt when nothing the build reads has changed and the previous payload
    and archive are intact, unless ``force``. ``hooks`` maps a stage name to a callable
    run on the staging dir after that stage (tests use it to interrupt a build).
    """
    output = options.path(options.output_dir)
    dist = options.path(options.dist_dir)
    # Refused before any lock file is written: a refused build leaves nothing behind.
    check_output_dir(output, options.project_dir, source_dirs(options))
    prepare_cache_root(options.cache_root)  # tagged as the tool's before anything is cached
    with build_locks(output, dist, reporter):
        check_output_dir(output, options.project_dir, source_dirs(options))  # what it waited for
        # One per build: what it hashes, looked up by stat, kept for the next build.
        digests = Digests.load(digests_store(options.cache_root, output))
        try:
            return _build_locked(options, reporter, env, output, dist, hooks or {}, force, digests)
        finally:
            digests.save()


def _build_locked(
    options: Options,
    reporter: Reporter,
    env: Mapping[str, str],
    output: Path,
    dist: Path,
    hooks: Mapping[str, Callable[[Path], None]],
    force: bool,
    digests: Digests,
) -> BuildResult:
    staging = staging_path(output)
    clock = StageClock(reporter, {name: _bind(hook, staging) for name, hook in hooks.items()})

    with clock.stage("resolve"):
        check_outputs_outside_app(options, output, dist)
        for message in recover(output):
            reporter.warn(message)
        resolved = resolve(options, env, dist, digests=digests)
        report_sources(reporter, options, resolved)
        # A signed build is never "up to date": the identity may have changed.
        rebuild = force or hooks or signing_requested(resolved.pin.triple, env)
        unchanged = not rebuild and previous_build(
            options.cache_root, output, resolved.archive, resolved.inputs_digest, digests=digests
        )
    if unchanged:
        reporter.info("[green]up to date[/green]: nothing changed since the last build")
        info = json.loads((output / contract.BUILD_INFO).read_text(encoding="utf-8"))
        return BuildResult(
            output, resolved.archive, unchanged, resolved.sources, clock.timings, info
        )

    with _staging_area(output, staging, resolved.archive) as work, Background() as background:
        # The secret scan and the SBOM run in a worker process beside the stages (on the
        # second core), each joined where its result is needed.
        scan = background.submit(find_secrets, resolved.sources, options.cache_root)
        # Unchanged trees are hard-linked from the previous payload, unless this build signs
        # in place: a signature must never reach the files the previous payload still uses.
        signs = signing_requested(resolved.pin.triple, env)
        previous = None if signs else output
        # What the stages prune is moved aside in staging and deleted by a thread meanwhile.
        deleter = Deleter(staging / PRUNED_ASIDE)
        ctx = StageContext(
            options,
            reporter,
            resolved.toolchain,
            staging,
            work,
            previous,
            digests,
            deleter,
        )
        try:
            packed, info = _stages(clock, ctx, resolved, env, background, scan)
        finally:
            deleter.wait()
        clock.run("publish", publish_stage, staging, output, packed)
    remember_build(
        options.cache_root, output, resolved.inputs_digest, packed.archive, packed.sha256
    )
    return BuildResult(output, packed.archive, packed.sha256, resolved.sources, clock.timings, info)


def _stages(
    clock: StageClock,
    ctx: StageContext,
    resolved: Resolved,
    env: Mapping[str, str],
    background: Background,
    scan: Job[list[Finding]],
) -> tuple[Packed, dict[str, Any]]:
    """fetch to pack, in the staging dir."""
    options, reporter, staging = ctx.options, ctx.reporter, ctx.staging
    archive = clock.run("fetch", fetch_stage, options, resolved.pin, reporter, ctx.digests)
    pin, locked = resolved.pin, resolved.locked
    # uv installs the deps (it needs no interpreter) while extract runs; a failure of
    # either stops the build once both have ended.
    compiles = precompiles(pin.triple, ctx.toolchain.host_triple, options.compile_bytecode)
    with ThreadPoolExecutor(max_workers=1) as pool:
        early = pool.submit(early_install, ctx, pin, locked, compiles)
        interpreter = clock.run("extract", extract_stage, ctx, pin, archive)
        site = clock.run("install", install_stage, ctx, pin, locked, interpreter, early.result)
    # What the SBOM describes is final now, unless signing changes the binaries: a signed
    # build makes it in describe, after signing.
    sbom = packing = None
    if not signing_requested(resolved.pin.triple, env):
        sbom = clock.run("sbom", start_sbom, ctx, resolved, interpreter, background)
        # The interpreter + deps member of the archive, compressed in the worker too.
        key = stable_member_key(interpreter, site)
        packing = background.submit(store_stable_member, staging, ctx.cache_root / "pack", key)
    app = clock.run("app", app_stage, ctx, resolved.app, resolved.sources, interpreter, site)
    clock.run("secrets", joined_scan, scan, resolved.sources, reporter)
    template, smoke = _check_beside_template(clock, ctx, resolved, interpreter, site)
    ctx.deleter.wait()  # what follows walks the whole payload
    # Native binaries are signed before SHA256SUMS and the SBOM describe them.
    signed = clock.run("sign", sign_payload, staging, resolved.pin.triple, env, reporter)
    info = clock.run(
        "describe", describe_stage, ctx, resolved, interpreter, app, template, smoke, sbom
    )
    packed = clock.run("pack", _pack, ctx, resolved, interpreter, site, signed, packing)
    return packed, info


def _pack(
    ctx: StageContext,
    resolved: Resolved,
    interpreter: Interpreter,
    site: SitePackages,
    signed: bool,
    packing: Job[None] | None,
) -> Packed:
    """The pack stage, once the worker has stored the stable member; if it could not
    (a cache that cannot be written, an error), the stage compresses it itself."""
    if packing is not None:
        try:
            packing.result()
        except (BundleError, OSError) as error:
            ctx.reporter.detail(f"the archive's first member was not made ahead: {error}")
    return pack_stage(ctx, resolved, interpreter, site, signed)


def start_sbom(
    ctx: StageContext, resolved: Resolved, interpreter: Interpreter, background: Background
) -> Job[str]:
    """The SBOM's key here (the build's remembered digests make it cheap), the SBOM made
    (or read from the store) in the background worker."""
    inputs = sbom_inputs(ctx, resolved, interpreter)
    return background.submit(make_sbom, ctx.cache_root, inputs, sbom_key(inputs, ctx.digests))


def joined_scan(scan: Job[list[Finding]], sources: SourceFiles, reporter: Reporter) -> int:
    """The background secret scan's findings: a blocking one stops the build (before
    anything is published), the others are warnings."""
    return report_findings(scan.result(), sources, reporter)


def check(options: Options, reporter: Reporter, env: Mapping[str, str]) -> CheckReport:
    """``djdesk-bundle check``: the stages up to the app in a scratch dir, then the
    pre-flight check (errors raise, as in a build) and the smoke test."""
    clock = StageClock(reporter)
    prepare_cache_root(options.cache_root)
    with tempfile.TemporaryDirectory(prefix="djdesk-check-") as scratch:
        root = Path(scratch)
        resolved = clock.run("resolve", resolve, options, env, root / "dist")
        stale = pin_age_warning(
            load_manifest(options.path(options.interpreter_manifest)), date.today()
        )
        if stale:
            reporter.warn(stale)
        ctx = StageContext(options, reporter, resolved.toolchain, root / "payload", root / "work")
        ctx.staging.mkdir()
        ctx.work.mkdir()
        archive = clock.run("fetch", fetch_stage, options, resolved.pin, reporter)
        interpreter = clock.run("extract", extract_stage, ctx, resolved.pin, archive)
        site = clock.run("install", install_stage, ctx, resolved.pin, resolved.locked, interpreter)
        report_sources(reporter, options, resolved)
        clock.run("secrets", secrets_stage, resolved.sources, options.cache_root, reporter)
        clock.run("app", app_stage, ctx, resolved.app, resolved.sources, interpreter, site)
        report = clock.run("check", preflight_stage, ctx, interpreter)
        clock.run("smoke", smoke_stage, ctx, interpreter)
        return report


def report_sources(reporter: Reporter, options: Options, resolved: Resolved) -> None:
    """What the file selection left out that a developer may have meant to ship, and a
    tree whose tracked files were changed since the commit."""
    untracked = resolved.sources.app.untracked()
    if untracked:
        named = ", ".join(untracked[:5]) + (", …" if len(untracked) > 5 else "")
        reporter.warn(
            f"{len(untracked)} untracked file(s) in {options.app_dir} left out: {named} "
            "(commit them or add them to include; `djdesk-bundle files` lists all)"
        )
    if resolved.state.dirty:
        reporter.warn("tracked files changed since the last commit: build-info marks it dirty")
    if options.docs_dir and resolved.sources.docs is None:
        reporter.warn(
            f"no offline docs at {options.path(options.docs_dir)}: the payload "
            "ships without docs/ (build them first, e.g. `just docs-bundle`)"
        )


def _check_beside_template(
    clock: StageClock,
    ctx: StageContext,
    resolved: Resolved,
    interpreter: Interpreter,
    site: SitePackages,
) -> tuple[TemplateDatabase, SmokeReport]:
    """The pre-flight check beside the template database and then the smoke test (which
    boots from that database): independent processes of the payload's interpreter, each
    with its own scratch data dir, that only read staging, so a second core does one
    while the first does the other. A rebuild that reuses the template boots the smoke
    test at once, beside the check. Each stage's time on the clock is what is left of it
    once the one before is done; a failure of any stops the build, after all have ended
    (nothing may still write into staging)."""
    with ThreadPoolExecutor(max_workers=1) as pool:  # one worker: the smoke after the template
        template = pool.submit(template_stage, ctx, resolved.state, interpreter, site)
        smoke = pool.submit(_smoke_after, template, ctx, interpreter)
        try:
            clock.run("check", preflight_stage, ctx, interpreter)
        except BaseException:
            smoke.cancel()  # not booted for a build that stops anyway
            raise
        return clock.run("template-db", template.result), clock.run("smoke", smoke.result)


def _smoke_after(
    template: Future[TemplateDatabase], ctx: StageContext, interpreter: Interpreter
) -> SmokeReport:
    template.result()  # done (the same worker ran it); a failed template stops here
    return smoke_stage(ctx, interpreter)


def publish_stage(staging: Path, output: Path, packed: Packed) -> None:
    """The payload swapped into place, then (only then) the archive and its sidecar."""
    publish(staging, output)
    install_archive(packed.archive, packed.sha256)


def _bind(hook: Callable[[Path], None], staging: Path) -> Callable[[], None]:
    return lambda: hook(staging)


@contextmanager
def _staging_area(output: Path, staging: Path, archive: Path) -> Iterator[Path]:
    """A fresh staging dir beside the output and a scratch dir; both gone afterwards, and
    so is an archive a failed build left pending."""
    output.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(staging, ignore_errors=True)
    work = Path(tempfile.mkdtemp(prefix="djdesk-bundle-"))
    try:
        staging.mkdir()
        yield work
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
        pending_path(archive).unlink(missing_ok=True)
