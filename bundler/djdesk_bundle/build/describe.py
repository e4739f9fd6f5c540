"""Stage 6, describe: VERSION, build-info.json, the SBOM and SHA256SUMS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from djdesk_bundle import __version__, contract
from djdesk_bundle.build.app import AppPayload
from djdesk_bundle.build.background import Job
from djdesk_bundle.build.extract import Interpreter
from djdesk_bundle.build.resolve import Resolved
from djdesk_bundle.build.smoke import SmokeReport
from djdesk_bundle.build.source import SourceState
from djdesk_bundle.build.stage import StageContext
from djdesk_bundle.build.template_db import TemplateDatabase
from djdesk_bundle.fs.atomic import write_atomic
from djdesk_bundle.inspect.checksums import write_checksums
from djdesk_bundle.pins import InterpreterPin
from djdesk_bundle.sbom.cache import (
    ELECTRON_VERSIONS,
    SbomInputs,
    sbom_key,
    store_sbom,
    stored_sbom,
)


def write_version(payload: Path, state: SourceState) -> None:
    sha = state.git_sha or "unknown"
    dirty = " (dirty)" if state.dirty else ""
    write_atomic(
        payload / contract.VERSION_FILE, f"{state.name} {state.version}\ngit {sha}{dirty}\n"
    )


def write_build_info(payload: Path, info: dict[str, Any]) -> None:
    text = json.dumps(info, indent=2, sort_keys=True) + "\n"
    write_atomic(payload / contract.BUILD_INFO, text)


def build_info(state: SourceState, pin: InterpreterPin, extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "schema_version": contract.BUILD_INFO_SCHEMA_VERSION,
        "name": state.name,
        "version": state.version,
        "git": {"sha": state.git_sha, "dirty": state.dirty},
        "source_date_epoch": state.source_date_epoch,
        "interpreter": {
            "python_version": pin.python_version,
            "release": pin.release,
            "triple": pin.triple,
            "variant": pin.variant,
            "sha256": pin.sha256,
            "url": pin.url,
        },
        **extra,
    }


def describe_stage(
    ctx: StageContext,
    resolved: Resolved,
    interpreter: Interpreter,
    app: AppPayload,
    template: TemplateDatabase,
    smoke: SmokeReport,
    sbom: Job[str] | None = None,
) -> dict[str, Any]:
    """VERSION, build-info.json, the SBOM (validated) and SHA256SUMS; returns build-info."""
    state, locked, options = resolved.state, resolved.locked, ctx.options
    write_version(ctx.staging, state)
    info = build_info(
        state,
        resolved.pin,
        {
            "target": resolved.pin.triple,
            "precompiled": app.precompiled,
            "template_database": template.shipped,
            "build_steps": {
                "before_build": options.before_build,
                "build_commands": list(options.build_commands),
            },
            "smoke": list(smoke.checked) if smoke.ran else None,
            "lock": {
                "kind": locked.kind,
                "file": locked.lock_path.name,
                "sha256": ctx.digests.file_sha256(locked.lock_path),
            },
            # From the stage cache on a hit: the same inputs made the same tree.
            "pruned": {"paths": interpreter.pruned.paths, "bytes": interpreter.pruned.bytes},
            "tools": {"djdesk-bundle": __version__, "uv": ctx.toolchain.uv_version},
        },
    )
    write_build_info(ctx.staging, info)
    # Made in the build's background worker while the app stage ran, or (a signed build:
    # the SBOM describes the signed files) here, after signing.
    if sbom is not None:
        text = sbom.result()
    else:
        inputs = sbom_inputs(ctx, resolved, interpreter)
        text = make_sbom(ctx.cache_root, inputs, sbom_key(inputs, ctx.digests))
    write_atomic(ctx.staging / contract.SBOM, text)
    write_checksums(ctx.staging, ctx.digests)
    return info


def sbom_inputs(ctx: StageContext, resolved: Resolved, interpreter: Interpreter) -> SbomInputs:
    """What the SBOM is made from: the staged interpreter and site-packages (final once
    install is done), the lock, the app's project, the shell's lock."""
    state, options = resolved.state, ctx.options
    return SbomInputs(
        ctx.staging,
        state.name,
        state.version,
        resolved.pin,
        resolved.locked.lock_path,
        tuple(resolved.app.dependencies),
        options.path(options.npm_lock) if options.npm_lock else None,
        state.source_date_epoch,
        ELECTRON_VERSIONS,
        ctx.toolchain.host_triple,
        built_from_sdist=options.build_sdists,
        interpreter_runs_here=interpreter.runs_here,
    )


def make_sbom(cache_root: Path, inputs: SbomInputs, key: str) -> str:
    """The SBOM made before from the same inputs (``key``), or a new one (validated, then
    stored). A job of the build's background worker: paths and plain data in, text out."""
    store, validated = cache_root / "sboms", cache_root / "sbom-validated"
    if (text := stored_sbom(store, validated, key)) is not None:
        return text
    # The SBOM library is imported only by a build that makes an SBOM: a no-op build or
    # one whose SBOM is stored never needs it.
    from djdesk_bundle.sbom.document import build_sbom

    text = build_sbom(
        inputs.payload,
        inputs.app_name,
        inputs.app_version,
        inputs.pin,
        inputs.lock_path,
        list(inputs.app_dependencies),
        inputs.package_lock,
        inputs.source_date_epoch,
        validated_cache=validated,
        electron_versions=inputs.electron_versions,
        built_from_sdist=inputs.built_from_sdist,
        interpreter_runs_here=inputs.interpreter_runs_here,
    )
    store_sbom(store, key, text)
    return text
