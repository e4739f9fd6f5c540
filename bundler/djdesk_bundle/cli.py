"""The ``djdesk-bundle`` command line: build, verify, fetch, targets, clean."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table

from djdesk_bundle import __version__, contract
from djdesk_bundle.build.fetch import clear_cache, fetch_stage
from djdesk_bundle.build.install import install_requirements
from djdesk_bundle.build.locks import build_locks
from djdesk_bundle.build.pipeline import BuildResult, build, check
from djdesk_bundle.build.requirements import lock_project
from djdesk_bundle.build.resolve import resolve
from djdesk_bundle.errors import INTERRUPTED, BundleError, ConfigError, VerificationFailed
from djdesk_bundle.inspect.audit import LEVELS
from djdesk_bundle.options import Options, has_table, load_options
from djdesk_bundle.pins import DEFAULT_MANIFEST, load_manifest
from djdesk_bundle.scaffold.init import ShellChoices, init_project, next_steps
from djdesk_bundle.ui import Reporter

# The commands below import their heavier modules (sigstore, the SBOM and advisory
# libraries, diffoscope glue) when they run: every `build` pays for what this module
# imports, and a no-op build is meant to take a moment.
if TYPE_CHECKING:
    from djdesk_bundle.sign.sigstore_signing import ExpectedSigner

FLAG_KEYS = {
    "target": "target",
    "manifest": "interpreter-manifest",
    "python_mirror": "python-mirror",
    "cache_dir": "cache-dir",
    "offline": "offline",
}


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--project",
        type=Path,
        default=Path.cwd(),
        help="the project dir (its pyproject.toml has [tool.djdesk-bundle])",
    )
    parser.add_argument("--target", help="target triple (default: this host's)")
    parser.add_argument("--manifest", help="interpreter manifest (TOML)")
    parser.add_argument("--python-mirror", help="base URL (or file://DIR) holding the archives")
    parser.add_argument("--cache-dir", help="download cache (default: the user cache dir)")
    parser.add_argument(
        "--offline",
        action="store_const",
        const=True,
        default=None,
        help="use the cache only; never download",
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="errors only")
    parser.add_argument("-v", "--verbose", action="store_true", help="more detail")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="djdesk-bundle", description=__doc__)
    parser.add_argument("--version", action="version", version=f"djdesk-bundle {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    _build_parser(commands.add_parser("build", help="build the payload and its archive"))
    _verify_parser(commands.add_parser("verify", help="check a payload dir or archive"))
    fetch_cmd = commands.add_parser("fetch", help="fill the cache for offline builds")
    _common(fetch_cmd)
    fetch_cmd.add_argument("--all-targets", action="store_true", help="every pinned target")
    targets_cmd = commands.add_parser("targets", help="list the pinned target triples")
    targets_cmd.add_argument("--project", type=Path, default=Path.cwd())
    targets_cmd.add_argument("--manifest", help="interpreter manifest (TOML)")
    targets_cmd.add_argument("--json", action="store_true", help="a JSON list")
    _sign_parser(commands.add_parser("sign", help="keyless-sign files with sigstore"))
    init_cmd = commands.add_parser("init", help="write [tool.djdesk-bundle] for a project")
    init_cmd.add_argument("--project", type=Path, default=Path.cwd())
    init_cmd.add_argument(
        "--settings", help="the settings module to ship (default: the production-like one)"
    )
    shell = init_cmd.add_argument_group("the desktop shell (electron/)")
    shell.add_argument("--no-shell", action="store_true", help="write no desktop shell")
    shell.add_argument("--product-name", help="the app's name (default: the project's)")
    shell.add_argument("--app-id", help="reverse-DNS app id, e.g. org.example.notes")
    shell.add_argument("--repository", help="OWNER/NAME on GitHub: publishes and signs the updates")
    shell.add_argument("--icon", type=Path, help="a PNG of at least 512x512")
    files_cmd = commands.add_parser(
        "files", help="what ships from the project's folders, and what is left out, and why"
    )
    files_cmd.add_argument("--project", type=Path, default=Path.cwd())
    files_cmd.add_argument("--json", action="store_true", help="one JSON document")
    files_cmd.add_argument(
        "--left-out", action="store_true", help="only what is left out (and why)"
    )
    check_cmd = commands.add_parser(
        "check", help="pre-flight check: would the project work as a desktop app?"
    )
    _common(check_cmd)
    lock_cmd = commands.add_parser(
        "lock", help="lock the dependencies: requirements -> hash-pinned lock, else uv lock"
    )
    lock_cmd.add_argument("--project", type=Path, default=Path.cwd())
    clean_cmd = commands.add_parser("clean", help="remove build leftovers (and the cache)")
    _common(clean_cmd)
    clean_cmd.add_argument("--all", action="store_true", help="also the download cache")
    _audit_parsers(commands)
    return parser


def _audit_parsers(commands: Any) -> None:
    """diff, installer-sbom and audit: what an auditor runs."""
    diff_cmd = commands.add_parser("diff", help="what differs between two payloads or archives")
    diff_cmd.add_argument("first", type=Path, help="payload dir or archive")
    diff_cmd.add_argument("second", type=Path, help="payload dir or archive")
    diff_cmd.add_argument(
        "--no-diffoscope", action="store_true", help="do not look into binary files"
    )

    installer_cmd = commands.add_parser(
        "installer-sbom", help="the SBOM of an installer that ships a payload"
    )
    installer_cmd.add_argument("--payload", type=Path, required=True, help="payload dir or SBOM")
    installer_cmd.add_argument("--installer", type=Path, required=True, help="installer file")
    installer_cmd.add_argument(
        "--output", type=Path, required=True, help="where to write FILE.cdx.json"
    )

    audit_cmd = commands.add_parser("audit", help="an SBOM's components against OSV advisories")
    audit_cmd.add_argument("sbom", type=Path, help="a CycloneDX JSON SBOM")
    audit_cmd.add_argument(
        "--osv", type=Path, help="offline: a directory of OSV JSON files or an OSV zip"
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


def _build_parser(build_cmd: argparse.ArgumentParser) -> None:
    _common(build_cmd)
    build_cmd.add_argument("--output", type=Path, help="payload dir (default: output-dir)")
    build_cmd.add_argument("--dist", type=Path, help="archive dir (default: dist-dir)")
    build_cmd.add_argument("--no-compile", action="store_true", help="skip bytecode")
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


def _verify_parser(verify_cmd: argparse.ArgumentParser) -> None:
    verify_cmd.add_argument("path", type=Path, help="payload dir, archive, or signed file")
    verify_cmd.add_argument(
        "--bundle", type=Path, help="sigstore bundle: check only this signature"
    )
    verify_cmd.add_argument("--cert-identity", help="expected signer identity (certificate SAN)")
    verify_cmd.add_argument("--cert-oidc-issuer", help="expected OIDC issuer")
    verify_cmd.add_argument(
        "--github-repository", help="OWNER/REPO: shortcut for a GitHub workflow"
    )
    verify_cmd.add_argument(
        "--github-ref", help="tag or ref the workflow ran on (with --github-repository)"
    )
    verify_cmd.add_argument("--github-workflow", default="release.yml", help="workflow file name")
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
    verify_cmd.add_argument("-q", "--quiet", action="store_true")
    verify_cmd.add_argument("-v", "--verbose", action="store_true")


def _sign_parser(sign_cmd: argparse.ArgumentParser) -> None:
    sign_cmd.add_argument("artifacts", type=Path, nargs="+")
    sign_cmd.add_argument("--identity-token", help="an OIDC token (default: ambient / env)")
    sign_cmd.add_argument("--interactive", action="store_true", help="browser sign-in if needed")
    sign_cmd.add_argument("--staging", action="store_true", help="sigstore's staging instance")
    sign_cmd.add_argument(
        "--release-sums",
        type=Path,
        help="also write (and sign) a SHA256SUMS over the artifacts here",
    )
    sign_cmd.add_argument("-q", "--quiet", action="store_true")
    sign_cmd.add_argument("-v", "--verbose", action="store_true")


def _reporter(args: argparse.Namespace) -> Reporter:
    return Reporter(verbosity=-1 if args.quiet else (1 if args.verbose else 0))


def _options(args: argparse.Namespace, **extra: Any) -> Options:
    flags = {key: getattr(args, attr, None) for attr, key in FLAG_KEYS.items()}
    return load_options(args.project, os.environ, {**flags, **extra})


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


def cmd_build(args: argparse.Namespace, reporter: Reporter) -> int:
    overrides: dict[str, Any] = {"compile-bytecode": False} if args.no_compile else {}
    extras = [*args.extra, *(["data-lab"] if args.with_data_lab else [])]
    if extras:
        overrides["extras"] = extras
    options = _options(args, **overrides)
    if args.check_reproducible:
        from djdesk_bundle.build.reproducible import check_reproducible

        check = check_reproducible(options, reporter, os.environ)
        if check.difference is not None:
            reporter.console.print("[red]not reproducible[/red]: the two archives differ")
            print("\n".join(check.difference.lines()))
            return 1
        reporter.info("[green]reproducible[/green]: two independent builds gave identical archives")
    result = build(
        options, reporter, os.environ, output=args.output, dist=args.dist, force=args.force
    )
    if reporter.verbosity >= 0:
        _summary(reporter, result)
    return 0


def _expected_signer(args: argparse.Namespace) -> ExpectedSigner:
    from djdesk_bundle.sign.sigstore_signing import ExpectedSigner

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


def cmd_verify(args: argparse.Namespace, reporter: Reporter) -> int:
    from djdesk_bundle.inspect.verify import verify
    from djdesk_bundle.sign.sigstore_signing import verify_signature

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


def cmd_fetch(args: argparse.Namespace, reporter: Reporter) -> int:
    """What a build downloads (the same resolve and fetch stages), for later --offline use."""
    options = _options(args)
    manifest = load_manifest(options.path(options.interpreter_manifest))
    triples = sorted(manifest.pins) if args.all_targets else [options.target]
    for triple in triples:
        resolved = resolve(options, os.environ, options.path(options.dist_dir), target=triple)
        path = fetch_stage(options, resolved.pin, reporter)
        reporter.info(f"[green]✓[/green] {triple}: {path}")
        # Installing once into a throwaway dir fills uv's cache with the target's wheels.
        with tempfile.TemporaryDirectory() as scratch:
            install_requirements(
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


def cmd_targets(args: argparse.Namespace, reporter: Reporter) -> int:
    if args.manifest:
        manifest_path = Path(args.manifest)
    elif not has_table(args.project):
        manifest_path = DEFAULT_MANIFEST  # outside a project: the pins this tool ships
    else:
        options = load_options(args.project, os.environ)
        manifest_path = options.path(options.interpreter_manifest)
    triples = sorted(load_manifest(manifest_path).pins)
    print(json.dumps(triples) if args.json else "\n".join(triples))
    return 0


def cmd_clean(args: argparse.Namespace, reporter: Reporter) -> int:
    """Delete only what the tool made: pending archives by their names in dist, a payload
    (it has build-info.json and SHA256SUMS) and a cache root tagged as the tool's."""
    from djdesk_bundle.build.publish import is_payload, recover

    options = _options(args)
    output = options.path(options.output_dir)
    dist = options.path(options.dist_dir)
    # A build's swap and pending archives are its own until it is done: wait for it.
    with build_locks(output, dist, reporter):
        for message in recover(output):
            reporter.info(message)
        if args.all and output.exists() and not (output.is_dir() and is_payload(output)):
            raise ConfigError(
                f"not removing {output}: it holds no payload ({contract.BUILD_INFO} and "
                f"{contract.CHECKSUMS}), so djdesk-bundle did not make it"
            )
        if args.all and clear_cache(options.cache_root, default=not options.cache_dir):
            reporter.info(f"removed the cache {options.cache_root}")
        for leftover in _pending_archives(dist):
            leftover.unlink()
        if output.exists() and not args.all:
            reporter.info(f"kept {output} (the last complete payload)")
        elif output.exists():
            shutil.rmtree(output)
            reporter.info(f"removed {output}")
    return 0


# What a build leaves pending in dist (pack.pending_path): ARCHIVE[.sha256].PID.tmp.
PENDING_ARCHIVE = re.compile(r"^.+-payload-.+\.tar\.gz(?:\.sha256)?\.\d+\.tmp$")


def _pending_archives(dist: Path) -> list[Path]:
    if not dist.is_dir():
        return []
    return [
        path
        for path in dist.iterdir()
        if PENDING_ARCHIVE.match(path.name) and path.is_file() and not path.is_symlink()
    ]


def cmd_sign(args: argparse.Namespace, reporter: Reporter) -> int:
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


def cmd_init(args: argparse.Namespace, reporter: Reporter) -> int:
    shell = ShellChoices(
        write=not args.no_shell,
        product_name=args.product_name,
        app_id=args.app_id,
        repository=args.repository,
        icon=args.icon,
    )
    report = init_project(args.project, args.settings, shell)
    for line in report.written:
        reporter.info(f"wrote {escape(line)}")
    for line in report.left_alone:
        reporter.info(f"left alone {escape(line)}")
    for line in report.notes:
        reporter.info(escape(line))
    reporter.info(escape(next_steps(args.project.resolve())))
    return 0


def cmd_lock(args: argparse.Namespace, reporter: Reporter) -> int:
    reporter.info(f"wrote {escape(lock_project(load_options(args.project, os.environ)))}")
    return 0


def cmd_diff(args: argparse.Namespace, reporter: Reporter) -> int:
    from djdesk_bundle.inspect.diff import diff_payloads

    report = diff_payloads(args.first, args.second, deep=not args.no_diffoscope)
    print("\n".join(report.lines()) if not report.identical else "identical")
    return 0 if report.identical else 1


def cmd_installer_sbom(args: argparse.Namespace, reporter: Reporter) -> int:
    from djdesk_bundle.sbom.installer import write_installer_sbom

    path = write_installer_sbom(args.payload, args.installer, args.output)
    reporter.info(f"wrote {path}")
    return 0


def cmd_audit(args: argparse.Namespace, reporter: Reporter) -> int:
    from djdesk_bundle.inspect.audit import audit
    from djdesk_bundle.inspect.audit_output import render

    report = audit(args.sbom, args.osv, args.osv_api.rstrip("/"))
    print(render(report, args.format, args.sbom))
    failing = [f for f in report.findings if f.at_or_above(args.severity)]
    return 1 if failing else 0


def cmd_check(args: argparse.Namespace, reporter: Reporter) -> int:
    report = check(_options(args), reporter, os.environ)
    reporter.info(
        f"[green]ok[/green]: no errors, {len(report.warnings)} warning(s)"
        if report.ran
        else "[yellow]skipped[/yellow]: the target's interpreter cannot run here"
    )
    return 0


def cmd_files(args: argparse.Namespace, reporter: Reporter) -> int:
    """The file selection a build would make now (before-build is not run)."""
    from djdesk_bundle.build.selection import select_sources

    sources = select_sources(load_options(args.project, os.environ))
    parts = sources.selections()
    if args.json:
        document = {
            label: {
                "root": str(selection.root),
                "shipped": [{"name": i.name, "reason": i.reason} for i in selection.shipped],
                "left_out": [{"name": i.name, "reason": i.reason} for i in selection.left_out],
            }
            for label, selection in parts
        }
        print(json.dumps(document, indent=2))
        return 0
    for label, selection in parts:
        if not args.left_out:
            for item in selection.shipped:
                print(f"ships     {label}/{item.name}  ({item.reason})")
        for left in selection.left_out:
            print(f"left out  {label}/{left.name}  ({left.reason})")
    for label, selection in parts:
        reporter.info(
            f"{label}: {len(selection.shipped)} file(s) ship, {len(selection.left_out)} left out"
        )
    return 0


COMMANDS = {
    "build": cmd_build,
    "verify": cmd_verify,
    "fetch": cmd_fetch,
    "targets": cmd_targets,
    "clean": cmd_clean,
    "init": cmd_init,
    "check": cmd_check,
    "files": cmd_files,
    "lock": cmd_lock,
    "sign": cmd_sign,
    "diff": cmd_diff,
    "installer-sbom": cmd_installer_sbom,
    "audit": cmd_audit,
}


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    reporter = _reporter(args) if hasattr(args, "quiet") else Reporter()
    try:
        return COMMANDS[args.command](args, reporter)
    except BundleError as exc:
        reporter.console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        return exc.exit_code
    except KeyboardInterrupt:
        reporter.console.print("[red]interrupted[/red]: the previous output is untouched")
        return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
