"""uv: the resolver and installer of the payload's locked dependencies.

Found and asked its version once per command, by ``Toolchain.find`` (tools/toolchain.py):
everything after takes the path and the version from the toolchain it is given.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from djdesk_bundle.errors import ToolMissing
from djdesk_bundle.tools.process import run


def find_uv(which: Callable[[str], str | None] = shutil.which) -> Path:
    """The uv pinned as a dependency of the bundler, else one on PATH."""
    try:
        from uv import find_uv_bin

        return Path(find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = which("uv")
        if found is None:
            raise ToolMissing(
                "uv not found: `pip install uv` (djdesk-bundle depends on it)"
            ) from None
        return Path(found)


def ask_uv_version(uv: Path) -> str:
    """What ``uv --version`` says after "uv " (a build records it in several places)."""
    result = run([str(uv), "--version"])
    return result.stdout.strip().removeprefix("uv ")
