"""Wrappers around the external tools the build runs: uv and git."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import ToolMissing


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


def run(
    argv: Sequence[str], cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a command, capturing text output; the caller decides what a failure means."""
    return subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True, check=False)


def uv_version() -> str:
    result = run([uv_binary(), "--version"])
    return result.stdout.strip().removeprefix("uv ")


def in_git_checkout(path: Path) -> bool:
    return any((folder / ".git").exists() for folder in (path.resolve(), *path.resolve().parents))


def require_git(project_dir: Path, which: Callable[[str], str | None] = shutil.which) -> None:
    """A checkout without git would ship untracked files (the build copies what git tracks)."""
    if which("git") is None and in_git_checkout(project_dir):
        raise ToolMissing(
            f"git is not installed, but {project_dir} is a git checkout: install git "
            "(the build ships only the files git tracks, and records the commit)"
        )


def git(project_dir: Path, *args: str) -> str | None:
    """Output of a git command in the project, or None when it is not a git checkout."""
    if shutil.which("git") is None:
        return None
    result = run(["git", *args], cwd=project_dir)
    return result.stdout if result.returncode == 0 else None


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
