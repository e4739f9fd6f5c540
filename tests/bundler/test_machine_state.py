"""Build caches and machine state never ship, whoever made the folder they sit in."""

from __future__ import annotations

from pathlib import Path, PurePath

import pytest

from djdesk_bundle.build.machine_state import is_machine_state
from djdesk_bundle.build.selection import copy_selection, select_folder

STATE = [
    ".doctrees/index.doctree",
    ".doctrees/environment.pickle",
    "environment.pickle",
    ".buildinfo",
    "__pycache__/conf.cpython-311.pyc",
    "pkg/module.pyc",
    "index.html~",
    ".index.md.swp",
    ".DS_Store",
    "_static/.DS_Store",
    "Thumbs.db",
    "#notes.md#",
]
CONTENT = ["index.html", "_static/pygments.css", "searchindex.js", "db.sqlite3", "app.log"]


@pytest.mark.parametrize("path", STATE)
def test_state_is_recognised(path: str) -> None:
    assert is_machine_state(PurePath(path))


@pytest.mark.parametrize("path", CONTENT)
def test_content_is_not(path: str) -> None:
    assert not is_machine_state(PurePath(path))


def test_docs_copy_leaves_out_a_sphinx_cache_and_editor_files(tmp_path: Path) -> None:
    """Defence in depth: a docs build that left its cache in the output still ships clean."""
    docs = tmp_path / "project" / "var" / "docs_bundle"
    for relative in STATE + CONTENT:
        (docs / relative).parent.mkdir(parents=True, exist_ok=True)
        (docs / relative).write_text(relative)
    destination = tmp_path / "payload" / "docs"
    copy_selection(select_folder(docs), destination)
    shipped = sorted(p.relative_to(destination).as_posix() for p in destination.rglob("*"))
    assert [p for p in shipped if (destination / p).is_file()] == sorted(CONTENT)
