"""Stage 1 helpers, resolve: what is being built (name, version, git state, epoch)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from djdesk_bundle.errors import ConfigError
from djdesk_bundle.options import AppProject, Options
from djdesk_bundle.tools.git import git


@dataclass(frozen=True)
class SourceState:
    name: str
    version: str
    git_sha: str  # "" outside a git checkout
    dirty: bool
    source_date_epoch: int


FALLBACK_EPOCH = 315532800  # 1980-01-01: the earliest time a zip (and many tools) accept


def source_state(
    options: Options, app: AppProject, env: Mapping[str, str], git_exe: Path | None
) -> SourceState:
    """``git_exe``: the toolchain's git (None: none installed, so no commit to record)."""
    name, version = app.name, app.version
    sha = (git(git_exe, options.project_dir, "rev-parse", "HEAD") or "").strip()
    # Modified tracked files make a build dirty; untracked files do not.
    status = git(git_exe, options.project_dir, "status", "--porcelain", "--untracked-files=no")
    dirty = bool(status and status.strip())
    raw_epoch = env.get("SOURCE_DATE_EPOCH")
    if raw_epoch:
        if not raw_epoch.isdigit():
            raise ConfigError(f"SOURCE_DATE_EPOCH must be whole seconds, not {raw_epoch!r}")
        epoch = int(raw_epoch)
    else:
        commit_time = (git(git_exe, options.project_dir, "log", "-1", "--format=%ct") or "").strip()
        epoch = int(commit_time) if commit_time.isdigit() else FALLBACK_EPOCH
    return SourceState(
        name=name, version=version, git_sha=sha, dirty=dirty, source_date_epoch=epoch
    )


def check_shell_version(options: Options, version: str) -> None:
    """One version for everything: the Electron shell's package.json must match the app's."""
    if not options.npm_lock:
        return
    package = options.path(options.npm_lock).with_name("package.json")
    if not package.is_file():
        return
    import json

    shell_version = json.loads(package.read_text(encoding="utf-8")).get("version")
    if shell_version != version:
        raise ConfigError(
            f"{package} has version {shell_version!r} but the app's is {version!r}: "
            "set them equal (one version for the payload, the shell and the release tag)"
        )
