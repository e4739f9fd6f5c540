#!/usr/bin/env python3
"""Record the Chromium, Node and V8 versions of the installed Electron in
``manifests/electron-versions.toml`` (keyed by the exact Electron version).

    python scripts/refresh_electron_versions.py [--electron PATH] [--table FILE]
    python scripts/refresh_electron_versions.py --electron-to-chromium DIR [--version X.Y.Z]

The Electron binary reports them itself (``ELECTRON_RUN_AS_NODE=1 electron -p
process.versions``), so this runs where the binary is installed
(``ELECTRON_SKIP_BINARY_DOWNLOAD=0 just install``; the release workflow has it). The
table stays sorted so that a refresh shows as a small diff.

Without the binary, ``--electron-to-chromium DIR`` (the npm package ``electron-to-chromium``
unpacked: ``npm pack electron-to-chromium && tar -xzf electron-to-chromium-*.tgz``) gives
the Chromium of an Electron release (default: the one electron/package-lock.json pins),
and the row records that source; Node and V8 stay as they were.
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


def shell_electron() -> str:
    lock = json.loads((REPO / "electron" / "package-lock.json").read_text(encoding="utf-8"))
    return str(lock["packages"]["node_modules/electron"]["version"])


def chromium_row(package: Path, version: str, row: dict[str, str]) -> dict[str, str]:
    """``row`` with Chromium from electron-to-chromium's table, and that source said."""
    try:
        known = json.loads((package / "full-versions.json").read_text(encoding="utf-8"))
        release = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError) as exc:
        raise SystemExit(
            f"error: {package}: not the electron-to-chromium package ({exc})"
        ) from None
    if version not in known:
        raise SystemExit(f"error: electron-to-chromium {release} knows no Electron {version}")
    others = [p for p in row.get("source", "").split("; ") if p and not p.startswith("chromium:")]
    source = [f"chromium: npm electron-to-chromium {release} (full-versions.json)", *others]
    return {**row, "chromium": str(known[version]), "source": "; ".join(source)}


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
    parser.add_argument("--electron-to-chromium", type=Path, metavar="DIR")
    parser.add_argument("--version", help="with --electron-to-chromium (default: the shell's)")
    args = parser.parse_args(argv)
    if args.electron_to_chromium:
        rows = tomllib.loads(args.table.read_text()).get("electron", {})
        version = args.version or shell_electron()
        rows[version] = chromium_row(args.electron_to_chromium, version, rows.get(version, {}))
        args.table.write_text(render(rows))
        print(f"Electron {version}: Chromium {rows[version]['chromium']}")
        return 0
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
