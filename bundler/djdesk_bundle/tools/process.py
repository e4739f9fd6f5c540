"""Running an external program and showing the end of its output."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path


def run(
    argv: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing text output; the caller decides what a failure means."""
    return subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True, check=False)


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
