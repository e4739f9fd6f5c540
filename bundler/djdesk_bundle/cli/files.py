"""``djdesk-bundle files``: what a build would ship, and what it leaves out and why."""

from __future__ import annotations

import argparse
import json
import os

from djdesk_bundle.cli.common import project_argument, project_dir
from djdesk_bundle.options import load_options
from djdesk_bundle.tools.git import find_git
from djdesk_bundle.ui import Reporter


def arguments(files_cmd: argparse.ArgumentParser) -> None:
    project_argument(files_cmd)
    files_cmd.add_argument("--json", action="store_true", help="one JSON document")
    files_cmd.add_argument(
        "--left-out", action="store_true", help="only what is left out, each with its reason"
    )


def run(args: argparse.Namespace, reporter: Reporter) -> int:
    """The file selection a build would make now (before-build is not run)."""
    from djdesk_bundle.build.selection import select_sources

    sources = select_sources(load_options(project_dir(args), os.environ), find_git())
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
