"""``djdesk-bundle audit``: an SBOM's components against OSV advisories."""

from __future__ import annotations

import argparse
from pathlib import Path

from djdesk_bundle.inspect.audit import LEVELS
from djdesk_bundle.ui import Reporter


def arguments(audit_cmd: argparse.ArgumentParser) -> None:
    audit_cmd.add_argument("sbom", type=Path, help="a CycloneDX JSON SBOM")
    audit_cmd.add_argument(
        "--osv",
        type=Path,
        metavar="PATH",
        help="offline: a directory of OSV JSON files or an OSV zip (default: ask OSV online)",
    )
    audit_cmd.add_argument(
        "--severity",
        choices=LEVELS,
        default="low",
        help="fail on findings at or above this level (default: low, i.e. any)",
    )
    audit_cmd.add_argument(
        "--format",
        choices=("table", "json", "sarif"),
        default="table",
        help="table (default), JSON, or SARIF 2.1.0 for code scanning; on stdout",
    )
    audit_cmd.add_argument(
        "--osv-api",
        default="https://api.osv.dev/v1",
        metavar="URL",
        help="online: the OSV API to ask (default: OSV.dev)",
    )


def run(args: argparse.Namespace, reporter: Reporter) -> int:
    from djdesk_bundle.inspect.audit import audit
    from djdesk_bundle.inspect.audit_output import render

    report = audit(args.sbom, args.osv, args.osv_api.rstrip("/"))
    print(render(report, args.format, args.sbom))
    failing = [f for f in report.findings if f.at_or_above(args.severity)]
    return 1 if failing else 0
