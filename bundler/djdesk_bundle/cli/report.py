"""``djdesk-bundle report``: the HTML report of a payload."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape

from djdesk_bundle import contract
from djdesk_bundle.cli.common import options_from, project_argument, verbosity_arguments
from djdesk_bundle.errors import ConfigError
from djdesk_bundle.ui import Reporter


def arguments(report_cmd: argparse.ArgumentParser) -> None:
    report_cmd.add_argument(
        "payload",
        type=Path,
        nargs="?",
        help="a payload dir (default: the project's output-dir)",
    )
    report_cmd.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="where to write the page (default: PAYLOAD.report.html beside the payload dir)",
    )
    project_argument(report_cmd)
    verbosity_arguments(report_cmd)


def run(args: argparse.Namespace, reporter: Reporter) -> int:
    from djdesk_bundle.inspect.report import ReportInputs, write_report

    payload = args.payload
    if payload is None:
        options = options_from(args)
        payload = options.path(options.output_dir)
    if not (payload / contract.BUILD_INFO).is_file():
        raise ConfigError(f"{payload}: not a payload dir (no {contract.BUILD_INFO})")
    destination = args.output or payload.parent / f"{payload.name}.report.html"
    reporter.info(f"wrote {escape(str(write_report(ReportInputs(payload), destination)))}")
    return 0
