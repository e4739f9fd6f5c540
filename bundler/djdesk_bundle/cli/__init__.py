"""The djdesk-bundle command line: one module per command (its ``arguments(parser)`` and
``run(args, reporter)``), what they share in ``common``, what ``--help`` says in ``help``.

The commands import their heavier modules (sigstore, the SBOM and advisory libraries,
diffoscope glue) when they run: every `build` pays for what these modules import, and a
no-op build is meant to take a moment (sigstore_signing imports sigstore itself only when
it signs or verifies).
"""

from __future__ import annotations

import argparse
from types import ModuleType
from typing import Any

from rich.markup import escape

from djdesk_bundle import __version__
from djdesk_bundle.cli import (
    audit,
    build,
    check,
    clean,
    diff,
    fetch,
    files,
    init,
    installer_sbom,
    lock,
    report,
    sign,
    targets,
    verify,
)
from djdesk_bundle.cli.common import reporter_for
from djdesk_bundle.cli.help import (
    COMMAND_DOCS,
    HelpFormatter,
    epilog,
    paragraphs,
    top_description,
    top_epilog,
)
from djdesk_bundle.errors import INTERRUPTED, BundleError
from djdesk_bundle.ui import Reporter

# The commands, in the order `djdesk-bundle --help` lists them (their texts:
# help.COMMAND_DOCS).
COMMANDS: dict[str, ModuleType] = {
    "init": init,
    "lock": lock,
    "check": check,
    "files": files,
    "build": build,
    "verify": verify,
    "fetch": fetch,
    "targets": targets,
    "clean": clean,
    "sign": sign,
    "diff": diff,
    "installer-sbom": installer_sbom,
    "audit": audit,
    "report": report,
}


def add_command(commands: Any, name: str, command: ModuleType) -> None:
    """A subcommand with its summary, description and epilog from help's table."""
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
    command.arguments(parser)


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="djdesk-bundle",
        description=top_description(),
        epilog=top_epilog(),
        formatter_class=HelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"djdesk-bundle {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in COMMANDS.items():
        add_command(commands, name, command)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    reporter = reporter_for(args) if hasattr(args, "quiet") else Reporter()
    try:
        result: int = COMMANDS[args.command].run(args, reporter)
        return result
    except BundleError as exc:
        reporter.console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        return exc.exit_code
    except KeyboardInterrupt:
        reporter.console.print("[red]interrupted[/red]: the previous output is untouched")
        return INTERRUPTED
