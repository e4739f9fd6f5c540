"""``djdesk-bundle fetch``: what a build downloads, for later offline builds, or a mirror folder."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from rich.markup import escape

from djdesk_bundle.build.fetch import fetch_stage, fill_mirror
from djdesk_bundle.build.install import install_requirements
from djdesk_bundle.build.resolve import resolve
from djdesk_bundle.cli.common import options_from, project_dir, target_arguments
from djdesk_bundle.options import Options, has_table
from djdesk_bundle.pins import DEFAULT_MANIFEST, load_manifest
from djdesk_bundle.tools.toolchain import Toolchain, host_triple
from djdesk_bundle.ui import Reporter


def arguments(fetch_cmd: argparse.ArgumentParser) -> None:
    target_arguments(fetch_cmd)
    fetch_cmd.add_argument(
        "--all-targets", action="store_true", help="every pinned target, not only --target"
    )
    fetch_cmd.add_argument(
        "--to",
        type=Path,
        metavar="DIR",
        help="copy the pinned interpreter archives (verified) into DIR, a mirror folder for "
        "--python-mirror file://DIR, instead of filling the caches",
    )


def _fetch_to_mirror(args: argparse.Namespace, reporter: Reporter) -> int:
    """fetch --to DIR: the pinned archives into a mirror folder. Outside a project too (a
    connected machine may have only djdesk-bundle): then the flags and the shipped pins."""
    project = project_dir(args)
    options = (
        options_from(args)
        if has_table(project)
        else Options(
            project_dir=project,
            interpreter_manifest=args.manifest or str(DEFAULT_MANIFEST),
            python_mirror=args.python_mirror or "",
            cache_dir=args.cache_dir or "",
            offline=bool(args.offline),
            target=args.target or host_triple(),
        )
    )
    manifest = load_manifest(options.path(options.interpreter_manifest))
    triples = sorted(manifest.pins) if args.all_targets else [options.target]
    copies = fill_mirror(
        [manifest.pin_for(triple) for triple in triples],
        args.to,
        options.cache_root,
        reporter,
        mirror=options.python_mirror or None,
        offline=options.offline,
    )
    for copy in copies:
        reporter.info(f"[green]✓[/green] {escape(str(copy))}")
    use = f"--python-mirror file://{args.to.resolve()}"
    if manifest.path.resolve() != DEFAULT_MANIFEST.resolve():
        use += f" --manifest {manifest.path}"
    reporter.info(f"on the machine without network: djdesk-bundle build {escape(use)}")
    return 0


def run(args: argparse.Namespace, reporter: Reporter) -> int:
    """What a build downloads (the same resolve and fetch stages), for later --offline use."""
    if args.to is not None:
        return _fetch_to_mirror(args, reporter)
    options = options_from(args)
    manifest = load_manifest(options.path(options.interpreter_manifest))
    triples = sorted(manifest.pins) if args.all_targets else [options.target]
    toolchain = Toolchain.find()  # one for every target's resolve and install
    dist = options.path(options.dist_dir)
    for triple in triples:
        resolved = resolve(options, os.environ, dist, target=triple, toolchain=toolchain)
        path = fetch_stage(options, resolved.pin, reporter)
        reporter.info(f"[green]✓[/green] {triple}: {path}")
        # Installing once into a throwaway dir fills uv's cache with the target's wheels.
        with tempfile.TemporaryDirectory() as scratch:
            install_requirements(
                toolchain.uv,
                resolved.locked,
                Path(scratch) / "site",
                triple,
                resolved.pin.python_minor,
                Path(scratch),
                offline=options.offline,
                build_sdists=options.build_sdists,
            )
        reporter.info(f"[green]✓[/green] {triple}: wheels cached")
    return 0
