"""``djdesk-bundle build``: the payload, its archive and the HTML report."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from rich.table import Table

from djdesk_bundle.build.pipeline import BuildResult, build
from djdesk_bundle.cli.common import options_from, target_arguments
from djdesk_bundle.options import Options
from djdesk_bundle.ui import Reporter


def arguments(build_cmd: argparse.ArgumentParser) -> None:
    target_arguments(build_cmd)
    build_cmd.add_argument(
        "--output", type=Path, metavar="DIR", help="the payload dir (default: output-dir)"
    )
    build_cmd.add_argument(
        "--dist", type=Path, metavar="DIR", help="the archive dir (default: dist-dir)"
    )
    build_cmd.add_argument(
        "--no-compile", action="store_true", help="ship no bytecode (compile-bytecode = false)"
    )
    build_cmd.add_argument(
        "--force", action="store_true", help="rebuild even when nothing has changed"
    )
    build_cmd.add_argument(
        "--extra",
        action="append",
        default=[],
        metavar="NAME",
        help="also ship an optional dependency group of the app (repeatable)",
    )
    build_cmd.add_argument(
        "--with-data-lab",
        action="store_true",
        help="ship the Data Lab's live kernels (same as --extra data-lab)",
    )
    build_cmd.add_argument(
        "--check-reproducible", action="store_true", help="build twice and compare the archives"
    )


def _build_flags(args: argparse.Namespace) -> dict[str, Any]:
    """build's own flags as option keys (a path flag is relative to the cwd)."""
    flags: dict[str, Any] = {}
    if args.no_compile:
        flags["compile-bytecode"] = False
    extras = [*args.extra, *(["data-lab"] if args.with_data_lab else [])]
    if extras:
        flags["extras"] = extras
    for attr, key in (("output", "output-dir"), ("dist", "dist-dir")):
        if getattr(args, attr) is not None:
            flags[key] = str(Path(getattr(args, attr)).resolve())
    return flags


def _summary(reporter: Reporter, result: BuildResult) -> None:
    table = Table(title="djdesk-bundle build", show_lines=False)
    table.add_column("stage")
    table.add_column("seconds", justify="right")
    for name, seconds in result.timings:
        table.add_row(name, f"{seconds:.1f}")
    table.add_row("[bold]total[/bold]", f"[bold]{sum(s for _, s in result.timings):.1f}[/bold]")
    reporter.console.print(table)
    size = result.archive.stat().st_size
    reporter.console.print(f"payload  {result.output}")
    reporter.console.print(f"archive  {result.archive} ({size / 1e6:.1f} MB)")
    reporter.console.print(f"sha256   {result.archive_sha256}")


def build_report(options: Options, result: BuildResult) -> Path:
    """The HTML report beside the archive; an up-to-date build (which ran only resolve)
    keeps the one with the timings of the build that made the archive."""
    from djdesk_bundle.inspect.report import ReportInputs, report_path, write_report

    destination = report_path(result.archive)
    if len(result.timings) <= 1 and destination.is_file():
        return destination
    left_out = [f"{item.name} ({item.reason})" for item in result.sources.app.left_out]
    inputs = ReportInputs(
        payload=result.output,
        archive=result.archive,
        archive_sha256=result.archive_sha256,
        timings=result.timings,
        left_out=left_out,
    )
    return write_report(inputs, destination)


def run(args: argparse.Namespace, reporter: Reporter) -> int:
    options = options_from(args, _build_flags(args))
    if args.check_reproducible:
        from djdesk_bundle.build.reproducible import check_reproducible

        check = check_reproducible(options, reporter, os.environ)
        if check.difference is not None:
            reporter.console.print("[red]not reproducible[/red]: the two archives differ")
            print("\n".join(check.difference.lines()))
            return 1
        reporter.info("[green]reproducible[/green]: two independent builds gave identical archives")
    result = build(options, reporter, os.environ, force=args.force)
    report = build_report(options, result)
    if reporter.verbosity >= 0:
        _summary(reporter, result)
        reporter.console.print(f"report   {report}")
    return 0
