"""``djdesk-bundle verify``: a payload's files against its checksums and SBOM, or a signature."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape

from djdesk_bundle.cli.common import verbosity_arguments
from djdesk_bundle.errors import ConfigError, VerificationFailed
from djdesk_bundle.sign.sigstore_signing import ExpectedSigner
from djdesk_bundle.ui import Reporter


def arguments(verify_cmd: argparse.ArgumentParser) -> None:
    verify_cmd.add_argument("path", type=Path, help="payload dir, archive, or signed file")
    verify_cmd.add_argument(
        "--bundle", type=Path, metavar="FILE", help="sigstore bundle: check only this signature"
    )
    verify_cmd.add_argument("--cert-identity", help="expected signer identity (certificate SAN)")
    verify_cmd.add_argument("--cert-oidc-issuer", help="expected OIDC issuer")
    verify_cmd.add_argument(
        "--github-repository",
        metavar="OWNER/REPO",
        help="shortcut for a GitHub workflow's identity (with --github-ref)",
    )
    verify_cmd.add_argument(
        "--github-ref", help="tag or ref the workflow ran on (with --github-repository)"
    )
    verify_cmd.add_argument(
        "--github-workflow", default="release.yml", help="workflow file name (default: %(default)s)"
    )
    verify_cmd.add_argument(
        "--trust-root",
        default="production",
        help="production (default), staging, or a trust-config JSON file",
    )
    verify_cmd.add_argument(
        "--refresh-trust-root",
        action="store_true",
        help="update sigstore's trust root online first (default: offline)",
    )
    verbosity_arguments(verify_cmd)


def _expected_signer(args: argparse.Namespace) -> ExpectedSigner:
    if args.github_repository:
        if not args.github_ref:
            raise ConfigError("--github-repository needs --github-ref (e.g. v1.2.3)")
        return ExpectedSigner.github(args.github_repository, args.github_ref, args.github_workflow)
    if not (args.cert_identity and args.cert_oidc_issuer):
        raise ConfigError(
            "--bundle needs --cert-identity and --cert-oidc-issuer "
            "(or --github-repository and --github-ref)"
        )
    return ExpectedSigner(args.cert_identity, args.cert_oidc_issuer)


def run(args: argparse.Namespace, reporter: Reporter) -> int:
    from djdesk_bundle.inspect.verify import verify
    from djdesk_bundle.sign.sigstore_signing import verify_signature

    if args.bundle and not args.path.exists():
        raise ConfigError(f"{args.path}: no such file")
    if args.bundle:
        signer = _expected_signer(args)
        verify_signature(
            args.path,
            args.bundle,
            signer,
            trust=args.trust_root,
            offline=not args.refresh_trust_root,
        )
        reporter.info(
            f"[green]ok[/green]: {escape(args.path.name)} is signed by {escape(signer.identity)}"
        )
        return 0
    if not args.path.exists():  # a usage error (2), not a failed verification (1)
        raise ConfigError(f"{args.path}: no such payload dir, archive or file")
    report = verify(args.path)
    if not report.ok:
        for problem in report.problems():
            reporter.console.print(f"[red]{escape(problem)}[/red]")
        raise VerificationFailed(
            f"{args.path}: {len(report.modified)} modified, {len(report.missing)} missing, "
            f"{len(report.extra)} extra file(s), {len(report.sbom)} SBOM mismatch(es)"
        )
    reporter.info(f"[green]ok[/green]: {report.checked} files match {args.path}")
    return 0
