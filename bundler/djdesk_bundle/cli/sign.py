"""``djdesk-bundle sign``: sigstore signatures (and a signed SHA256SUMS) for release files."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from djdesk_bundle.cli.common import verbosity_arguments
from djdesk_bundle.ui import Reporter


def arguments(sign_cmd: argparse.ArgumentParser) -> None:
    sign_cmd.add_argument(
        "artifacts", type=Path, nargs="+", metavar="FILE", help="the files to sign"
    )
    sign_cmd.add_argument(
        "--identity-token", help="an OIDC token (default: SIGSTORE_ID_TOKEN, or ambient CI)"
    )
    sign_cmd.add_argument("--interactive", action="store_true", help="browser sign-in if needed")
    sign_cmd.add_argument("--staging", action="store_true", help="sigstore's staging instance")
    sign_cmd.add_argument(
        "--release-sums",
        type=Path,
        metavar="FILE",
        help="also write (and sign) a SHA256SUMS over the artifacts here",
    )
    verbosity_arguments(sign_cmd)


def run(args: argparse.Namespace, reporter: Reporter) -> int:
    from djdesk_bundle.sign.sigstore_signing import (
        identity_token,
        sign_artifacts,
        write_release_sums,
    )

    artifacts = list(args.artifacts)
    token = identity_token(os.environ, args.identity_token, args.interactive)
    if args.release_sums:
        artifacts.append(write_release_sums(artifacts, args.release_sums))
    for path in sign_artifacts(artifacts, token, staging=args.staging):
        reporter.info(f"wrote {path}")
    return 0
