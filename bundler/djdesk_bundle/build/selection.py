"""What ships of the project's folders, decided once in resolve and explained by
``djdesk-bundle files``.

The app folder ships what git *tracks* (as ``git archive`` would), plus the files matched by
``include`` (what the project generates or git-ignores on purpose: built assets, a settings
file), minus ``exclude``. Untracked files never ship unless included; a build lists them as
left out. Outside a git checkout every file in the folder is a candidate. Whatever the
source, these never ship: the tool's own and other build folders, caches and machine state,
the project's SQLite database and logs, and files whose names say they hold secrets (unless
``include`` names the exact path).

Symlinks are never resolved into another file's name: a link whose target is inside the
folder and ships itself is shipped as a copy under the link's own name; a link to anything
else (an ignored, untracked or excluded file, or one outside the folder) stops the build,
naming both. The samples and docs folders are generated data and ship whole, under the
same rules for links, caches and secret names.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

import pathspec

from djdesk_bundle.build.machine_state import is_machine_state
from djdesk_bundle.build.outputs import TOOL_DIR
from djdesk_bundle.errors import AppStageError, UnsafeSource
from djdesk_bundle.options import Options
from djdesk_bundle.tools.git import git, git_paths
from djdesk_runtime.contract import DATA_DIR_LAYOUT

# Folders that are never content, whether git tracks them or not. TOOL_DIR holds what
# djdesk-bundle writes inside a project (payload, archives).
BUILD_FOLDERS = frozenset({TOOL_DIR, "__pycache__", ".git", ".venv", "venv", "node_modules", "var"})
# The project's own database and its logs: the user's data lives in the data dir.
# (Django's default database name is the data dir's too.)
DATA_FILES = (
    DATA_DIR_LAYOUT["database"],
    f"{DATA_DIR_LAYOUT['database']}-*",
    "*.sqlite3-journal",
    "*.sqlite3-wal",
    "*.sqlite3-shm",
    "*.log",
)
# Names that say "secret": never shipped unless `include` names the exact path.
SECRET_NAMES = (
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "*.kdbx",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".netrc",
    ".pgpass",
    ".pypirc",
    ".npmrc",
    ".htpasswd",
    ".git-credentials",
    "credentials",
    "credentials.json",
    "*credentials*.json",
    "secrets.json",
    "secrets.toml",
    "secrets.yaml",
    "secrets.yml",
    "client_secret*.json",
    "service-account*.json",
)
# Templates of secret files are documentation, not secrets.
SECRET_TEMPLATES = (".example", ".sample", ".template", ".dist", ".defaults")


@dataclass(frozen=True)
class Shipped:
    name: str  # POSIX path inside the folder's place in the payload
    source: Path  # the file whose bytes ship (a link's target for a link inside)
    reason: str  # tracked, included, link to …, in the folder


@dataclass(frozen=True)
class LeftOut:
    name: str
    reason: str


@dataclass(frozen=True)
class Selection:
    root: Path
    shipped: tuple[Shipped, ...]
    left_out: tuple[LeftOut, ...]

    def untracked(self) -> list[str]:
        return [item.name for item in self.left_out if item.reason == UNTRACKED]


UNTRACKED = "untracked (add it to git, or to include)"


def has_secret_name(name: str) -> bool:
    base = PurePosixPath(name).name
    if base.lower().endswith(SECRET_TEMPLATES):
        return False
    return any(fnmatchcase(base, pattern) for pattern in SECRET_NAMES)


def _never_ships(name: str, project_folder: bool) -> str | None:
    """Why a path never ships whatever selected it, or None. A generated data folder
    (samples) ships its databases and logs: they are its content."""
    path = PurePosixPath(name)
    if set(path.parts[:-1]) & BUILD_FOLDERS:
        return "a build or tool folder"
    if is_machine_state(path):
        return "a cache or machine state"
    if project_folder and any(fnmatchcase(path.name, pattern) for pattern in DATA_FILES):
        return "the project's database or a log (user data lives in the data dir)"
    return None


def _walk(root: Path, skip: Iterable[Path] = ()) -> Iterator[str]:
    """Every file and link under ``root`` (POSIX names), never entering a link or the
    build folders."""
    skipped = {path.resolve() for path in skip}
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        kept = []
        for name in sorted(dirs):
            path = here / name
            if path.is_symlink():
                files.append(name)  # a link to a folder is an entry of its own
            elif name not in BUILD_FOLDERS and path.resolve() not in skipped:
                kept.append(name)
        dirs[:] = kept
        for name in sorted(files):
            yield (here / name).relative_to(root).as_posix()


def _spec(patterns: Iterable[str]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(patterns)


def _exact(patterns: Iterable[str]) -> set[str]:
    return {p.strip("/") for p in patterns if not any(ch in p for ch in "*?[!")}


def _git_candidates(
    options: Options, root: Path, git_exe: Path | None
) -> tuple[list[str], list[str]] | None:
    """(tracked, untracked) names under ``root``, or None outside a git checkout."""
    top = git(git_exe, options.project_dir, "rev-parse", "--show-toplevel")
    if top is None:
        return None
    tracked = git_paths(git_exe, options.project_dir, "--cached", root)
    untracked = git_paths(git_exe, options.project_dir, "--others", "--exclude-standard", root)
    if tracked is None or untracked is None:
        return None
    base = Path(top.strip()).resolve()

    def inside(paths: list[str]) -> list[str]:
        return [(base / p).relative_to(root).as_posix() for p in paths]

    return inside(tracked), inside(untracked)


def select_app(options: Options, git_exe: Path | None) -> Selection:
    """The app folder's files as they will ship, and what was left out and why
    (``git_exe``: the toolchain's git; None: no git, so every file is a candidate)."""
    root = options.app_path
    shell = options.path(options.shell_dir)
    skip = [shell] if shell != root and shell.is_relative_to(root) else []
    listed = _git_candidates(options, root, git_exe)
    include, exclude = _spec(options.include), _spec(options.exclude)
    candidates: dict[str, str] = {}
    left: list[LeftOut] = []
    if listed is None:
        candidates = {name: "in the folder (not a git checkout)" for name in _walk(root, skip)}
    else:
        tracked, untracked = listed
        candidates = {name: "tracked" for name in tracked}
        inputs = _build_inputs(options, root)
        shell_prefix = tuple(s.relative_to(root).as_posix() + "/" for s in skip)
        for name in untracked:
            if shell_prefix and name.startswith(shell_prefix):
                continue  # the desktop shell's own folder never ships
            if name in inputs:
                left.append(LeftOut(name, "a build input (init and lock write it)"))
            elif _never_ships(name, True) is None:  # the tool's own output is no news
                left.append(LeftOut(name, UNTRACKED))
    if options.include:
        for name in _walk(root, skip):
            if name not in candidates and include.match_file(name):
                candidates[name] = "included"
        left = [item for item in left if item.name not in candidates]
    if skip:
        inside = [s.relative_to(root).as_posix() + "/" for s in skip]
        candidates = {n: r for n, r in candidates.items() if not n.startswith(tuple(inside))}
    return _apply_rules(root, candidates, left, exclude, _exact(options.include), True)


def _build_inputs(options: Options, root: Path) -> set[str]:
    """The files djdesk-bundle itself reads or writes in the project (its table, the lock):
    an untracked one is not something the developer forgot to ship."""
    paths = [options.project_dir / "pyproject.toml", options.project_dir / ".gitignore"]
    paths += [options.path(p) for p in (options.lock, options.requirements) if p]
    paths += [options.project_dir / name for name in ("requirements.lock.txt", "uv.lock")]
    return {p.relative_to(root).as_posix() for p in paths if p.is_relative_to(root)}


def select_folder(root: Path) -> Selection:
    """A generated data folder (samples, docs): every file, under the same rules."""
    candidates = {name: "in the folder" for name in _walk(root)}
    return _apply_rules(root, candidates, [], _spec(()), set(), False)


def _apply_rules(
    root: Path,
    candidates: dict[str, str],
    left: list[LeftOut],
    exclude: pathspec.GitIgnoreSpec,
    named: set[str],
    project_folder: bool,
) -> Selection:
    kept: dict[str, str] = {}
    for name, reason in sorted(candidates.items()):
        why_not = _never_ships(name, project_folder)
        if why_not is None and exclude.match_file(name):
            why_not = "excluded"
        if why_not is None and has_secret_name(name) and name not in named:
            why_not = "its name says it holds a secret (include its exact path to ship it)"
        if why_not is None and not os.path.lexists(root / name):
            why_not = "deleted in the working tree"
        if why_not is None and (root / name).is_dir() and not (root / name).is_symlink():
            why_not = "a git submodule (include its files to ship them)"
        if why_not:
            left.append(LeftOut(name, why_not))
        else:
            kept[name] = reason
    shipped = [item for name, reason in kept.items() for item in _ship(root, name, reason, kept)]
    return Selection(root, tuple(shipped), tuple(sorted(left, key=lambda item: item.name)))


def _ship(root: Path, name: str, reason: str, kept: dict[str, str]) -> list[Shipped]:
    path = root / name
    info = path.lstat()
    if not stat.S_ISLNK(info.st_mode):
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeSource(f"{path} is not a regular file: only files and links ship")
        return [Shipped(name, path, reason)]
    target = path.resolve()
    if not target.is_relative_to(root.resolve()):
        raise UnsafeSource(
            f"{path} is a symlink to {target}, outside {root}: links never ship what "
            "they point to; copy the file into the project or remove the link"
        )
    relative = target.relative_to(root.resolve()).as_posix()
    if target.is_dir():
        below = [n for n in kept if n.startswith(relative + "/")]
        return [
            Shipped(name + n[len(relative) :], root / n, f"link to {relative}/ (copied)")
            for n in below
            if not (root / n).is_symlink()
        ]
    if relative not in kept or (root / relative).is_symlink():
        raise UnsafeSource(
            f"{path} is a symlink to {relative}, which does not ship itself (untracked, "
            "ignored, excluded or a secret): links never ship what they point to; ship "
            "the file itself or remove the link"
        )
    return [Shipped(name, target, f"link to {relative} (copied)")]


@dataclass(frozen=True)
class SourceFiles:
    """Every folder of the project that ships, selected once in resolve."""

    app: Selection
    samples: Selection | None
    docs: Selection | None

    def selections(self) -> list[tuple[str, Selection]]:
        parts = [("app", self.app), ("samples", self.samples), ("docs", self.docs)]
        return [(label, selection) for label, selection in parts if selection is not None]


def select_sources(options: Options, git_exe: Path | None) -> SourceFiles:
    samples = docs = None
    if options.samples_dir:
        root = options.path(options.samples_dir)
        if not root.is_dir():
            raise AppStageError(
                f"{root} does not exist (samples-dir in [tool.djdesk-bundle]); generate it "
                "first (for the inspector: `just fetch-samples`)"
            )
        samples = select_folder(root)
    if options.docs_dir and options.path(options.docs_dir).is_dir():
        docs = select_folder(options.path(options.docs_dir))
    return SourceFiles(select_app(options, git_exe), samples, docs)


def copy_selection(selection: Selection, destination: Path) -> int:
    for item in selection.shipped:
        target = destination / item.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item.source, target)  # a link's checked target: bytes, not a link
    return len(selection.shipped)
