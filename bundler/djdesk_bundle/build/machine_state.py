"""Build caches and machine state: files that are never part of a payload.

Whatever copies a folder into the payload (the app, the samples, the docs) asks
``is_machine_state`` first, so a Sphinx cache left in the docs output, a host's bytecode
cache or an editor's backup file never ships, even when the folder that holds it was made
by hand. They are not content, and they differ from machine to machine and run to run.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from pathlib import PurePath

# Directories whose whole content is a cache.
CACHE_DIRS = frozenset(
    {
        "__pycache__",
        ".doctrees",  # Sphinx's doctree cache when it is left inside the HTML output
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".hypothesis",
        ".ipynb_checkpoints",
        ".git",
        ".svn",
        ".hg",
        ".idea",
        ".vscode",
    }
)
# File names (glob patterns) of caches, build records and editor or desktop leftovers.
STATE_FILES = (
    "*.pyc",
    "*.pyo",
    "environment.pickle",  # Sphinx's build environment
    "*.doctree",
    ".buildinfo",  # Sphinx's incremental-build record (a hash of the config)
    "*~",
    ".*.swp",
    ".*.swo",
    ".*.swx",
    "#*#",
    ".#*",
    ".DS_Store",
    "._*",
    "Thumbs.db",
    "desktop.ini",
)


def is_machine_state(relative: PurePath) -> bool:
    """Is this path (relative to the folder being copied) a cache or machine state?"""
    if set(relative.parts[:-1]) & CACHE_DIRS or relative.name in CACHE_DIRS:
        return True
    return any(fnmatchcase(relative.name, pattern) for pattern in STATE_FILES)
