"""``djdesk-bundle targets``: the target triples the interpreter manifest pins."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from djdesk_bundle.cli.common import project_argument, project_dir
from djdesk_bundle.options import has_table, load_options
from djdesk_bundle.pins import DEFAULT_MANIFEST, load_manifest
from djdesk_bundle.ui import Reporter


def arguments(targets_cmd: argparse.ArgumentParser) -> None:
    project_argument(targets_cmd)
    targets_cmd.add_argument(
        "--manifest", metavar="FILE", help="the interpreter manifest (TOML) to list"
    )
    targets_cmd.add_argument("--json", action="store_true", help="a JSON list")


def run(args: argparse.Namespace, reporter: Reporter) -> int:
    if args.manifest:
        manifest_path = Path(args.manifest)
    elif not has_table(project_dir(args)):
        manifest_path = DEFAULT_MANIFEST  # outside a project: the pins this tool ships
    else:
        options = load_options(project_dir(args), os.environ)
        manifest_path = options.path(options.interpreter_manifest)
    triples = sorted(load_manifest(manifest_path).pins)
    print(json.dumps(triples) if args.json else "\n".join(triples))
    return 0
