"""The external programs a command runs and the host it runs on, found and asked once.

A build's is made by resolve (build/resolve.py) and carried in ``Resolved.toolchain`` and
``StageContext.toolchain``; another command makes its own once where it needs one. Nothing
is cached per process: two toolchains are two lookups (a test can change PATH between).
"""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass
from pathlib import Path

from djdesk_bundle.tools.git import find_git
from djdesk_bundle.tools.uv import ask_uv_version, find_uv

_ARCH = {"amd64": "x86_64", "x86_64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64"}


def host_triple() -> str:
    """This machine's target triple (of the Python running the bundler)."""
    machine = platform.machine().lower()
    arch = _ARCH.get(machine, machine)
    if sys.platform == "darwin":
        return f"{arch}-apple-darwin"
    if sys.platform == "win32":
        return f"{arch}-pc-windows-msvc"
    return f"{arch}-unknown-linux-gnu"


@dataclass(frozen=True)
class Toolchain:
    uv: Path
    uv_version: str  # what `uv --version` says after "uv ": keyed and recorded in build-info
    git: Path | None  # None: not installed (a git checkout is then refused: require_git)
    host_triple: str

    @classmethod
    def find(cls) -> Toolchain:
        """uv (the pinned one, else PATH's) and its version, git on PATH, the host."""
        uv = find_uv()
        return cls(uv=uv, uv_version=ask_uv_version(uv), git=find_git(), host_triple=host_triple())
