"""uv: the resolver and installer of the payload's locked dependencies."""

from __future__ import annotations

import shutil
from functools import cache

from djdesk_bundle.errors import ToolMissing
from djdesk_bundle.tools.process import run


@cache
def uv_binary() -> str:
    """The uv pinned as a dependency of the bundler, else one on PATH."""
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found is None:
            raise ToolMissing(
                "uv not found: `pip install uv` (djdesk-bundle depends on it)"
            ) from None
        return found


@cache
def uv_version() -> str:
    """Asked of the binary once per process (a build records it in several places)."""
    result = run([uv_binary(), "--version"])
    return result.stdout.strip().removeprefix("uv ")
