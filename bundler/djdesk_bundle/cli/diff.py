"""``djdesk-bundle diff``: what differs between two payloads or archives."""

from __future__ import annotations

import argparse
from pathlib import Path

from djdesk_bundle.ui import Reporter


def arguments(diff_cmd: argparse.ArgumentParser) -> None:
    diff_cmd.add_argument("first", type=Path, help="payload dir or archive")
    diff_cmd.add_argument("second", type=Path, help="payload dir or archive")
    diff_cmd.add_argument(
        "--no-diffoscope", action="store_true", help="do not look into binary files"
    )


def run(args: argparse.Namespace, reporter: Reporter) -> int:
    from djdesk_bundle.inspect.diff import diff_payloads

    report = diff_payloads(args.first, args.second, deep=not args.no_diffoscope)
    print("\n".join(report.lines()) if not report.identical else "identical")
    return 0 if report.identical else 1
