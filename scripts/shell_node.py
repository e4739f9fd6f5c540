"""Run Node.js at the version the Electron shell's tooling needs (``engines.node`` in
electron/package.json), whatever Node the system has.

    python3 scripts/shell_node.py [--which] [NODE ARGUMENTS...]

When the system's ``node`` is new enough it runs; when it is older (Debian's Node 20) or
missing, the Node binary that the npm registry ships as a package (``node-<os>-<arch>``,
pinned below) is installed once into ``var/node/`` and runs instead: npm's registry only,
so it works wherever ``npm ci`` works, and offline once npm's cache has it (``SHELL_NODE_DIR``
places it elsewhere). ``--which``
prints the chosen binary's path instead of running it. Standard library only.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE_JSON = REPO / "electron" / "package.json"
# Where npm's Node goes (SHELL_NODE_DIR overrides: tests, a shared cache).
INSTALL_ROOT = Path(os.environ.get("SHELL_NODE_DIR") or REPO / "var" / "node")
# The npm package's version (it is Node's own version); at least engines.node.
FALLBACK_VERSION = "22.22.0"
NPM_PLATFORMS = {"linux": "linux", "darwin": "darwin", "win32": "win"}
NPM_ARCHES = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}


class NodeUnavailable(Exception):
    """No Node at the needed version, and none could be installed: one line for people."""


def version_tuple(text: str) -> tuple[int, ...]:
    match = re.search(r"(\d+)\.(\d+)(?:\.(\d+))?", text)
    if match is None:
        raise NodeUnavailable(f"cannot read a Node version from {text.strip()!r}")
    return tuple(int(part or 0) for part in match.groups())


def minimum_version(package_json: Path = PACKAGE_JSON) -> tuple[int, ...]:
    """The lowest version ``engines.node`` allows (a ``>=X.Y[.Z]`` range)."""
    engines = json.loads(package_json.read_text(encoding="utf-8")).get("engines", {})
    wanted = str(engines.get("node", ""))
    if not wanted.startswith(">="):
        raise NodeUnavailable(f"{package_json}: engines.node {wanted!r} is not a >=X.Y range")
    return version_tuple(wanted)


def system_node_version(node: str) -> tuple[int, ...] | None:
    try:
        result = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return version_tuple(result.stdout) if result.returncode == 0 else None


def npm_package() -> str:
    system = NPM_PLATFORMS.get(sys.platform)
    arch = NPM_ARCHES.get(platform.machine().lower())
    if system is None or arch is None:
        raise NodeUnavailable(f"no npm package of Node for {sys.platform} {platform.machine()}")
    return f"node-{system}-{arch}"


def installed_node(package: str, version: str = FALLBACK_VERSION) -> Path:
    """The npm package's node binary, installed into var/node/<package>-<version>/ once."""
    prefix = INSTALL_ROOT / f"{package}-{version}"
    binary = prefix / "node_modules" / package / "bin" / ("node.exe" if os.name == "nt" else "node")
    if binary.is_file():
        return binary
    npm = shutil.which("npm")
    if npm is None:
        raise NodeUnavailable("npm is not on PATH (it installs the Node the shell needs)")
    prefix.mkdir(parents=True, exist_ok=True)
    # --prefer-offline: npm's cache first, so this works without a network once fetched.
    command = [npm, "install", "--prefix", str(prefix), "--no-save", "--no-audit", "--no-fund"]
    command += ["--prefer-offline", "--loglevel=error", f"{package}@{version}"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0 or not binary.is_file():
        output = (result.stderr or result.stdout).strip().splitlines()
        last = output[-1] if output else f"exit {result.returncode}"
        raise NodeUnavailable(f"npm could not install {package}@{version}: {last}")
    return binary


def shell_node() -> tuple[str, str]:
    """(the node to run, why: '' when it is the system's)."""
    wanted = minimum_version()
    if version_tuple(FALLBACK_VERSION) < wanted:
        raise NodeUnavailable(f"the pinned {FALLBACK_VERSION} is older than engines.node")
    wanted_text = ".".join(map(str, wanted))
    system = shutil.which("node")
    found = system_node_version(system) if system else None
    if system and found is not None and found >= wanted:
        return system, ""
    package = npm_package()
    have = f"node {'.'.join(map(str, found))}" if found else "no node"
    why = f"{have} on PATH, the shell needs >= {wanted_text}: {package} {FALLBACK_VERSION} from npm"
    return str(installed_node(package)), why


def main(argv: list[str]) -> int:
    try:
        node, why = shell_node()
    except NodeUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if argv[:1] == ["--which"]:
        print(node)
        return 0
    if why:
        print(f"shell_node: {why}", file=sys.stderr)
    # First on PATH too: what the tests start by name (`node`, `npx`) gets the same Node.
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(Path(node).parent), os.environ.get("PATH", "")]),
    }
    return subprocess.run([node, *argv], env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
