"""git: what the project tracks, and its commit."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from djdesk_bundle.errors import ToolMissing
from djdesk_bundle.tools.process import run


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
