"""``djdesk-bundle lock``: the hash-pinned requirements a build installs."""

from __future__ import annotations

import argparse
import os

from rich.markup import escape

from djdesk_bundle.build.requirements import lock_project
from djdesk_bundle.cli.common import project_argument, project_dir, verbosity_arguments
from djdesk_bundle.options import load_options
from djdesk_bundle.tools.uv import find_uv
from djdesk_bundle.ui import Reporter


def arguments(lock_cmd: argparse.ArgumentParser) -> None:
    project_argument(lock_cmd)
    verbosity_arguments(lock_cmd)


def run(args: argparse.Namespace, reporter: Reporter) -> int:
    # lock runs uv only (its version is not asked): the wrapper's lookup, not a toolchain.
    locked = lock_project(load_options(project_dir(args), os.environ), find_uv())
    reporter.info(f"wrote {escape(locked)}")
    return 0
