"""``djdesk-bundle installer-sbom``: an installer's SBOM from its payload's."""

from __future__ import annotations

import argparse
from pathlib import Path

from djdesk_bundle.ui import Reporter


def arguments(installer_cmd: argparse.ArgumentParser) -> None:
    installer_cmd.add_argument(
        "--payload", type=Path, required=True, metavar="DIR", help="payload dir or its SBOM"
    )
    installer_cmd.add_argument(
        "--installer", type=Path, required=True, metavar="FILE", help="the installer file"
    )
    installer_cmd.add_argument(
        "--output", type=Path, required=True, metavar="FILE", help="where to write FILE.cdx.json"
    )


def run(args: argparse.Namespace, reporter: Reporter) -> int:
    from djdesk_bundle.sbom.installer import write_installer_sbom

    path = write_installer_sbom(args.payload, args.installer, args.output)
    reporter.info(f"wrote {path}")
    return 0
