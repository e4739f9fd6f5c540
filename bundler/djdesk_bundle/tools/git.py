"""git: what the project tracks, and its commit.

Looked up on PATH once per command (``find_git``, by ``Toolchain.find`` for a build); the
functions here run the path they are given (None: no git, so not a git checkout's answers).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

from djdesk_bundle.errors import ConfigError, ToolMissing
from djdesk_bundle.tools.process import run


def in_git_checkout(path: Path) -> bool:
    return any((folder / ".git").exists() for folder in (path.resolve(), *path.resolve().parents))


def find_git(which: Callable[[str], str | None] = shutil.which) -> Path | None:
    found = which("git")
    return Path(found) if found is not None else None


def require_git(project_dir: Path, executable: Path | None) -> None:
    """A checkout without git would ship untracked files (the build copies what git tracks)."""
    if executable is None and in_git_checkout(project_dir):
        raise ToolMissing(
            f"git is not installed, but {project_dir} is a git checkout: install git "
            "(the build ships only the files git tracks, and records the commit)"
        )


def git(executable: Path | None, project_dir: Path, *args: str) -> str | None:
    """Output of a git command in the project, or None when it is not a git checkout (or
    there is no git: ``executable`` None)."""
    if executable is None:
        return None
    # File names are bytes to git (`ls-files -z` prints them raw): decoded so that a name
    # that is not UTF-8 can be named in the error instead of a UnicodeDecodeError.
    result = run([str(executable), *args], cwd=project_dir, errors="surrogateescape")
    if result.returncode != 0:
        return None
    refuse_undecodable_names(result.stdout, project_dir)
    return result.stdout


def refuse_undecodable_names(output: str, project_dir: Path) -> None:
    for line in re.split(r"[\0\n]", output):
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:
            raw = line.encode("utf-8", "surrogateescape")
            raise ConfigError(
                f"{project_dir}: the file name '{raw.decode('utf-8', 'backslashreplace')}' "
                "is not UTF-8: rename it (a payload's file names are UTF-8 on every platform)"
            ) from None


def git_paths(executable: Path | None, project_dir: Path, *args: str | Path) -> list[str] | None:
    """``git ls-files -z ARGS -- FOLDER`` (paths relative to the checkout's top), or None
    when it is not a git checkout; a name that is not UTF-8 is a one-line error (git())."""
    *options, folder = args
    listed = git(
        executable,
        project_dir,
        "-c",
        "core.quotePath=false",
        "ls-files",
        "-z",
        *map(str, options),
        "--full-name",
        "--",
        str(folder),
    )
    return None if listed is None else [name for name in listed.split("\0") if name]
