"""``djdesk-bundle init``: the table, the settings and the shell for a project."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape

from djdesk_bundle.cli.common import project_argument, project_dir, verbosity_arguments
from djdesk_bundle.scaffold.init import ShellChoices, init_project, next_steps
from djdesk_bundle.ui import Reporter


def arguments(init_cmd: argparse.ArgumentParser) -> None:
    project_argument(init_cmd)
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
    verbosity_arguments(init_cmd)


def run(args: argparse.Namespace, reporter: Reporter) -> int:
    shell = ShellChoices(
        write=not args.no_shell,
        product_name=args.product_name,
        app_id=args.app_id,
        repository=args.repository,
        icon=args.icon,
    )
    project = project_dir(args)
    report = init_project(project, args.settings, shell)
    for line in report.written:
        reporter.info(f"wrote {escape(line)}")
    for line in report.left_alone:
        reporter.info(f"left alone {escape(line)}")
    for line in report.notes:
        reporter.info(escape(line))
    reporter.info(escape(next_steps(project.resolve())))
    return 0
