"""Where the apps of an inspected project are, and how problems are reported."""

from __future__ import annotations

import ast
import os
from dataclasses import asdict, dataclass
from pathlib import Path

# Directories that hold someone else's code or generated files, never the project's apps.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".venv",
        "venv",
        "env",
        "node_modules",
        "site-packages",
        "__pycache__",
        "static",
        "staticfiles",
        "media",
        "templates",
        "migrations",
        "var",
    }
)
MAX_WALK_DEPTH = 6


@dataclass(frozen=True)
class Finding:
    """A problem found in the inspected project; scans report these instead of crashing."""

    level: str  # "error" | "warning" | "info"
    message: str
    path: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class AppDir:
    label: str  # dotted module path relative to the project root, e.g. "catalog.datasets"
    path: Path

    @property
    def app_label(self) -> str:
        """Django's default AppConfig.label: the last component of the module path."""
        return self.label.rsplit(".", 1)[-1]


def iter_project_dirs(root: Path) -> list[Path]:
    """Every directory below root (sorted, bounded depth) that may hold project code."""
    found: list[Path] = []
    root_depth = len(root.parts)
    for current, dirnames, _files in os.walk(root):
        here = Path(current)
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED_DIRS and not d.startswith("."))
        if len(here.parts) - root_depth >= MAX_WALK_DEPTH:
            dirnames[:] = []
        found.append(here)
    return found


def discover_apps(root: Path) -> list[AppDir]:
    """Apps are packages with a models module or a migrations package."""
    apps = []
    for directory in iter_project_dirs(root):
        if directory == root or not (directory / "__init__.py").exists():
            continue
        has_models = (directory / "models.py").is_file() or (
            directory / "models" / "__init__.py"
        ).is_file()
        has_migrations = (directory / "migrations").is_dir()
        if has_models or has_migrations:
            label = ".".join(directory.relative_to(root).parts)
            apps.append(AppDir(label=label, path=directory))
    return sorted(apps, key=lambda app: app.label)


def read_source(path: Path, root: Path, max_bytes: int) -> tuple[str | None, Finding | None]:
    """Read a Python source file, or explain why it cannot be read."""
    rel = str(path.relative_to(root))
    try:
        size = path.stat().st_size
        if size > max_bytes:
            return None, Finding("warning", f"skipped: {size} bytes is over {max_bytes}", rel)
        return path.read_text(encoding="utf-8"), None
    except UnicodeDecodeError:
        return None, Finding("error", "not valid UTF-8", rel)
    except OSError as exc:
        return None, Finding("error", f"unreadable: {exc.strerror or exc}", rel)


def parse_source(
    path: Path, root: Path, max_bytes: int
) -> tuple[ast.Module | None, Finding | None]:
    """Read and parse a Python file, or explain (as a finding) why it cannot be."""
    source, problem = read_source(path, root, max_bytes)
    if problem:
        return None, problem
    try:
        return ast.parse(source or "", filename=str(path)), None
    except SyntaxError as exc:
        message = f"syntax error on line {exc.lineno}: {exc.msg}"
        return None, Finding("error", message, str(path.relative_to(root)))
