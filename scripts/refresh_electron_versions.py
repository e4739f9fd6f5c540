#!/usr/bin/env python3
"""Record the Chromium, Node and V8 versions of the installed Electron in
``manifests/electron-versions.toml`` (keyed by the exact Electron version).

    python scripts/refresh_electron_versions.py [--electron PATH] [--table FILE]

The Electron binary reports them itself (``ELECTRON_RUN_AS_NODE=1 electron -p
process.versions``), so this runs where the binary is installed
(``ELECTRON_SKIP_BINARY_DOWNLOAD=0 just install``; the release workflow has it). The
table stays sorted so that a refresh shows as a small diff.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TABLE = REPO / "manifests" / "electron-versions.toml"


def electron_versions(electron: Path) -> dict[str, str]:
    env = {**os.environ, "ELECTRON_RUN_AS_NODE": "1"}
    out = subprocess.run(
        [str(electron), "-p", "JSON.stringify(process.versions)"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    return {str(k): str(v) for k, v in json.loads(out).items()}


def _key(line: str) -> list[int]:
    return [int(part) for part in line.split(".")]


def render(rows: dict[str, dict[str, str]]) -> str:
    header = [line for line in TABLE.read_text().splitlines() if line.startswith("#")]
    out = [*header, ""]
    for line in sorted(rows, key=_key):
        out.append(f'[electron."{line}"]')
        out += [f'{field} = "{rows[line][field]}"' for field in sorted(rows[line])]
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--electron",
        type=Path,
        default=REPO / "electron" / "node_modules" / "electron" / "dist" / "electron",
        help="the Electron binary (default: the one npm installed)",
    )
    parser.add_argument(
        "--table",
        type=Path,
        default=TABLE,
    )
    args = parser.parse_args(argv)
    if not args.electron.exists():
        parser.error(
            f"no Electron binary at {args.electron}: "
            "install it with ELECTRON_SKIP_BINARY_DOWNLOAD=0 just install"
        )
    versions = electron_versions(args.electron)
    rows = tomllib.loads(args.table.read_text()).get("electron", {})
    # Keyed by the exact release: Chromium moves within a line (45.3.2 and 45.5.0 differ).
    line = versions["electron"]
    rows[line] = {
        "chromium": versions["chrome"],
        "node": versions["node"],
        "v8": versions["v8"],
        "source": f"process.versions of Electron {versions['electron']}",
    }
    args.table.write_text(render(rows))
    print(f"Electron {line}: Chromium {versions['chrome']}, Node {versions['node']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
