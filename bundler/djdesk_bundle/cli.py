"""The djdesk-bundle command line: one parser per command, its texts from cli_help."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from djdesk_bundle import __version__, contract
from djdesk_bundle.build.fetch import clear_cache, fetch_stage, fill_mirror
from djdesk_bundle.build.install import install_requirements
from djdesk_bundle.build.locks import build_locks
from djdesk_bundle.build.pipeline import BuildResult, build, check
from djdesk_bundle.build.requirements import lock_project
from djdesk_bundle.build.resolve import resolve
from djdesk_bundle.cli_help import (
    COMMAND_DOCS,
    HelpFormatter,
    epilog,
    paragraphs,
    top_description,
    top_epilog,
)
from djdesk_bundle.errors import INTERRUPTED, BundleError, ConfigError, VerificationFailed
from djdesk_bundle.inspect.audit import LEVELS
from djdesk_bundle.options import Options, find_project, has_table, load_options
from djdesk_bundle.pins import DEFAULT_MANIFEST, load_manifest
from djdesk_bundle.scaffold.init import ShellChoices, init_project, next_steps
from djdesk_bundle.sign.sigstore_signing import ExpectedSigner
from djdesk_bundle.tools.git import find_git
from djdesk_bundle.tools.toolchain import Toolchain, host_triple
from djdesk_bundle.tools.uv import find_uv
from djdesk_bundle.ui import Reporter

# The commands below import their heavier modules (sigstore, the SBOM and advisory
# libraries, diffoscope glue) when they run: every `build` pays for what this module
# imports, and a no-op build is meant to take a moment (sigstore_signing imports sigstore
# itself only when it signs or verifies).

FLAG_KEYS = {
    "target": "target",
    "manifest": "interpreter-manifest",
    "python_mirror": "python-mirror",
    "cache_dir": "cache-dir",
    "offline": "offline",
}


def _project_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--project",
        type=Path,
        metavar="DIR",
        help="the project dir, whose pyproject.toml has [tool.djdesk-bundle] (default: the "
        "nearest such dir from the current one upward, else the current one)",
    )


def _verbosity_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-q", "--quiet", action="store_true", help="errors only: no progress, notes or warnings"
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="also each step's details (commands, cache hits)",
    )


def _common(parser: argparse.ArgumentParser) -> None:
    """The options of every command that resolves a target (flags over DJDESK_BUNDLE_*)."""
    _project_argument(parser)
    parser.add_argument(
        "--target",
        metavar="TRIPLE",
        help="the target triple, e.g. x86_64-pc-windows-msvc (default: this host's; "
        "`djdesk-bundle targets` lists them)",
    )
    parser.add_argument(
        "--manifest",
        metavar="FILE",
        help="the interpreter manifest (TOML) pinning each target's archive URL and sha256 "
        "(default: interpreter-manifest, else the pins djdesk-bundle ships)",
    )
    parser.add_argument(
        "--python-mirror",
        metavar="URL",
        help="a base URL (or file://DIR) holding the interpreter archives under their file "
        "names, instead of the pinned URLs (`fetch --to DIR` fills one)",
    )
    parser.add_argument(
        "--cache-dir",
        metavar="DIR",
        help="the download and stage cache (default: the user cache dir)",
    )
    parser.add_argument(
        "--offline",
        action="store_const",
        const=True,
        default=None,
        help="use the caches only; never download (`djdesk-bundle fetch` fills them)",
    )
    _verbosity_arguments(parser)


def add_command(
    commands: Any, name: str, arguments: Callable[[argparse.ArgumentParser], None]
) -> None:
    """A subcommand with its summary, description and epilog from cli_help's table."""
    doc = COMMAND_DOCS[name]
    parser = commands.add_parser(
        name,
        help=doc.summary,
        description=doc.summary[0].upper()
        + doc.summary[1:]
        + ".\n\n"
        + paragraphs(doc.description),
        epilog=epilog(doc),
        formatter_class=HelpFormatter,
    )
    arguments(parser)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="djdesk-bundle",
        description=top_description(),
        epilog=top_epilog(),
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"djdesk-bundle {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, arguments in ARGUMENTS.items():
        add_command(commands, name, arguments)
    return parser


def _init_arguments(init_cmd: argparse.ArgumentParser) -> None:
    _project_argument(init_cmd)
    init_cmd.add_argument(
        "--settings",
        metavar="MODULE",
        help="the settings module to ship, e.g. mysite.settings.production (default: the "
        "production-like one init finds; it must exist in the project)",
    )
    shell = init_cmd.add_argument_group("the desktop shell (electron/)")
    shell.add_argument("--no-shell", action="store_true", help="write no desktop shell")
    shell.add_argument(
        "--product-name", metavar="NAME", help="the app's name (default: the project's)"
    )
    shell.add_argument("--app-id", metavar="ID", help="reverse-DNS app id, e.g. org.example.notes")
    shell.add_argument(
        "--repository",
        metavar="OWNER/NAME",
        help="the GitHub repository that publishes and signs the updates",
    )
    shell.add_argument("--icon", type=Path, metavar="PNG", help="a PNG of at least 512x512")
    _verbosity_arguments(init_cmd)


def _lock_arguments(lock_cmd: argparse.ArgumentParser) -> None:
    _project_argument(lock_cmd)
    _verbosity_arguments(lock_cmd)


def _fetch_arguments(fetch_cmd: argparse.ArgumentParser) -> None:
    _common(fetch_cmd)
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


def _targets_arguments(targets_cmd: argparse.ArgumentParser) -> None:
    _project_argument(targets_cmd)
    targets_cmd.add_argument(
        "--manifest", metavar="FILE", help="the interpreter manifest (TOML) to list"
    )
    targets_cmd.add_argument("--json", action="store_true", help="a JSON list")


def _clean_arguments(clean_cmd: argparse.ArgumentParser) -> None:
    _common(clean_cmd)
    clean_cmd.add_argument(
        "--all", action="store_true", help="also the download cache and the last payload"
    )


def _diff_arguments(diff_cmd: argparse.ArgumentParser) -> None:
    diff_cmd.add_argument("first", type=Path, help="payload dir or archive")
    diff_cmd.add_argument("second", type=Path, help="payload dir or archive")
    diff_cmd.add_argument(
        "--no-diffoscope", action="store_true", help="do not look into binary files"
    )


def _installer_sbom_arguments(installer_cmd: argparse.ArgumentParser) -> None:
    installer_cmd.add_argument(
        "--payload", type=Path, required=True, metavar="DIR", help="payload dir or its SBOM"
    )
    installer_cmd.add_argument(
        "--installer", type=Path, required=True, metavar="FILE", help="the installer file"
    )
    installer_cmd.add_argument(
        "--output", type=Path, required=True, metavar="FILE", help="where to write FILE.cdx.json"
    )


def _audit_arguments(audit_cmd: argparse.ArgumentParser) -> None:
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


def _report_arguments(report_cmd: argparse.ArgumentParser) -> None:
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
    _project_argument(report_cmd)
    _verbosity_arguments(report_cmd)


def _check_arguments(check_cmd: argparse.ArgumentParser) -> None:
    _common(check_cmd)


def _files_arguments(files_cmd: argparse.ArgumentParser) -> None:
    _project_argument(files_cmd)
    files_cmd.add_argument("--json", action="store_true", help="one JSON document")
    files_cmd.add_argument(
        "--left-out", action="store_true", help="only what is left out, each with its reason"
    )


def _build_arguments(build_cmd: argparse.ArgumentParser) -> None:
    _common(build_cmd)
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


def _verify_arguments(verify_cmd: argparse.ArgumentParser) -> None:
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
    _verbosity_arguments(verify_cmd)


def _sign_arguments(sign_cmd: argparse.ArgumentParser) -> None:
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
    _verbosity_arguments(sign_cmd)


# Each command's arguments, in the order `djdesk-bundle --help` lists them (its texts:
# cli_help.COMMAND_DOCS; its handler: COMMANDS below).
ARGUMENTS: dict[str, Callable[[argparse.ArgumentParser], None]] = {
    "init": _init_arguments,
    "lock": _lock_arguments,
    "check": _check_arguments,
    "files": _files_arguments,
    "build": _build_arguments,
    "verify": _verify_arguments,
    "fetch": _fetch_arguments,
    "targets": _targets_arguments,
    "clean": _clean_arguments,
    "sign": _sign_arguments,
    "diff": _diff_arguments,
    "installer-sbom": _installer_sbom_arguments,
    "audit": _audit_arguments,
    "report": _report_arguments,
}


def _project(args: argparse.Namespace) -> Path:
    return args.project if args.project is not None else find_project(Path.cwd())


def _reporter(args: argparse.Namespace) -> Reporter:
    return Reporter(verbosity=-1 if args.quiet else (1 if args.verbose else 0))


def _options(args: argparse.Namespace) -> Options:
    """The options with every flag that sets one, by its key: one route for all of them,
    flags over DJDESK_BUNDLE_* over [tool.djdesk-bundle]."""
    flags: dict[str, Any] = {key: getattr(args, attr, None) for attr, key in FLAG_KEYS.items()}
    if args.command == "build":
        flags |= _build_flags(args)
    return load_options(_project(args), os.environ, flags)


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


def cmd_build(args: argparse.Namespace, reporter: Reporter) -> int:
    options = _options(args)
    if args.check_reproducible:
        from djdesk_bundle.build.reproducible import check_reproducible

        check = check_reproducible(options, reporter, os.environ)
        if check.difference is not None:
            reporter.console.print("[red]not reproducible[/red]: the two archives differ")
            print("\n".join(check.difference.lines()))
            return 1
        reporter.info("[green]reproducible[/green]: two independent builds gave identical archives")
    result = build(options, reporter, os.environ, force=args.force)
    report = _build_report(options, result)
    if reporter.verbosity >= 0:
        _summary(reporter, result)
        reporter.console.print(f"report   {report}")
    return 0


def _build_report(options: Options, result: BuildResult) -> Path:
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


def cmd_report(args: argparse.Namespace, reporter: Reporter) -> int:
    from djdesk_bundle.inspect.report import ReportInputs, write_report

    payload = args.payload
    if payload is None:
        options = _options(args)
        payload = options.path(options.output_dir)
    if not (payload / contract.BUILD_INFO).is_file():
        raise ConfigError(f"{payload}: not a payload dir (no {contract.BUILD_INFO})")
    destination = args.output or payload.parent / f"{payload.name}.report.html"
    reporter.info(f"wrote {escape(str(write_report(ReportInputs(payload), destination)))}")
    return 0


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


def cmd_verify(args: argparse.Namespace, reporter: Reporter) -> int:
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


def cmd_fetch(args: argparse.Namespace, reporter: Reporter) -> int:
    """What a build downloads (the same resolve and fetch stages), for later --offline use."""
    if args.to is not None:
        return _fetch_to_mirror(args, reporter)
    options = _options(args)
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


def _fetch_to_mirror(args: argparse.Namespace, reporter: Reporter) -> int:
    """fetch --to DIR: the pinned archives into a mirror folder. Outside a project too (a
    connected machine may have only djdesk-bundle): then the flags and the shipped pins."""
    project = _project(args)
    options = (
        _options(args)
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


def cmd_targets(args: argparse.Namespace, reporter: Reporter) -> int:
    if args.manifest:
        manifest_path = Path(args.manifest)
    elif not has_table(_project(args)):
        manifest_path = DEFAULT_MANIFEST  # outside a project: the pins this tool ships
    else:
        options = load_options(_project(args), os.environ)
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
    project = _project(args)
    report = init_project(project, args.settings, shell)
    for line in report.written:
        reporter.info(f"wrote {escape(line)}")
    for line in report.left_alone:
        reporter.info(f"left alone {escape(line)}")
    for line in report.notes:
        reporter.info(escape(line))
    reporter.info(escape(next_steps(project.resolve())))
    return 0


def cmd_lock(args: argparse.Namespace, reporter: Reporter) -> int:
    # lock runs uv only (its version is not asked): the wrapper's lookup, not a toolchain.
    locked = lock_project(load_options(_project(args), os.environ), find_uv())
    reporter.info(f"wrote {escape(locked)}")
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
    options = _options(args)
    # Said first: the check needs the target's interpreter and the locked dependencies.
    reporter.info(
        "the pre-flight check runs in the payload's interpreter: resolve, fetch, extract, "
        "install and app run first, into a scratch folder"
    )
    report = check(options, reporter, os.environ)
    reporter.info(
        f"[green]ok[/green]: no errors, {len(report.warnings)} warning(s)"
        if report.ran
        else "[yellow]skipped[/yellow]: the target's interpreter cannot run here"
    )
    return 0


def cmd_files(args: argparse.Namespace, reporter: Reporter) -> int:
    """The file selection a build would make now (before-build is not run)."""
    from djdesk_bundle.build.selection import select_sources

    sources = select_sources(load_options(_project(args), os.environ), find_git())
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
    "report": cmd_report,
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
