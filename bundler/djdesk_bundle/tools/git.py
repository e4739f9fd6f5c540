"""git: what the project tracks, and its commit."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from djdesk_bundle.errors import ConfigError, ToolMissing
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


def git_paths(project_dir: Path, *args: str | Path) -> list[str] | None:
    """``git ls-files -z ARGS --`` (paths relative to the checkout's top), or None when it
    is not a git checkout. A name that is not UTF-8 is a one-line error: the payload's
    archive, SHA256SUMS and the SBOM name files in UTF-8."""
    if shutil.which("git") is None:
        return None
    *options, folder = args
    argv = ["git", "-c", "core.quotePath=false", "ls-files", "-z", *map(str, options)]
    result = subprocess.run(
        [*argv, "--full-name", "--", str(folder)], cwd=project_dir, capture_output=True
    )
    if result.returncode != 0:
        return None
    names = []
    for raw in result.stdout.split(b"\0"):
        if not raw:
            continue
        try:
            names.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise ConfigError(
                f"{raw!r} in {project_dir} has a file name that is not UTF-8: rename it "
                "(the payload names its files in UTF-8)"
            ) from None
    return names
