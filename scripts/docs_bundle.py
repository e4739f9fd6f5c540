#!/usr/bin/env python3
"""Build the offline HTML docs that the payload ships (``var/docs_bundle/`` by default).

    python scripts/docs_bundle.py [--output DIR] [--doctrees DIR]

Sphinx keeps its build cache (``*.doctree``, ``environment.pickle``) in a doctree
directory, by default *inside* the output, where it would ship and differ from build to
build. Here it goes to ``var/docs_doctrees/`` instead, and ``SOURCE_DATE_EPOCH``
(default: the commit time of ``HEAD``, as for the payload) fixes every date Sphinx
writes. Warnings are errors. ``just docs-bundle`` runs this.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def commit_time(repo: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(repo), "log", "-1", "--format=%ct"],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=REPO / "var" / "docs_bundle")
    parser.add_argument("--doctrees", type=Path, default=REPO / "var" / "docs_doctrees")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    epoch = env.get("SOURCE_DATE_EPOCH") or commit_time(REPO)
    if epoch:
        env["SOURCE_DATE_EPOCH"] = epoch
    argv_ = [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html"]
    argv_ += ["-d", str(args.doctrees), str(REPO / "docs"), str(args.output)]
    return subprocess.run(argv_, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
