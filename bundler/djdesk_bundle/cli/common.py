"""What the commands share: the common arguments, the options from the flags, the reporter."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from djdesk_bundle.options import Options, find_project, load_options
from djdesk_bundle.ui import Reporter

FLAG_KEYS = {
    "target": "target",
    "manifest": "interpreter-manifest",
    "python_mirror": "python-mirror",
    "cache_dir": "cache-dir",
    "offline": "offline",
}


def project_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--project",
        type=Path,
        metavar="DIR",
        help="the project dir, whose pyproject.toml has [tool.djdesk-bundle] (default: the "
        "nearest such dir from the current one upward, else the current one)",
    )


def verbosity_arguments(parser: argparse.ArgumentParser) -> None:
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


def target_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of every command that resolves a target (flags over DJDESK_BUNDLE_*)."""
    project_argument(parser)
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
    verbosity_arguments(parser)


def project_dir(args: argparse.Namespace) -> Path:
    return args.project if args.project is not None else find_project(Path.cwd())


def reporter_for(args: argparse.Namespace) -> Reporter:
    return Reporter(verbosity=-1 if args.quiet else (1 if args.verbose else 0))


def options_from(args: argparse.Namespace, own_flags: dict[str, Any] | None = None) -> Options:
    """The options with every flag that sets one, by its key: one route for all of them,
    flags over DJDESK_BUNDLE_* over [tool.djdesk-bundle]; ``own_flags``: a command's own
    flags as option keys (build's)."""
    flags: dict[str, Any] = {key: getattr(args, attr, None) for attr, key in FLAG_KEYS.items()}
    return load_options(project_dir(args), os.environ, flags | (own_flags or {}))
